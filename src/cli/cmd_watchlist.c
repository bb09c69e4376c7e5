/* attache watchlist import|list ; attache screen */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "attache/node.h"
#include "attache/watchlist.h"
#include "cmds.h"
#include "banned.h"

static const char wl_usage[] =
	"attache watchlist import NAME FILE --format un-xml|ofac-csv|csv [--alt FILE] [--as USER]\n"
	"       attache watchlist list [--json]";

/* For OFAC, the aliases file sits beside sdn.csv as alt.csv (or
 * ..._sdn_... / ..._alt_...). */
static char *guess_alt(const char *file)
{
	const char *base = strrchr(file, '/');
	const char *hit;
	char *alt;
	size_t off;

	base = base ? base + 1 : file;
	hit = strstr(base, "sdn");
	if (!hit)
		return NULL;
	alt = strdup(file);
	if (!alt)
		return NULL;
	off = (size_t)(hit - file);
	memcpy(alt + off, "alt", 3);
	return alt;
}

static int import(struct cli *cli, int argc, char **argv)
{
	const char *as = NULL, *format = NULL, *altf = NULL, *pos[2];
	bool json = false;
	struct cli_opt opts[] = {{"as", true, &as, NULL},       {"format", true, &format, NULL},
				 {"alt", true, &altf, NULL},    {"json", false, NULL, &json},
				 {NULL, false, NULL, NULL}};
	struct att_err err = {0};
	struct att_node *node;
	char *data = NULL, *alt = NULL, *guessed = NULL;
	size_t npos, len = 0, alt_len = 0;
	json_t *out = NULL;
	int rc = cli_parse(argc, argv, 2, opts, pos, 2, &npos, wl_usage);

	if (rc)
		return rc < 0 ? CLI_OK : rc;
	if (npos != 2 || !format)
		return cli_usage(wl_usage);
	data = cli_read_file(pos[1], ATT_WL_FILE_MAX, &len, &err);
	if (!data)
		return cli_fail(&err);
	if (!strcmp(format, "ofac-csv")) {
		if (!altf) {
			FILE *f;

			guessed = guess_alt(pos[1]);
			if (guessed && (f = fopen(guessed, "rb")) != NULL) {
				fclose(f);
				altf = guessed;
			}
		}
		if (altf) {
			alt = cli_read_file(altf, ATT_WL_FILE_MAX, &alt_len, &err);
			if (!alt) {
				free(data);
				free(guessed);
				return cli_fail(&err);
			}
		}
	}
	node = cli_open(cli, &rc);
	if (node) {
		rc = att_watchlist_import(node, as, pos[0], format, data, len, alt, alt_len,
					  (void **)&out, &err)
			     ? cli_fail(&err)
			     : CLI_OK;
		att_node_close(node);
	}
	free(data);
	free(alt);
	free(guessed);
	if (rc)
		return rc;
	if (json)
		return cli_print_json(out);
	printf("list %s version %lld: %lld entries (%s); %lld held entities re-screened, %lld hits\n",
	       cli_js(out, "name"), cli_ji(out, "version"), cli_ji(out, "entries"),
	       cli_js(out, "format"), cli_ji(out, "rescreened"), cli_ji(out, "rescreen_hits"));
	json_decref(out);
	return CLI_OK;
}

static int list(struct cli *cli, int argc, char **argv)
{
	const char *as = NULL, *pos[1];
	bool json = false;
	struct cli_opt opts[] = {{"as", true, &as, NULL}, {"json", false, NULL, &json},
				 {NULL, false, NULL, NULL}};
	struct att_err err = {0};
	struct att_node *node;
	json_t *out = NULL, *v;
	size_t npos, i;
	int rc = cli_parse(argc, argv, 2, opts, pos, 0, &npos, wl_usage);

	if (rc)
		return rc < 0 ? CLI_OK : rc;
	node = cli_open(cli, &rc);
	if (!node)
		return rc;
	rc = att_watchlist_list(node, as, (void **)&out, &err);
	att_node_close(node);
	if (rc)
		return cli_fail(&err);
	if (json)
		return cli_print_json(out);
	json_array_foreach(out, i, v)
		printf("%-16s %-9s v%-3lld %7lld entries  %s  sha256 %.16s\n", cli_js(v, "name"),
		       cli_js(v, "format"), cli_ji(v, "version"), cli_ji(v, "entries"),
		       cli_js(v, "imported"), cli_js(v, "sha256"));
	json_decref(out);
	return CLI_OK;
}

int cmd_watchlist(struct cli *cli, int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "import"))
		return import(cli, argc, argv);
	if (argc > 1 && !strcmp(argv[1], "list"))
		return list(cli, argc, argv);
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: %s\n", wl_usage);
		return CLI_OK;
	}
	return cli_usage(wl_usage);
}

