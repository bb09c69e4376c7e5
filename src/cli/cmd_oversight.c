/* attache protect add|list ; attache review list|release|reject ;
 * attache neutrality list|add|remove — the overseer's commands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "attache/exchange.h"
#include "attache/node.h"
#include "cmds.h"
#include "banned.h"

static const char protect_usage[] =
	"attache protect add --as USER --name NAME [--dob D] [--category C] [--reason TEXT] "
	"[--json]\n"
	"       attache protect list --as USER [--json]\n"
	"       attache protect rescan --as USER [--json]";
static const char review_usage[] = "attache review list --as USER [--json]\n"
				   "       attache review release MSG --as USER --reason TEXT\n"
				   "       attache review reject MSG --as USER --reason TEXT";
static const char neutrality_usage[] =
	"attache neutrality list [--as USER] [--json]\n"
	"       attache neutrality add TERM --lang az|ru|en --category C --as USER\n"
	"       attache neutrality remove TERM --as USER";

static int print_list(json_t *out, bool json, void (*line)(json_t *v))
{
	json_t *v;
	size_t i;

	if (json)
		return cli_print_json(out);
	json_array_foreach(out, i, v)
		line(v);
	json_decref(out);
	return CLI_OK;
}

static void protect_line(json_t *v)
{
	json_t *r = json_object_get(v, "rescan");
	char st[64] = "";

	if (r && !json_is_null(json_object_get(r, "finished")))
		snprintf(st, sizeof(st), "sent text read (%lld held)", cli_ji(r, "held"));
	else if (r)
		snprintf(st, sizeof(st), "sent text: %lld of %lld read", cli_ji(r, "read"),
			 cli_ji(r, "of"));
	printf("%5lld ", cli_ji(v, "id"));
	cli_put_padded(cli_js(v, "name"), 24);
	printf(" %-12s %-22s %s  %s\n", cli_js(v, "dob"), cli_js(v, "category"),
	       cli_js(v, "added"), st);
}

/* "N what: id, id, ..." on standard error, the first 20 ids. */
static void print_ids(const char *what, const int64_t *ids, size_t n)
{
	if (!n)
		return;
	fprintf(stderr, "%zu %s:", n, what);
	for (size_t i = 0; i < n && i < 20; i++)
		fprintf(stderr, " %lld", (long long)ids[i]);
	if (n > 20)
		fprintf(stderr, " and %zu more (--json lists them all)", n - 20);
	fputc('\n', stderr);
}

/* What the register did to what was sent before, on standard error. */
static void print_result(const struct att_protect_result *res)
{
	print_ids("delivered message(s) naming this person are held for review again", res->held,
		  res->nheld);
	print_ids("message(s) already held now name this person too", res->flagged,
		  res->nflagged);
}

/* On a terminal, where a long reading is, at most every two seconds (a
 * short one says nothing). */
struct progress {
	time_t last;
	bool shown;
};

static void rescan_progress(const struct att_rescan_state *st, void *arg)
{
	struct progress *p = arg;
	time_t now = time(NULL);

	if (st->finished ? !p->shown : now - p->last < 2)
		return;
	p->last = now;
	p->shown = !st->finished;
	fprintf(stderr, "\rreading the messages sent before for entry %lld: %lld of %lld%s",
		(long long)st->reg, (long long)st->read, (long long)st->total,
		st->finished ? "\n" : "");
}

/* Runs the rescans left (the text of what was sent before) into res; false
 * with the reason in err when one stopped. */
static bool rescan(struct att_node *node, const char *as, struct att_protect_result *res,
		   struct att_err *err)
{
	struct progress last = {time(NULL), false};
	bool tty = isatty(STDERR_FILENO);

	return !att_protect_rescan(node, as, 0, tty ? rescan_progress : NULL, &last, res, NULL, err);
}

