/* attache hits | overdue */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "attache/exchange.h"
#include "attache/node.h"
#include "cmds.h"
#include "banned.h"

static int listing(struct cli *cli, int argc, char **argv, bool hits)
{
	const char *usage = hits ? "attache hits --as USER [--json]"
				 : "attache overdue --as USER [--json]";
	const char *as = NULL, *pos[1];
	bool json = false;
	struct cli_opt opts[] = {{"as", true, &as, NULL}, {"json", false, NULL, &json},
				 {NULL, false, NULL, NULL}};
	struct att_err err = {0};
	struct att_node *node;
	json_t *out = NULL, *v;
	size_t npos, i;
	int rc = cli_parse(argc, argv, 1, opts, pos, 0, &npos, usage);

	if (rc)
		return rc < 0 ? CLI_OK : rc;
	if (!as)
		return cli_usage(usage);
	node = cli_open(cli, &rc);
	if (!node)
		return rc;
	rc = (int)(hits ? att_hits(node, as, (void **)&out, &err)
		  : att_overdue(node, as, (void **)&out, &err));
	att_node_close(node);
	if (rc)
		return cli_fail(&err);
	if (json)
		return cli_print_json(out);
	json_array_foreach(out, i, v) {
		if (hits) {
			json_t *mine = json_object_get(v, "mine"), *other = json_object_get(v, "other");
			const char *val = json_is_string(json_object_get(mine, "name"))
						  ? cli_js(mine, "name")
						  : cli_js(mine, "value");

			if (!strcmp(cli_js(other, "kind"), "watchlist"))
				printf("hit %-5lld %.2f  %s '%s' (message %lld) ~ list %s entry %s: %s\n",
				       cli_ji(v, "id"), json_real_value(json_object_get(v, "score")),
				       cli_js(mine, "type"), val, cli_ji(mine, "message"),
				       cli_js(json_object_get(other, "entry"), "list"),
				       cli_js(json_object_get(other, "entry"), "entry"),
				       cli_js(json_object_get(other, "entry"), "name"));
			else
				printf("hit %-5lld %.2f  %s '%s' (message %lld) ~ held by %s in case "
				       "%lld%s\n",
				       cli_ji(v, "id"), json_real_value(json_object_get(v, "score")),
				       cli_js(mine, "type"), val, cli_ji(mine, "message"),
				       cli_js(other, "unit"), cli_ji(other, "case"),
				       json_object_get(other, "message") ? "" : " (content withheld)");
		} else if (json_object_get(v, "preserve_until")) {
			long long left = cli_ji(v, "days_left"), n = left < 0 ? -left : left;

			printf("%6lld %-12s %-9s %-20s preserved until %s  (%s%lld day%s%s)  [%s]\n",
			       cli_ji(v, "id"), cli_js(v, "type"), cli_js(v, "priority"),
			       cli_js(v, "sender_unit"), cli_js(v, "preserve_until"),
			       left < 0 ? "ended " : "", n, n == 1 ? "" : "s",
			       left < 0 ? " ago" : " left", cli_js(v, "role"));
		} else {
			printf("%6lld %-12s %-9s %-20s due %s  %lld h late%s  [%s]\n", cli_ji(v, "id"),
			       cli_js(v, "type"), cli_js(v, "priority"), cli_js(v, "sender_unit"),
			       cli_js(v, "deadline"), cli_ji(v, "hours_late"),
			       json_is_true(json_object_get(v, "escalated")) ? ", ESCALATED" : "",
			       cli_js(v, "role"));
		}
	}
	json_decref(out);
	return CLI_OK;
}

int cmd_hits(struct cli *cli, int argc, char **argv)
{
	return listing(cli, argc, argv, true);
}

int cmd_overdue(struct cli *cli, int argc, char **argv)
{
	return listing(cli, argc, argv, false);
}
