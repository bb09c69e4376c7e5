/* attache init [--staffing N] */
#include <stdio.h>

#include "attache/node.h"
#include "cmds.h"
#include "banned.h"

int cmd_init(struct cli *cli, int argc, char **argv)
{
	static const char usage[] = "attache init [--staffing N]";
	const char *staffing = NULL, *pos[1];
	unsigned long long n = 0;
	struct cli_opt opts[] = {{"staffing", true, &staffing, NULL}, {NULL, false, NULL, NULL}};
	struct att_err err = {0};
	size_t npos;
	int rc = cli_parse(argc, argv, 1, opts, pos, 0, &npos, usage);

	if (rc)
		return rc < 0 ? CLI_OK : rc;
	if (staffing && !cli_parse_u64(staffing, 100000, &n))
		return cli_usage_error("--staffing takes a number from 0 to 100000");
	if (att_node_init(cli->db_path, (unsigned long)n, &err))
		return cli_fail(&err);
	printf("created node %s (key %s.key), service-wide staffing level %llu\n", cli->db_path,
	       cli->db_path, n);
	return CLI_OK;
}
