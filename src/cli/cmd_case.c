/* attache case open|list|show|grant */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "attache/exchange.h"
#include "attache/node.h"
#include "cmds.h"
#include "banned.h"

static const char usage[] =
	"attache case open --as USER --field F --title T --purpose TEXT --legal-basis TEXT "
	"[--subarea S] [--review YYYY-MM-DD]\n"
	"       attache case list --as USER [--json]\n"
	"       attache case show ID --as USER [--json]\n"
	"       attache case grant ID --to USER|UNIT --as USER";

static int open_case(struct cli *cli, int argc, char **argv)
{
	const char *as = NULL, *field = NULL, *title = NULL, *purpose = NULL, *legal = NULL,
		   *sub = NULL, *review = NULL, *pos[1];
	struct cli_opt opts[] = {{"as", true, &as, NULL},          {"field", true, &field, NULL},
				 {"title", true, &title, NULL},    {"purpose", true, &purpose, NULL},
				 {"legal-basis", true, &legal, NULL}, {"subarea", true, &sub, NULL},
				 {"review", true, &review, NULL},  {NULL, false, NULL, NULL}};
	struct att_case_spec spec = {NULL, NULL, NULL, NULL, NULL, NULL};
	struct att_err err = {0};
	struct att_node *node;
	int64_t id = 0;
	size_t npos;
	int rc = cli_parse(argc, argv, 2, opts, pos, 0, &npos, usage);

	if (rc)
		return rc < 0 ? CLI_OK : rc;
	if (!as || !field || !title || !purpose || !legal)
		return cli_usage(usage);
	node = cli_open(cli, &rc);
	if (!node)
		return rc;
	spec.field = field;
	spec.title = title;
	spec.purpose = purpose;
	spec.legal_basis = legal;
	spec.subarea = sub;
	spec.review_date = review;
	rc = att_case_open(node, as, &spec, &id, &err) ? cli_fail(&err) : CLI_OK;
	att_node_close(node);
	if (!rc)
		printf("%lld\n", (long long)id);
	return rc;
}

static int read_cases(struct cli *cli, int argc, char **argv, bool show)
{
	const char *as = NULL, *pos[1];
	bool json = false;
	struct cli_opt opts[] = {{"as", true, &as, NULL}, {"json", false, NULL, &json},
				 {NULL, false, NULL, NULL}};
	struct att_err err = {0};
	struct att_node *node;
	json_t *out = NULL, *v;
	int64_t id = 0;
	size_t npos, i;
	int rc = cli_parse(argc, argv, 2, opts, pos, show ? 1 : 0, &npos, usage);

	if (rc)
		return rc < 0 ? CLI_OK : rc;
	if (!as || (show && npos != 1))
		return cli_usage(usage);
	if (show && !cli_parse_id(pos[0], &id))
		return cli_usage_error("'%s' is not a case number", pos[0]);
	node = cli_open(cli, &rc);
	if (!node)
		return rc;
	rc = (int)(show ? att_case_show(node, as, id, (void **)&out, &err)
		  : att_case_list(node, as, (void **)&out, &err));
	att_node_close(node);
	if (rc)
		return cli_fail(&err);
	if (json)
		return cli_print_json(out);
	if (show) {
		printf("case %lld  %s  [%s]  %s\n  owner %s  review %s\n  purpose: %s\n  legal "
		       "basis: %s\n",
		       cli_ji(out, "id"), cli_js(out, "title"), cli_js(out, "field"),
		       cli_js(out, "status"), cli_js(out, "owner_unit"), cli_js(out, "review_date"),
		       cli_js(out, "purpose"), cli_js(out, "legal_basis"));
		json_array_foreach(json_object_get(out, "messages"), i, v)
			printf("  %6lld %-12s %-20s %s\n", cli_ji(v, "id"), cli_js(v, "type"),
			       cli_js(v, "sender_unit"), cli_js(v, "subject"));
	} else {
		json_array_foreach(out, i, v)
			printf("%6lld %-16s %-22s %s\n", cli_ji(v, "id"), cli_js(v, "field"),
			       cli_js(v, "owner_unit"), cli_js(v, "title"));
	}
	json_decref(out);
	return CLI_OK;
}

static int grant(struct cli *cli, int argc, char **argv)
{
	const char *as = NULL, *to = NULL, *pos[1];
	struct cli_opt opts[] = {{"as", true, &as, NULL}, {"to", true, &to, NULL},
				 {NULL, false, NULL, NULL}};
	struct att_err err = {0};
	struct att_node *node;
	int64_t id;
	size_t npos;
	int rc = cli_parse(argc, argv, 2, opts, pos, 1, &npos, usage);

	if (rc)
		return rc < 0 ? CLI_OK : rc;
	if (!as || !to || npos != 1)
		return cli_usage(usage);
	if (!cli_parse_id(pos[0], &id))
		return cli_usage_error("'%s' is not a case number", pos[0]);
	node = cli_open(cli, &rc);
	if (!node)
		return rc;
	rc = att_case_grant(node, as, id, to, &err) ? cli_fail(&err) : CLI_OK;
	att_node_close(node);
	if (!rc)
		printf("case %lld: access granted to %s\n", (long long)id, to);
	return rc;
}

int cmd_case(struct cli *cli, int argc, char **argv)
{
	if (argc < 2)
		return cli_usage(usage);
	if (!strcmp(argv[1], "open"))
		return open_case(cli, argc, argv);
	if (!strcmp(argv[1], "list"))
		return read_cases(cli, argc, argv, false);
	if (!strcmp(argv[1], "show"))
		return read_cases(cli, argc, argv, true);
	if (!strcmp(argv[1], "grant"))
		return grant(cli, argc, argv);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		printf("usage: %s\n", usage);
		return CLI_OK;
	}
	return cli_usage(usage);
}
