/* attache post add|list|show|staffing */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "attache/node.h"
#include "attache/registry.h"
#include "cmds.h"
#include "banned.h"

static const char usage[] =
	"attache post add ID --kind state|org --host HOST --city CITY --fields F[,F...] "
	"--staffing N [--mission TEXT] [--as USER]\n"
	"       attache post list [--json] [--as USER]\n"
	"       attache post show ID [--json] [--as USER]\n"
	"       attache post staffing ID N --as USER";

static int post_add(struct cli *cli, int argc, char **argv)
{
	const char *kind = NULL, *host = NULL, *city = NULL, *fields = NULL, *staffing = NULL,
		   *mission = NULL, *as = NULL, *pos[1];
	struct cli_opt opts[] = {{"kind", true, &kind, NULL},         {"host", true, &host, NULL},
				 {"city", true, &city, NULL},         {"fields", true, &fields, NULL},
				 {"staffing", true, &staffing, NULL}, {"mission", true, &mission, NULL},
				 {"as", true, &as, NULL},             {NULL, false, NULL, NULL}};
	struct att_post_spec spec;
	struct att_err err = {0};
	struct att_node *node;
	unsigned long long n;
	size_t npos;
	int rc = cli_parse(argc, argv, 2, opts, pos, 1, &npos, usage);

	if (rc)
		return rc < 0 ? CLI_OK : rc;
	if (npos != 1 || !kind || !host || !city || !fields || !staffing)
		return cli_usage(usage);
	if (!cli_parse_u64(staffing, ATT_STAFFING_MAX, &n))
		return cli_usage_error("--staffing takes a number from 0 to %lu", ATT_STAFFING_MAX);
	node = cli_open(cli, &rc);
	if (!node)
		return rc;
	spec.id = pos[0];
	spec.kind = kind;
	spec.host = host;
	spec.city = city;
	spec.fields = fields;
	spec.mission = mission;
	spec.staffing = (unsigned long)n;
	rc = att_post_add(node, as, &spec, &err) ? cli_fail(&err) : CLI_OK;
	if (!rc)
		printf("%s\n", pos[0]);
	att_node_close(node);
	return rc;
}

static void print_post_line(json_t *p)
{
	json_t *f = json_object_get(p, "fields"), *v;
	char fields[64] = "";
	size_t i, used = 0;

	json_array_foreach(f, i, v) {
		int n = snprintf(fields + used, sizeof(fields) - used, "%s%s", i ? "," : "",
				 json_string_value(v));
		if (n > 0 && (size_t)n < sizeof(fields) - used)
			used += (size_t)n;
	}
	printf("%-14s %-5s %-24.24s %-16.16s %3lld/%-3lld %s\n", cli_js(p, "id"), cli_js(p, "kind"),
	       cli_js(p, "host"), cli_js(p, "city"), cli_ji(p, "used"), cli_ji(p, "staffing"),
	       fields);
}

static int post_read(struct cli *cli, int argc, char **argv, bool show)
{
	const char *as = NULL, *pos[1];
	bool json = false;
	struct cli_opt opts[] = {{"as", true, &as, NULL}, {"json", false, NULL, &json},
				 {NULL, false, NULL, NULL}};
	struct att_err err = {0};
	struct att_node *node;
	json_t *out = NULL;
	size_t npos, i;
	json_t *v;
	int rc = cli_parse(argc, argv, 2, opts, pos, show ? 1 : 0, &npos, usage);

	if (rc)
		return rc < 0 ? CLI_OK : rc;
	if (show && npos != 1)
		return cli_usage(usage);
	node = cli_open(cli, &rc);
	if (!node)
		return rc;
	if (show)
		rc = att_post_show(node, as, pos[0], (void **)&out, &err);
	else
		rc = att_post_list(node, as, (void **)&out, &err);
	att_node_close(node);
	if (rc)
		return cli_fail(&err);
	if (json)
		return cli_print_json(out);
	if (!show) {
		printf("%-14s %-5s %-24s %-16s %-7s %s\n", "POST", "KIND", "HOST", "CITY", "STAFF",
		       "FIELDS");
		json_array_foreach(out, i, v)
			print_post_line(v);
	} else {
		printf("post      %s\nkind      %s\nhost      %s\ncity      %s\nmission   %s\n"
		       "staffing  %lld used of %lld\n",
		       cli_js(out, "id"), cli_js(out, "kind"), cli_js(out, "host"),
		       cli_js(out, "city"), cli_js(out, "mission"), cli_ji(out, "used"),
		       cli_ji(out, "staffing"));
		printf("fields   ");
		json_array_foreach(json_object_get(out, "fields"), i, v)
			printf(" %s", json_string_value(v));
		printf("\nappointments:\n");
		json_array_foreach(json_object_get(out, "appointments"), i, v)
			printf("  %-5lld %-16s %-16s %s\n", cli_ji(v, "id"), cli_js(v, "person"),
			       cli_js(v, "field"), cli_js(v, "status"));
	}
	json_decref(out);
	return CLI_OK;
}

static int post_staffing(struct cli *cli, int argc, char **argv)
{
	const char *as = NULL, *pos[2];
	struct cli_opt opts[] = {{"as", true, &as, NULL}, {NULL, false, NULL, NULL}};
	struct att_err err = {0};
	struct att_node *node;
	unsigned long long n;
	size_t npos;
	int rc = cli_parse(argc, argv, 2, opts, pos, 2, &npos, usage);

	if (rc)
		return rc < 0 ? CLI_OK : rc;
	if (npos != 2 || !as)
		return cli_usage(usage);
	if (!cli_parse_u64(pos[1], ATT_STAFFING_MAX, &n))
		return cli_usage_error("staffing takes a number from 0 to %lu", ATT_STAFFING_MAX);
	node = cli_open(cli, &rc);
	if (!node)
		return rc;
	rc = att_post_set_staffing(node, as, pos[0], (unsigned long)n, &err) ? cli_fail(&err)
									     : CLI_OK;
	if (!rc)
		printf("post %s: approved staffing %llu\n", pos[0], n);
	att_node_close(node);
	return rc;
}

int cmd_post(struct cli *cli, int argc, char **argv)
{
	if (argc < 2)
		return cli_usage(usage);
	if (!strcmp(argv[1], "add"))
		return post_add(cli, argc, argv);
	if (!strcmp(argv[1], "list"))
		return post_read(cli, argc, argv, false);
	if (!strcmp(argv[1], "show"))
		return post_read(cli, argc, argv, true);
	if (!strcmp(argv[1], "staffing"))
		return post_staffing(cli, argc, argv);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		printf("usage: %s\n", usage);
		return CLI_OK;
	}
	return cli_usage(usage);
}