static void review_line(json_t *v)
{
	json_t *r;
	size_t i;

	printf("%6lld %-18s %-16s %s\n", cli_ji(v, "id"), cli_js(v, "sender_unit"),
	       cli_js(v, "field"), cli_js(v, "subject"));
	json_array_foreach(json_object_get(v, "reasons"), i, r) {
		if (!strcmp(cli_js(r, "kind"), "neutrality"))
			printf("         neutrality: %s term '%s' in the %s\n", cli_js(r, "category"),
			       cli_js(r, "term"), cli_js(r, "where"));
		else if (!strcmp(cli_js(r, "kind"), "protected-unreadable"))
			printf("         protected persons: its stored content cannot be opened "
			       "(damaged): not checked\n");
		else if (!strcmp(cli_js(r, "kind"), "protected-unchecked"))
			printf("         protected persons: the %s holds too many possible names to "
			       "check: read it\n",
			       cli_js(r, "where"));
		else if (json_object_get(r, "where"))
			printf("         protected person: named in the %s, register entry %lld "
			       "(score %.2f)%s\n",
			       cli_js(r, "where"), cli_ji(r, "register"),
			       json_real_value(json_object_get(r, "score")),
			       json_is_true(json_object_get(r, "after_delivery"))
				       ? ", registered after delivery: held again"
				       : "");
		else
			printf("         protected person: entity %lld matches register entry %lld "
			       "(score %.2f)%s\n",
			       cli_ji(r, "entity"), cli_ji(r, "register"),
			       json_real_value(json_object_get(r, "score")),
			       json_is_true(json_object_get(r, "after_delivery"))
				       ? ", registered after delivery: held again"
				       : "");
	}
}

static void term_line(json_t *v)
{
	printf("%-3s %-12s %s\n", cli_js(v, "lang"), cli_js(v, "category"), cli_js(v, "term"));
}

int cmd_protect(struct cli *cli, int argc, char **argv)
{
	const char *as = NULL, *name = NULL, *dob = NULL, *cat = NULL, *reason = NULL, *pos[1];
	bool json = false, add = argc > 1 && !strcmp(argv[1], "add");
	struct cli_opt opts[] = {{"as", true, &as, NULL},         {"name", true, &name, NULL},
				 {"dob", true, &dob, NULL},       {"category", true, &cat, NULL},
				 {"reason", true, &reason, NULL}, {"json", false, NULL, &json},
				 {NULL, false, NULL, NULL}};
	struct att_err err = {0};
	struct att_node *node;
	json_t *out = NULL;
	size_t npos;
	int rc;

	if (argc < 2 || (!add && strcmp(argv[1], "list") && strcmp(argv[1], "rescan"))) {
		if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
			printf("usage: %s\n", protect_usage);
			return CLI_OK;
		}
		return cli_usage(protect_usage);
	}
	rc = cli_parse(argc, argv, 2, opts, pos, 0, &npos, protect_usage);
	if (rc)
		return rc < 0 ? CLI_OK : rc;
	if (!as || (add && !name) || (!add && (name || dob || cat || reason)))
		return cli_usage(protect_usage);
	node = cli_open(cli, &rc);
	if (!node)
		return rc;
	if (add || !strcmp(argv[1], "rescan")) {
		struct att_protect_spec spec = {name, dob, cat, reason};
		struct att_protect_result res = {NULL, 0, NULL, 0};
		int64_t id = 0;
		bool done;

		if (add && att_protect_add(node, as, &spec, &id, &res, &err)) {
			att_node_close(node);
			return cli_fail(&err);
		}
		/* the entry is added (its id printed whatever follows); then
		 * the text of what was sent before is read */
		if (add && !json)
			printf("%lld\n", (long long)id);
		fflush(stdout);
		done = rescan(node, as, &res, &err);
		att_node_close(node);
		if (json && (done || add)) {
			json_t *o = att_protect_result_json(id, &res);

			if (o && !add)
				json_object_del(o, "id");
			if (o)
				json_object_set_new(o, "rescan_finished", json_boolean(done));
			if (o && !done)
				json_object_set_new(o, "rescan_error", json_string(err.msg));
			cli_print_json(o);
		}
		print_result(&res);
		att_protect_result_release(&res);
		if (done)
			return CLI_OK;
		/* what was read is kept; the entry stands (added: not a failure
		 * of add, which a script must not repeat) */
		fprintf(stderr, "attache: reading the messages sent before stopped: %s "
				"(what was read is kept; 'attache protect rescan' or the server goes "
				"on)\n",
			err.msg);
		return add ? CLI_OK : CLI_REFUSED;
	}
	rc = att_protect_list(node, as, (void **)&out, &err);
	att_node_close(node);
	return rc ? cli_fail(&err) : print_list(out, json, protect_line);
}

