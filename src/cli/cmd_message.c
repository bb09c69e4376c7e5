/* attache inbox | show | ack | forward | permit | export */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "attache/exchange.h"
#include "attache/node.h"
#include "cmds.h"
#include "banned.h"

int cmd_inbox(struct cli *cli, int argc, char **argv)
{
	static const char usage[] = "attache inbox --as USER [--limit N] [--before ID] [--json]";
	const char *as = NULL, *limit = NULL, *before = NULL, *pos[1];
	bool json = false;
	struct cli_opt opts[] = {{"as", true, &as, NULL},         {"json", false, NULL, &json},
				 {"limit", true, &limit, NULL},   {"before", true, &before, NULL},
				 {NULL, false, NULL, NULL}};
	unsigned long long lim = 50;
	int64_t bef = 0;
	struct att_err err = {0};
	struct att_node *node;
	json_t *out = NULL, *v;
	size_t npos, i;
	int rc = cli_parse(argc, argv, 1, opts, pos, 0, &npos, usage);

	if (rc)
		return rc < 0 ? CLI_OK : rc;
	if (!as)
		return cli_usage(usage);
	if (limit && (!cli_parse_u64(limit, 500, &lim) || !lim))
		return cli_usage_error("--limit takes a number from 1 to 500");
	if (before && !cli_parse_id(before, &bef))
		return cli_usage_error("--before takes a message number");
	node = cli_open(cli, &rc);
	if (!node)
		return rc;
	rc = att_inbox(node, as, bef, (size_t)lim, (void **)&out, &err);
	att_node_close(node);
	if (rc)
		return cli_fail(&err);
	if (json)
		return cli_print_json(out);
	json_array_foreach(json_object_get(out, "items"), i, v) {
		printf("%6lld %-4s %-9s %-12s %-2s %-20s %-10s %s%s\n", cli_ji(v, "id"),
		       json_is_true(json_object_get(v, "overdue")) ? "LATE" : "",
		       cli_js(v, "priority"), cli_js(v, "type"), cli_js(v, "handling"),
		       cli_js(v, "sender_unit"), cli_js(v, "my_state"), cli_js(v, "subject"),
		       !strcmp(cli_js(v, "status"), "held") ? "  [held for review]" : "");
	}
	json_decref(out);
	return CLI_OK;
}

int cmd_show(struct cli *cli, int argc, char **argv)
{
	static const char usage[] = "attache show MSG --as USER [--json]";
	const char *as = NULL, *pos[1];
	bool json = false;
	struct cli_opt opts[] = {{"as", true, &as, NULL}, {"json", false, NULL, &json},
				 {NULL, false, NULL, NULL}};
	struct att_err err = {0};
	struct att_node *node;
	json_t *m = NULL, *v;
	int64_t id;
	size_t npos, i;
	int rc = cli_parse(argc, argv, 1, opts, pos, 1, &npos, usage);

	if (rc)
		return rc < 0 ? CLI_OK : rc;
	if (!as || npos != 1)
		return cli_usage(usage);
	if (!cli_parse_id(pos[0], &id))
		return cli_usage_error("'%s' is not a message number", pos[0]);
	node = cli_open(cli, &rc);
	if (!node)
		return rc;
	rc = att_msg_show(node, as, id, (void **)&m, &err);
	att_node_close(node);
	if (rc)
		return cli_fail(&err);
	if (json)
		return cli_print_json(m);
	printf("message %lld (%s) in case %lld, %s\n", cli_ji(m, "id"), cli_js(m, "type"),
	       cli_ji(m, "case"), cli_js(m, "status"));
	printf("handling %s%s%s   evaluation %s   priority %s   deadline %s\n",
	       cli_js(m, "handling"), json_is_string(json_object_get(m, "handling_text")) ? ": " : "",
	       json_is_string(json_object_get(m, "handling_text")) ? cli_js(m, "handling_text") : "",
	       cli_js(m, "evaluation"), cli_js(m, "priority"), cli_js(m, "deadline"));
	printf("from %s (%s)  field %s\nto  ", cli_js(m, "sender_unit"), cli_js(m, "sender"),
	       cli_js(m, "field"));
	json_array_foreach(json_object_get(m, "to"), i, v)
		printf(" %s [%s]", cli_js(v, "unit"), cli_js(v, "state"));
	printf("\npurpose: %s\nsubject: %s\n\n%s\n", cli_js(m, "purpose"), cli_js(m, "subject"),
	       cli_js(m, "body"));
	if (json_is_string(json_object_get(m, "legal_basis")))
		printf("legal basis: %s\n", cli_js(m, "legal_basis"));
	if (json_is_object(json_object_get(m, "preservation"))) {
		/* the art. 29(2) elements, in the convention's order */
		static const char *const el[] = {"authority", "offence",   "facts",
						 "data",      "custodian", "necessity"};
		json_t *p = json_object_get(m, "preservation");

		printf("preservation (Budapest Convention art. 29(2)) until %s:\n",
		       cli_js(p, "until"));
		for (size_t k = 0; k < sizeof(el) / sizeof(el[0]); k++)
			printf("  %-10s %s\n", el[k], cli_js(p, el[k]));
		printf("  %-10s %s\n", "mlat",
		       json_is_true(json_object_get(p, "mlat_intent"))
			       ? "a request for mutual assistance will follow"
			       : "no");
	}
	json_array_foreach(json_object_get(m, "entities"), i, v) {
		const char *val = json_is_string(json_object_get(v, "name")) ? cli_js(v, "name")
									     : cli_js(v, "value");
		printf("  entity %-12s %s\n", cli_js(v, "type"), val);
	}
	if (json_object_get(m, "review")) {
		char *r = json_dumps(json_object_get(json_object_get(m, "review"), "reasons"),
				     JSON_COMPACT);

		printf("held for review (%s): %s\n",
		       cli_js(json_object_get(m, "review"), "state"), r ? r : "");
		free(r);
	}
	json_decref(m);
	return CLI_OK;
}