static void print_hits(json_t *q)
{
	json_t *h;
	size_t i;

	if (json_object_get(q, "error")) {
		printf("%s: %s\n", cli_js(q, "query"), cli_js(q, "error"));
		return;
	}
	if (!json_array_size(json_object_get(q, "hits")))
		printf("%s: no hit\n", cli_js(q, "query"));
	json_array_foreach(json_object_get(q, "hits"), i, h) {
		if (!strcmp(cli_js(h, "kind"), "watchlist"))
			printf("%.3f  list %-10s entry %-12s %s\n",
			       json_real_value(json_object_get(h, "score")), cli_js(h, "list"),
			       cli_js(h, "entry"), cli_js(h, "name"));
		else if (json_object_get(h, "entity"))
			printf("%.3f  holding: message %lld case %lld (%s) %s\n",
			       json_real_value(json_object_get(h, "score")), cli_ji(h, "message"),
			       cli_ji(h, "case"), cli_js(h, "unit"),
			       cli_js(json_object_get(h, "entity"), "name"));
		else
			printf("%.3f  holding: a match is held by %s in case %lld (content withheld)\n",
			       json_real_value(json_object_get(h, "score")), cli_js(h, "unit"),
			       cli_ji(h, "case"));
	}
}

int cmd_screen(struct cli *cli, int argc, char **argv)
{
	static const char usage[] =
		"attache screen NAME_TEXT [--list L] [--dob YYYY-MM-DD] [--nationality CC] "
		"[--limit K] [--as USER] [--json]\n"
		"       attache screen --batch FILE [--list L] [--as USER] [--json]";
	const char *as = NULL, *listn = NULL, *dob = NULL, *nat = NULL, *limit = NULL,
		   *batch = NULL, *pos[1];
	bool json = false;
	struct cli_opt opts[] = {{"as", true, &as, NULL},         {"list", true, &listn, NULL},
				 {"dob", true, &dob, NULL},       {"nationality", true, &nat, NULL},
				 {"limit", true, &limit, NULL},   {"batch", true, &batch, NULL},
				 {"json", false, NULL, &json},    {NULL, false, NULL, NULL}};
	struct att_screen_opts so = {NULL, NULL, NULL, 0};
	struct att_err err = {0};
	struct att_node *node;
	unsigned long long lim = 10;
	const char **names = NULL;
	char *text = NULL;
	size_t npos, n = 0, i;
	json_t *out = NULL, *q;
	int rc = cli_parse(argc, argv, 1, opts, pos, 1, &npos, usage);

	if (rc)
		return rc < 0 ? CLI_OK : rc;
	if ((npos == 1) == (batch != NULL))
		return cli_usage(usage);
	if (limit && (!cli_parse_u64(limit, 1000, &lim) || !lim))
		return cli_usage_error("--limit takes a number from 1 to 1000");
	so.list = listn;
	so.dob = dob;
	so.nationality = nat;
	so.limit = (size_t)lim;
	if (batch) {
		size_t len = 0, cap = 0;

		text = cli_read_file(batch, 64u * 1024u * 1024u, &len, &err);
		if (!text)
			return cli_fail(&err);
		for (char *p = text, *nl; p && *p; p = nl ? nl + 1 : NULL) {
			nl = strchr(p, '\n');
			if (nl)
				*nl = '\0';
			if (nl && nl > p && nl[-1] == '\r')
				nl[-1] = '\0';
			if (!*p)
				continue;
			if (n == cap) {
				const char **nn;

				cap = cap ? 2 * cap : 256;
				nn = realloc(names, cap * sizeof(*nn));
				if (!nn) {
					free(names);
					free(text);
					return cli_usage_error("out of memory");
				}
				names = nn;
			}
			names[n++] = p;
		}
	} else {
		names = malloc(sizeof(*names));
		if (!names)
			return cli_usage_error("out of memory");
		names[0] = pos[0];
		n = 1;
	}
	node = cli_open(cli, &rc);
	if (node) {
		rc = att_screen(node, as, names, n, &so, (void **)&out, &err) ? cli_fail(&err)
									     : CLI_OK;
		att_node_close(node);
	}
	free(names);
	if (rc) {
		free(text);
		return rc;
	}
	json_array_foreach(out, i, q) {
		if (json || batch) {
			char *line = json_dumps(q, JSON_COMPACT);

			if (line)
				puts(line);
			free(line);
		} else {
			print_hits(q);
		}
	}
	json_decref(out);
	free(text);
	return CLI_OK;
}