int cmd_review(struct cli *cli, int argc, char **argv)
{
	const char *as = NULL, *reason = NULL, *pos[1];
	bool json = false, list = argc > 1 && !strcmp(argv[1], "list");
	bool release = argc > 1 && !strcmp(argv[1], "release");
	struct cli_opt opts[] = {{"as", true, &as, NULL}, {"reason", true, &reason, NULL},
				 {"json", false, NULL, &json}, {NULL, false, NULL, NULL}};
	struct att_err err = {0};
	struct att_node *node;
	json_t *out = NULL;
	int64_t id = 0;
	size_t npos;
	int rc;

	if (argc < 2 || (!list && !release && strcmp(argv[1], "reject"))) {
		if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
			printf("usage: %s\n", review_usage);
			return CLI_OK;
		}
		return cli_usage(review_usage);
	}
	rc = cli_parse(argc, argv, 2, opts, pos, list ? 0 : 1, &npos, review_usage);
	if (rc)
		return rc < 0 ? CLI_OK : rc;
	if (!as || (!list && (npos != 1 || !reason)))
		return cli_usage(review_usage);
	if (!list && !cli_parse_id(pos[0], &id))
		return cli_usage_error("'%s' is not a message number", pos[0]);
	node = cli_open(cli, &rc);
	if (!node)
		return rc;
	if (list) {
		rc = att_review_list(node, as, (void **)&out, &err);
		att_node_close(node);
		return rc ? cli_fail(&err) : print_list(out, json, review_line);
	}
	rc = (int)(release ? att_review_release(node, as, id, reason, &err)
		     : att_review_reject(node, as, id, reason, &err));
	att_node_close(node);
	if (rc)
		return cli_fail(&err);
	printf("message %lld %s\n", (long long)id, release ? "released and delivered" : "rejected");
	return CLI_OK;
}

int cmd_neutrality(struct cli *cli, int argc, char **argv)
{
	const char *as = NULL, *lang = NULL, *cat = NULL, *pos[1];
	bool json = false;
	const char *verb = argc > 1 ? argv[1] : "";
	struct cli_opt opts[] = {{"as", true, &as, NULL},         {"lang", true, &lang, NULL},
				 {"category", true, &cat, NULL},  {"json", false, NULL, &json},
				 {NULL, false, NULL, NULL}};
	struct att_err err = {0};
	struct att_node *node;
	json_t *out = NULL;
	size_t npos;
	int rc;

	if (strcmp(verb, "list") && strcmp(verb, "add") && strcmp(verb, "remove")) {
		if (!strcmp(verb, "--help") || !strcmp(verb, "-h")) {
			printf("usage: %s\n", neutrality_usage);
			return CLI_OK;
		}
		return cli_usage(neutrality_usage);
	}
	rc = cli_parse(argc, argv, 2, opts, pos, strcmp(verb, "list") ? 1 : 0, &npos,
		       neutrality_usage);
	if (rc)
		return rc < 0 ? CLI_OK : rc;
	if (strcmp(verb, "list") && (npos != 1 || !as))
		return cli_usage(neutrality_usage);
	if (!strcmp(verb, "add") && (!lang || !cat))
		return cli_usage(neutrality_usage);
	node = cli_open(cli, &rc);
	if (!node)
		return rc;
	if (!strcmp(verb, "list")) {
		rc = att_neutrality_list(node, as, (void **)&out, &err);
		att_node_close(node);
		return rc ? cli_fail(&err) : print_list(out, json, term_line);
	}
	rc = (int)(!strcmp(verb, "add") ? att_neutrality_add(node, as, pos[0], lang, cat, &err)
				  : att_neutrality_remove(node, as, pos[0], &err));
	att_node_close(node);
	if (rc)
		return cli_fail(&err);
	printf("term '%s' %s\n", pos[0], !strcmp(verb, "add") ? "added" : "removed");
	return CLI_OK;
}