/* ack, forward, permit: MSG --as USER [--to UNIT] */
static int act(struct cli *cli, int argc, char **argv, const char *verb)
{
	char usage[128];
	const char *as = NULL, *to = NULL, *pos[1];
	bool needs_to = strcmp(verb, "ack") != 0;
	struct cli_opt opts[] = {{"as", true, &as, NULL},
				 {needs_to ? "to" : "", true, &to, NULL},
				 {NULL, false, NULL, NULL}};
	struct att_err err = {0};
	struct att_node *node;
	int64_t id;
	size_t npos;
	int rc;

	snprintf(usage, sizeof(usage), "attache %s MSG --as USER%s", verb,
		 needs_to ? " --to UNIT" : "");
	rc = cli_parse(argc, argv, 1, opts, pos, 1, &npos, usage);
	if (rc)
		return rc < 0 ? CLI_OK : rc;
	if (!as || npos != 1 || (needs_to && !to))
		return cli_usage(usage);
	if (!cli_parse_id(pos[0], &id))
		return cli_usage_error("'%s' is not a message number", pos[0]);
	node = cli_open(cli, &rc);
	if (!node)
		return rc;
	if (!strcmp(verb, "ack"))
		rc = att_msg_ack(node, as, id, &err);
	else if (!strcmp(verb, "forward"))
		rc = att_msg_forward(node, as, id, to, &err);
	else
		rc = att_msg_permit(node, as, id, to, &err);
	att_node_close(node);
	if (rc)
		return cli_fail(&err);
	if (!strcmp(verb, "ack"))
		printf("message %lld acknowledged\n", (long long)id);
	else if (!strcmp(verb, "forward"))
		printf("message %lld passed on to %s\n", (long long)id, to);
	else
		printf("message %lld: permission recorded for %s\n", (long long)id, to);
	return CLI_OK;
}

int cmd_ack(struct cli *cli, int argc, char **argv)
{
	return act(cli, argc, argv, "ack");
}

int cmd_forward(struct cli *cli, int argc, char **argv)
{
	return act(cli, argc, argv, "forward");
}

int cmd_permit(struct cli *cli, int argc, char **argv)
{
	return act(cli, argc, argv, "permit");
}

