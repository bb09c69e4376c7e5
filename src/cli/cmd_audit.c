/* attache audit verify|log|head */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "attache/audit.h"
#include "attache/node.h"
#include "cmds.h"
#include "util.h"
#include "banned.h"

static const char usage[] = "attache audit verify [--json]\n"
			    "       attache audit log [--json] [--limit N] [--before SEQ] [--as USER]\n"
			    "       attache audit head [--json]";

static int verify(struct cli *cli, int argc, char **argv)
{
	const char *pos[1];
	bool json = false;
	struct cli_opt opts[] = {{"json", false, NULL, &json}, {NULL, false, NULL, NULL}};
	struct att_audit_report rep;
	struct att_err err = {0};
	struct att_node *node;
	char root[2 * ATT_HASH_LEN + 1];
	enum att_rc r;
	size_t npos;
	int rc = cli_parse(argc, argv, 2, opts, pos, 0, &npos, usage);

	if (rc)
		return rc < 0 ? CLI_OK : rc;
	node = cli_open(cli, &rc);
	if (!node)
		return rc;
	r = att_audit_verify(node, &rep, &err);
	att_node_close(node);
	if (r && r != ATT_ETAMPER)
		return cli_fail(&err);
	if (json) {
		att_hex(rep.root, ATT_HASH_LEN, root);
		cli_print_json(json_pack("{s:b,s:I,s:I,s:s?,s:I,s:s}", "ok", rep.ok, "entries",
					 (json_int_t)rep.entries, "heads", (json_int_t)rep.heads,
					 "reason", rep.ok ? NULL : rep.reason, "bad_entry",
					 (json_int_t)rep.bad_entry, "root", rep.ok ? root : ""));
		return rep.ok ? CLI_OK : CLI_REFUSED;
	}
	if (!rep.ok)
		return cli_fail(&err);
	att_hex(rep.root, ATT_HASH_LEN, root);
	printf("audit log intact: %llu entries, %llu signed tree heads verified, root %s\n",
	       (unsigned long long)rep.entries, (unsigned long long)rep.heads, root);
	return CLI_OK;
}

static int log_cmd(struct cli *cli, int argc, char **argv)
{
	const char *as = NULL, *limit = NULL, *before = NULL, *pos[1];
	bool json = false;
	struct cli_opt opts[] = {{"json", false, NULL, &json},   {"as", true, &as, NULL},
				 {"limit", true, &limit, NULL},  {"before", true, &before, NULL},
				 {NULL, false, NULL, NULL}};
	unsigned long long lim = 100, bef = 0;
	struct att_err err = {0};
	struct att_node *node;
	json_t *arr = NULL, *e;
	size_t npos, i;
	int rc = cli_parse(argc, argv, 2, opts, pos, 0, &npos, usage);

	if (rc)
		return rc < 0 ? CLI_OK : rc;
	if (limit && (!cli_parse_u64(limit, 10000, &lim) || lim == 0))
		return cli_usage_error("--limit takes a number from 1 to 10000");
	if (before && !cli_parse_u64(before, (unsigned long long)INT64_MAX, &bef))
		return cli_usage_error("--before takes an entry number");
	node = cli_open(cli, &rc);
	if (!node)
		return rc;
	rc = att_audit_list(node, as, bef, (size_t)lim, (void **)&arr, &err);
	att_node_close(node);
	if (rc)
		return cli_fail(&err);
	if (json)
		return cli_print_json(arr);
	json_array_foreach(arr, i, e) {
		char *d = json_dumps(json_object_get(e, "detail"), JSON_COMPACT);

		printf("%6lld %s %-18s %-22s %-24s %s\n", cli_ji(e, "seq"), cli_js(e, "ts"),
		       cli_js(e, "actor"), cli_js(e, "action"), cli_js(e, "object"), d ? d : "");
		free(d);
	}
	json_decref(arr);
	return CLI_OK;
}

static int head(struct cli *cli, int argc, char **argv)
{
	const char *pos[1];
	bool json = false;
	struct cli_opt opts[] = {{"json", false, NULL, &json}, {NULL, false, NULL, NULL}};
	struct att_err err = {0};
	struct att_node *node;
	json_t *h = NULL;
	size_t npos;
	int rc = cli_parse(argc, argv, 2, opts, pos, 0, &npos, usage);

	if (rc)
		return rc < 0 ? CLI_OK : rc;
	node = cli_open(cli, &rc);
	if (!node)
		return rc;
	rc = att_audit_head(node, (void **)&h, &err);
	att_node_close(node);
	if (rc)
		return cli_fail(&err);
	if (json)
		return cli_print_json(h);
	printf("size %lld\nroot %s\nat   %s\nsig  %s\nkey  %s\n", cli_ji(h, "size"),
	       cli_js(h, "root"), cli_js(h, "ts"), cli_js(h, "signature"), cli_js(h, "key"));
	json_decref(h);
	return CLI_OK;
}

int cmd_audit(struct cli *cli, int argc, char **argv)
{
	if (argc < 2)
		return cli_usage(usage);
	if (!strcmp(argv[1], "verify"))
		return verify(cli, argc, argv);
	if (!strcmp(argv[1], "log"))
		return log_cmd(cli, argc, argv);
	if (!strcmp(argv[1], "head"))
		return head(cli, argc, argv);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		printf("usage: %s\n", usage);
		return CLI_OK;
	}
	return cli_usage(usage);
}
