/* attache match pair NAME1 NAME2 [--json] ; attache match pairs FILE —
 * the name scorer from the command line, one pair or a TSV of many. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "attache/match.h"
#include "cmd_match.h"
#include "banned.h"

#define PAIRS_MAX ((size_t)1 << 30)

static int match_pair(const char *a, const char *b, bool json)
{
	struct att_err err = {0};
	struct att_match_expl *ex = malloc(sizeof(*ex));
	char text[2048];
	double score;
	bool match;

	if (!ex) {
		fprintf(stderr, "attache: out of memory\n");
		return CLI_REFUSED;
	}
	if (att_match_pair(a, b, &score, &match, ex, &err) != ATT_OK) {
		free(ex);
		return cli_fail(&err);
	}
	att_match_expl_text(ex, text, sizeof(text));
	if (json) {
		json_t *o = json_pack("{s:f,s:b,s:f,s:s}", "score", (double)(long)(score * 1e4 + 0.5) / 1e4,
				      "match", match, "threshold", ATT_MATCH_THRESHOLD,
				      "explanation_text", text);
		json_t *e = att_match_expl_json(ex);

		free(ex);
		if (!o || !e) {
			json_decref(o);
			json_decref(e);
			fprintf(stderr, "attache: out of memory\n");
			return CLI_REFUSED;
		}
		json_object_set_new(o, "explanation", e);
		return cli_print_json(o);
	}
	free(ex);
	printf("%.4f %s\n%s\n", score, match ? "match" : "no-match", text);
	return CLI_OK;
}

static int match_pairs(const char *path)
{
	struct att_err err = {0};
	size_t len, lineno = 0, bad = 0;
	char *buf = cli_read_file(path, PAIRS_MAX, &len, &err);
	char *p, *end;

	if (!buf)
		return cli_fail(&err);
	end = buf + len;
	for (p = buf; p < end;) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *line = p, *tab;
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		struct att_name a, b;
		double s = 0;

		p = nl ? nl + 1 : end;
		lineno++;
		if (n && line[n - 1] == '\r')
			n--;
		line[n] = 0;
		if (n == 0)
			continue;
		tab = memchr(line, '\t', n);
		if (!tab) {
			fprintf(stderr, "attache: %s line %zu: no TAB between the two names\n", path, lineno);
			free(buf);
			return CLI_USAGE;
		}
		*tab = 0;
		{
			char *b2 = tab + 1, *t2 = strchr(b2, '\t');

			if (t2)
				*t2 = 0; /* ignore extra columns (e.g. a label) */
			if (att_name_normalize(line, strlen(line), &a, &err) == ATT_OK &&
			    att_name_normalize(b2, strlen(b2), &b, &err) == ATT_OK)
				s = att_match_score(&a, NULL, &b, NULL, NULL);
			else
				bad++;
		}
		printf("%.4f\t%d\n", s, s >= ATT_MATCH_THRESHOLD ? 1 : 0);
	}
	free(buf);
	if (bad)
		fprintf(stderr, "attache: %zu pairs had a name without letters (scored 0)\n", bad);
	return CLI_OK;
}

int cmd_match(struct cli *cli, int argc, char **argv)
{
	static const char usage[] =
		"attache match pair NAME1 NAME2 [--json] | attache match pairs FILE";
	const char *pos[3];
	bool json = false;
	struct cli_opt opts[] = {{"json", false, NULL, &json}, {NULL, false, NULL, NULL}};
	size_t npos;
	int rc = cli_parse(argc, argv, 1, opts, pos, 3, &npos, usage);

	(void)cli;
	if (rc)
		return rc < 0 ? CLI_OK : rc;
	if (npos == 3 && strcmp(pos[0], "pair") == 0)
		return match_pair(pos[1], pos[2], json);
	if (npos == 2 && strcmp(pos[0], "pairs") == 0)
		return match_pairs(pos[1]);
	return cli_usage(usage);
}
