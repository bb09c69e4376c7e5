/* attache appoint propose|agree|refuse|make|end|list|show */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "attache/node.h"
#include "attache/registry.h"
#include "cmds.h"
#include "banned.h"

static const char usage[] =
	"attache appoint propose --as USER --person ID --post ID --field F [--start YYYY-MM-DD] "
	"[--end YYYY-MM-DD] [--reason TEXT]\n"
	"       attache appoint agree ID --as USER [--reason TEXT]\n"
	"       attache appoint refuse ID --as USER --reason TEXT\n"
	"       attache appoint make ID --as USER\n"
	"       attache appoint end ID --as USER --reason TEXT\n"
	"       attache appoint list [--post ID] [--status S] [--json] [--as USER]\n"
	"       attache appoint show ID [--json] [--as USER]";

static int propose(struct cli *cli, int argc, char **argv)
{
	const char *as = NULL, *person = NULL, *post = NULL, *field = NULL, *start = NULL,
		   *end = NULL, *reason = NULL, *pos[1];
	struct cli_opt opts[] = {{"as", true, &as, NULL},         {"person", true, &person, NULL},
				 {"post", true, &post, NULL},     {"field", true, &field, NULL},
				 {"start", true, &start, NULL},   {"end", true, &end, NULL},
				 {"reason", true, &reason, NULL}, {NULL, false, NULL, NULL}};
	struct att_appt_spec spec;
	struct att_err err = {0};
	struct att_node *node;
	int64_t id = 0;
	size_t npos;
	int rc = cli_parse(argc, argv, 2, opts, pos, 0, &npos, usage);

	if (rc)
		return rc < 0 ? CLI_OK : rc;
	if (!as || !person || !post || !field)
		return cli_usage(usage);
	node = cli_open(cli, &rc);
	if (!node)
		return rc;
	spec.person = person;
	spec.post = post;
	spec.field = field;
	spec.start = start;
	spec.end = end;
	spec.reason = reason;
	rc = att_appt_propose(node, as, &spec, &id, &err) ? cli_fail(&err) : CLI_OK;
	att_node_close(node);
	if (!rc) {
		printf("%lld\n", (long long)id);
		fprintf(stderr, "proposed appointment %lld: %s to %s (%s); awaits the MFA\n",
			(long long)id, person, post, field);
	}
	return rc;
}

/* agree, refuse, make, end: ID --as USER [--reason TEXT] */
static int step(struct cli *cli, int argc, char **argv)
{
	const char *verb = argv[1], *as = NULL, *reason = NULL, *pos[1];
	bool needs_reason = !strcmp(verb, "refuse") || !strcmp(verb, "end");
	bool takes_reason = strcmp(verb, "make") != 0;
	struct cli_opt opts[] = {{"as", true, &as, NULL},
				 {takes_reason ? "reason" : "", true, &reason, NULL},
				 {NULL, false, NULL, NULL}};
	struct att_err err = {0};
	struct att_node *node;
	json_t *out = NULL;
	int64_t id;
	size_t npos;
	enum att_rc r;
	int rc = cli_parse(argc, argv, 2, opts, pos, 1, &npos, usage);

	if (rc)
		return rc < 0 ? CLI_OK : rc;
	if (npos != 1 || !as || (needs_reason && !reason))
		return cli_usage(usage);
	if (!cli_parse_id(pos[0], &id))
		return cli_usage_error("'%s' is not an appointment number", pos[0]);
	node = cli_open(cli, &rc);
	if (!node)
		return rc;
	if (!strcmp(verb, "agree"))
		r = att_appt_agree(node, as, id, reason, &err);
	else if (!strcmp(verb, "refuse"))
		r = att_appt_refuse(node, as, id, reason, &err);
	else if (!strcmp(verb, "make"))
		r = att_appt_make(node, as, id, &err);
	else
		r = att_appt_end(node, as, id, reason, &err);
	if (r) {
		att_node_close(node);
		return cli_fail(&err);
	}
	if (!att_appt_show(node, as, id, (void **)&out, &err)) {
		printf("appointment %lld: %s\n", (long long)id, cli_js(out, "status"));
		json_decref(out);
	}
	att_node_close(node);
	return CLI_OK;
}

static void print_appt(json_t *a, bool detail)
{
	printf("%-5lld %-16s %-14s %-16s %-17s %s..%s\n", cli_ji(a, "id"), cli_js(a, "person"),
	       cli_js(a, "post"), cli_js(a, "field"), cli_js(a, "status"), cli_js(a, "start"),
	       cli_js(a, "end"));
	if (detail) {
		json_t *h;
		size_t i;

		printf("  %s; proposed by %s; %s\n", cli_js(a, "person_name"), cli_js(a, "proposer"),
		       json_is_true(json_object_get(a, "active")) ? "active" : "not active");
		json_array_foreach(json_object_get(a, "history"), i, h)
			printf("  %s  %-16s %-14s %-10s %s\n", cli_js(h, "at"), cli_js(h, "step"),
			       cli_js(h, "actor"), cli_js(h, "role"),
			       json_is_string(json_object_get(h, "reason")) ? cli_js(h, "reason") : "");
	}
}

static int read_cmd(struct cli *cli, int argc, char **argv, bool show)
{
	const char *as = NULL, *post = NULL, *status = NULL, *pos[1];
	bool json = false;
	struct cli_opt opts[] = {{"as", true, &as, NULL},         {"json", false, NULL, &json},
				 {"post", true, &post, NULL},     {"status", true, &status, NULL},
				 {NULL, false, NULL, NULL}};
	struct att_err err = {0};
	struct att_node *node;
	json_t *out = NULL, *v;
	int64_t id = 0;
	size_t npos, i;
	int rc = cli_parse(argc, argv, 2, opts, pos, show ? 1 : 0, &npos, usage);

	if (rc)
		return rc < 0 ? CLI_OK : rc;
	if (show && (npos != 1 || post || status))
		return cli_usage(usage);
	if (show && !cli_parse_id(pos[0], &id))
		return cli_usage_error("'%s' is not an appointment number", pos[0]);
	node = cli_open(cli, &rc);
	if (!node)
		return rc;
	if (show)
		rc = att_appt_show(node, as, id, (void **)&out, &err);
	else
		rc = att_appt_list(node, as, post, status, (void **)&out, &err);
	att_node_close(node);
	if (rc)
		return cli_fail(&err);
	if (json)
		return cli_print_json(out);
	if (show) {
		print_appt(out, true);
	} else {
		json_array_foreach(out, i, v)
			print_appt(v, false);
	}
	json_decref(out);
	return CLI_OK;
}

int cmd_appoint(struct cli *cli, int argc, char **argv)
{
	if (argc < 2)
		return cli_usage(usage);
	if (!strcmp(argv[1], "propose"))
		return propose(cli, argc, argv);
	if (!strcmp(argv[1], "agree") || !strcmp(argv[1], "refuse") || !strcmp(argv[1], "make") ||
	    !strcmp(argv[1], "end"))
		return step(cli, argc, argv);
	if (!strcmp(argv[1], "list"))
		return read_cmd(cli, argc, argv, false);
	if (!strcmp(argv[1], "show"))
		return read_cmd(cli, argc, argv, true);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		printf("usage: %s\n", usage);
		return CLI_OK;
	}
	return cli_usage(usage);
}
