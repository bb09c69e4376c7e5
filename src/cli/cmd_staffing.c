/* attache staffing [N --as USER] [--json] */
#include <stdio.h>

#include <jansson.h>

#include "attache/node.h"
#include "attache/registry.h"
#include "cmds.h"
#include "banned.h"

int cmd_staffing(struct cli *cli, int argc, char **argv)
{
	static const char usage[] = "attache staffing [N --as USER] [--json]";
	const char *as = NULL, *pos[1];
	bool json = false;
	struct cli_opt opts[] = {{"as", true, &as, NULL}, {"json", false, NULL, &json},
				 {NULL, false, NULL, NULL}};
	struct att_err err = {0};
	struct att_node *node;
	unsigned long long n = 0;
	json_t *out = NULL;
	size_t npos;
	int rc = cli_parse(argc, argv, 1, opts, pos, 1, &npos, usage);

	if (rc)
		return rc < 0 ? CLI_OK : rc;
	if (npos == 1 && !as)
		return cli_usage_error("setting the staffing level needs --as USER\nusage: %s", usage);
	if (npos == 1 && !cli_parse_u64(pos[0], ATT_STAFFING_MAX, &n))
		return cli_usage_error("staffing takes a number from 0 to %lu", ATT_STAFFING_MAX);
	node = cli_open(cli, &rc);
	if (!node)
		return rc;
	if (npos == 1) {
		rc = att_staffing_set(node, as, (unsigned long)n, &err) ? cli_fail(&err) : CLI_OK;
		if (!rc)
			printf("service-wide staffing level %llu\n", n);
		att_node_close(node);
		return rc;
	}
	rc = att_staffing_get(node, as, (void **)&out, &err);
	att_node_close(node);
	if (rc)
		return cli_fail(&err);
	if (json)
		return cli_print_json(out);
	printf("service-wide staffing level %lld, %lld in use\n", cli_ji(out, "level"),
	       cli_ji(out, "used"));
	json_decref(out);
	return CLI_OK;
}
