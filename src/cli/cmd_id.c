/* attache id TYPE VALUE [--country CC] [--json] — canonical form of an
 * identifier, or a clear refusal. */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "attache/match.h"
#include "cmd_match.h"
#include "banned.h"

int cmd_id(struct cli *cli, int argc, char **argv)
{
	static const char usage[] =
		"attache id phone|iban|email|ip|cidr|domain|url|btc|eth|document VALUE "
		"[--country CC] [--json]";
	const char *pos[2], *country = NULL;
	bool json = false;
	struct cli_opt opts[] = {{"json", false, NULL, &json},
				 {"country", true, &country, NULL},
				 {NULL, false, NULL, NULL}};
	struct att_id_opts io = {0};
	struct att_err err = {0};
	enum att_id_type t;
	char out[ATT_ID_CANON_MAX];
	size_t npos;
	int rc = cli_parse(argc, argv, 1, opts, pos, 2, &npos, usage);

	(void)cli;
	if (rc)
		return rc < 0 ? CLI_OK : rc;
	if (npos != 2)
		return cli_usage(usage);
	if (!att_id_type_parse(pos[0], &t))
		return cli_usage_error("unknown identifier type '%s'\nusage: %s", pos[0], usage);
	io.default_country = country;
	if (att_id_canon(t, pos[1], strlen(pos[1]), &io, out, sizeof(out), &err) != ATT_OK) {
		if (json) {
			json_t *o = json_pack("{s:s,s:s,s:b,s:s}", "type", att_id_type_name(t), "input",
					      pos[1], "valid", 0, "error", err.msg);

			if (o)
				cli_print_json(o);
		}
		return cli_fail(&err);
	}
	if (json) {
		json_t *o = json_pack("{s:s,s:s,s:b,s:s}", "type", att_id_type_name(t), "input", pos[1],
				      "valid", 1, "canonical", out);

		if (!o) {
			fprintf(stderr, "attache: out of memory\n");
			return CLI_REFUSED;
		}
		return cli_print_json(o);
	}
	printf("%s\n", out);
	return CLI_OK;
}
