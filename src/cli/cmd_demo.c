/* attache demo [--db PATH] */
#include <stdio.h>

#include "attache/demo.h"
#include "cmds.h"
#include "banned.h"

static void say(const char *line, void *arg)
{
	(void)arg;
	printf("%s\n", line);
}

int cmd_demo(struct cli *cli, int argc, char **argv)
{
	static const char usage[] = "attache demo [--db PATH]";
	const char *pos[1];
	struct cli_opt opts[] = {{NULL, false, NULL, NULL}};
	struct att_err err = {0};
	size_t npos;
	int rc = cli_parse(argc, argv, 1, opts, pos, 0, &npos, usage);

	if (rc)
		return rc < 0 ? CLI_OK : rc;
	if (att_demo_create(cli->db_path, say, NULL, &err))
		return cli_fail(&err);
	printf("demo node ready (%s). Try:\n"
	       "  attache --db %s appoint list\n"
	       "  attache --db %s inbox --as desk-oc\n"
	       "  attache --db %s hits --as rep-gasimov\n"
	       "  attache --db %s overdue --as desk-oc\n"
	       "  attache --db %s review list --as overseer\n"
	       "  attache --db %s serve   (web UI; users above, password %s)\n",
	       cli->db_path, cli->db_path, cli->db_path, cli->db_path, cli->db_path, cli->db_path,
	       cli->db_path, ATT_DEMO_PASSWORD);
	return CLI_OK;
}