int cmd_export(struct cli *cli, int argc, char **argv)
{
	static const char usage[] = "attache export MSG --as USER --judicial";
	const char *as = NULL, *pos[1];
	bool judicial = false;
	struct cli_opt opts[] = {{"as", true, &as, NULL}, {"judicial", false, NULL, &judicial},
				 {NULL, false, NULL, NULL}};
	struct att_err err = {0};
	struct att_node *node;
	json_t *m = NULL;
	int64_t id;
	size_t npos;
	int rc = cli_parse(argc, argv, 1, opts, pos, 1, &npos, usage);

	if (rc)
		return rc < 0 ? CLI_OK : rc;
	if (!as || npos != 1 || !judicial)
		return cli_usage(usage);
	if (!cli_parse_id(pos[0], &id))
		return cli_usage_error("'%s' is not a message number", pos[0]);
	node = cli_open(cli, &rc);
	if (!node)
		return rc;
	rc = att_msg_export(node, as, id, (void **)&m, &err);
	att_node_close(node);
	if (rc)
		return cli_fail(&err);
	return cli_print_json(m);
}

int cmd_attach(struct cli *cli, int argc, char **argv)
{
	static const char usage[] =
		"attache attach MSG --as USER --file FILE [--name NAME] [--mime TYPE]";
	const char *as = NULL, *file = NULL, *name = NULL, *mime = NULL, *pos[1];
	struct cli_opt opts[] = {{"as", true, &as, NULL},     {"file", true, &file, NULL},
				 {"name", true, &name, NULL}, {"mime", true, &mime, NULL},
				 {NULL, false, NULL, NULL}};
	struct att_err err = {0};
	struct att_node *node;
	int64_t msg, id = 0;
	size_t npos, len = 0;
	char *data;
	int rc = cli_parse(argc, argv, 1, opts, pos, 1, &npos, usage);

	if (rc)
		return rc < 0 ? CLI_OK : rc;
	if (!as || !file || npos != 1)
		return cli_usage(usage);
	if (!cli_parse_id(pos[0], &msg))
		return cli_usage_error("'%s' is not a message number", pos[0]);
	if (!name) {
		name = strrchr(file, '/');
		name = name ? name + 1 : file;
	}
	data = cli_read_file(file, ATT_ATTACH_MAX, &len, &err);
	if (!data)
		return cli_fail(&err);
	node = cli_open(cli, &rc);
	if (node) {
		rc = att_msg_attach(node, as, msg, name, mime, data, len, &id, &err) ? cli_fail(&err)
										     : CLI_OK;
		att_node_close(node);
	}
	free(data);
	if (!rc)
		printf("%lld\n", (long long)id);
	return rc;
}

int cmd_attachment(struct cli *cli, int argc, char **argv)
{
	static const char usage[] = "attache attachment MSG ID --as USER [--out FILE]";
	const char *as = NULL, *out = NULL, *pos[2];
	struct cli_opt opts[] = {{"as", true, &as, NULL}, {"out", true, &out, NULL},
				 {NULL, false, NULL, NULL}};
	struct att_err err = {0};
	struct att_node *node;
	char name[256], mime[128];
	int64_t msg, id;
	size_t npos, len = 0;
	void *data = NULL;
	FILE *f;
	int rc = cli_parse(argc, argv, 1, opts, pos, 2, &npos, usage);

	if (rc)
		return rc < 0 ? CLI_OK : rc;
	if (!as || npos != 2)
		return cli_usage(usage);
	if (!cli_parse_id(pos[0], &msg) || !cli_parse_id(pos[1], &id))
		return cli_usage_error("message and attachment are numbers");
	node = cli_open(cli, &rc);
	if (!node)
		return rc;
	rc = att_msg_attachment(node, as, msg, id, name, mime, &data, &len, &err);
	att_node_close(node);
	if (rc)
		return cli_fail(&err);
	f = out ? fopen(out, "wb") : stdout;
	if (!f || fwrite(data, 1, len, f) != len) {
		free(data);
		if (f && f != stdout)
			fclose(f);
		return cli_usage_error("cannot write %s", out ? out : "standard output");
	}
	if (f != stdout)
		fclose(f);
	free(data);
	if (out)
		fprintf(stderr, "%s (%s, %zu bytes) written to %s\n", name, mime, len, out);
	return CLI_OK;
}
