/* attache user add|list */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "attache/node.h"
#include "attache/users.h"
#include "cmds.h"
#include "banned.h"

static const char usage[] =
	"attache user add ID --name NAME --role ROLE [--unit UNIT] [--password-stdin] [--as USER]\n"
	"       attache user list [--as USER] [--json]";

static int user_add(struct cli *cli, int argc, char **argv)
{
	const char *name = NULL, *role = NULL, *unit = NULL, *as = NULL, *pos[1];
	bool pwstdin = false;
	struct cli_opt opts[] = {{"name", true, &name, NULL},     {"role", true, &role, NULL},
				 {"unit", true, &unit, NULL},     {"as", true, &as, NULL},
				 {"password-stdin", false, NULL, &pwstdin},
				 {NULL, false, NULL, NULL}};
	struct att_user_spec spec;
	struct att_err err = {0};
	struct att_node *node;
	char pw[1100] = "";
	size_t npos;
	int rc = cli_parse(argc, argv, 2, opts, pos, 1, &npos, usage);

	if (rc)
		return rc < 0 ? CLI_OK : rc;
	if (npos != 1 || !name || !role)
		return cli_usage(usage);
	if (pwstdin) {
		size_t n;

		if (!fgets(pw, sizeof(pw), stdin))
			return cli_usage_error("no password on standard input");
		n = strlen(pw);
		if (n && pw[n - 1] == '\n')
			pw[--n] = '\0';
		if (n && pw[n - 1] == '\r')
			pw[--n] = '\0';
	}
	node = cli_open(cli, &rc);
	if (!node)
		return rc;
	spec.id = pos[0];
	spec.name = name;
	spec.role = role;
	spec.unit = unit;
	spec.password = pwstdin ? pw : NULL;
	rc = att_user_add(node, as, &spec, &err) ? cli_fail(&err) : CLI_OK;
	sodium_memzero(pw, sizeof(pw));
	if (!rc)
		printf("%s\n", pos[0]);
	att_node_close(node);
	return rc;
}

static int user_list(struct cli *cli, int argc, char **argv)
{
	const char *as = NULL, *pos[1];
	bool json = false;
	struct cli_opt opts[] = {{"as", true, &as, NULL}, {"json", false, NULL, &json},
				 {NULL, false, NULL, NULL}};
	struct att_err err = {0};
	struct att_node *node;
	json_t *arr = NULL;
	size_t npos, i;
	json_t *u;
	int rc = cli_parse(argc, argv, 2, opts, pos, 0, &npos, usage);

	if (rc)
		return rc < 0 ? CLI_OK : rc;
	node = cli_open(cli, &rc);
	if (!node)
		return rc;
	if (att_user_list(node, as, (void **)&arr, &err)) {
		rc = cli_fail(&err);
		att_node_close(node);
		return rc;
	}
	att_node_close(node);
	if (json)
		return cli_print_json(arr);
	json_array_foreach(arr, i, u) {
		printf("%-16s %-10s %-24s %s\n", json_string_value(json_object_get(u, "id")),
		       json_string_value(json_object_get(u, "role")),
		       json_is_string(json_object_get(u, "unit"))
			       ? json_string_value(json_object_get(u, "unit"))
			       : "-",
		       json_string_value(json_object_get(u, "name")));
	}
	json_decref(arr);
	return CLI_OK;
}

int cmd_user(struct cli *cli, int argc, char **argv)
{
	if (argc < 2)
		return cli_usage(usage);
	if (!strcmp(argv[1], "add"))
		return user_add(cli, argc, argv);
	if (!strcmp(argv[1], "list"))
		return user_list(cli, argc, argv);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		printf("usage: %s\n", usage);
		return CLI_OK;
	}
	return cli_usage(usage);
}
