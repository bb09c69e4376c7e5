/* attache send --as USER --file FILE|- : the canonical message form. */
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "attache/exchange.h"
#include "attache/node.h"
#include "cmds.h"
#include "banned.h"

int cmd_send(struct cli *cli, int argc, char **argv)
{
	static const char usage[] = "attache send --as USER --file FILE|- [--json]";
	const char *as = NULL, *file = NULL, *pos[1];
	bool json = false;
	struct cli_opt opts[] = {{"as", true, &as, NULL}, {"file", true, &file, NULL},
				 {"json", false, NULL, &json}, {NULL, false, NULL, NULL}};
	struct att_send_result res;
	struct att_err err = {0};
	struct att_node *node;
	size_t npos, len = 0;
	char *text;
	int rc = cli_parse(argc, argv, 1, opts, pos, 0, &npos, usage);

	if (rc)
		return rc < 0 ? CLI_OK : rc;
	if (!as || !file)
		return cli_usage(usage);
	/* The size limit is checked before anything else is done. */
	text = cli_read_file(file, ATT_MSG_MAX, &len, &err);
	if (!text)
		return cli_fail(&err);
	node = cli_open(cli, &rc);
	if (!node) {
		free(text);
		return rc;
	}
	rc = att_msg_send(node, as, text, len, &res, &err) ? cli_fail(&err) : CLI_OK;
	free(text);
	att_node_close(node);
	if (rc)
		return rc;
	if (json) {
		cli_print_json(json_pack("{s:I,s:b,s:O,s:I}", "id", (json_int_t)res.id, "held",
					 res.held, "reasons",
					 res.reasons ? (json_t *)res.reasons : json_null(), "hits",
					 (json_int_t)res.hits));
	} else {
		printf("%lld\n", (long long)res.id);
	}
	if (res.held) {
		char *r = json_dumps(res.reasons, JSON_COMPACT);

		fprintf(stderr, "message %lld is held for review by the overseer: %s\n",
			(long long)res.id, r ? r : "");
		free(r);
	} else if (res.hits) {
		fprintf(stderr, "message %lld delivered; %zu hit(s): see 'attache hits'\n",
			(long long)res.id, res.hits);
	}
	att_send_result_release(&res);
	return CLI_OK;
}
