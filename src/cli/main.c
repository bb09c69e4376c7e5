/* The attache command: global options, then one subcommand (git style). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd_match.h"
#include "cmds.h"
#include "banned.h"

#ifndef ATT_VERSION
#define ATT_VERSION "0"
#endif

static const struct cli_cmd commands[] = {
	{"init", cmd_init, "create the node database and its key"},
	{"user", cmd_user, "add and list users"},
	{"post", cmd_post, "posts in foreign states and international organizations"},
	{"staffing", cmd_staffing, "show or set the service-wide approved staffing level"},
	{"appoint", cmd_appoint, "propose, agree, refuse, make, end and list appointments"},
	{"audit", cmd_audit, "verify and list the tamper-evident audit log"},
	{"case", cmd_case, "open, list and show cases; grant access to one"},
	{"send", cmd_send, "send a message (request, reply, information, alert, preservation)"},
	{"inbox", cmd_inbox, "the messages you sent or that reached your unit"},
	{"show", cmd_show, "read one message"},
	{"ack", cmd_ack, "acknowledge receipt of a message"},
	{"forward", cmd_forward, "pass a message on to another unit (H2: with permission)"},
	{"permit", cmd_permit, "as provider, permit passing on or judicial use"},
	{"attach", cmd_attach, "attach a file to a message you sent (stored encrypted)"},
	{"attachment", cmd_attachment, "read an attachment of a message"},
	{"export", cmd_export, "export a message for judicial use (H1: with permission)"},
	{"hits", cmd_hits, "matches between your holdings and others', hit/no-hit"},
	{"overdue", cmd_overdue, "requests past their deadline"},
	{"protect", cmd_protect, "the overseer's register of protected persons"},
	{"review", cmd_review, "held messages: list, release, reject"},
	{"neutrality", cmd_neutrality, "the neutrality screen's terms"},
	{"watchlist", cmd_watchlist, "import and list sanctions lists"},
	{"screen", cmd_screen, "screen names against lists and holdings"},
	{"match", cmd_match, "score two names, or a file of pairs"},
	{"id", cmd_id, "canonical form of an identifier"},
	{"demo", cmd_demo, "create a demo node with a realistic network"},
	{"serve", cmd_serve, "run the HTTP API and web UI"},
	{"help", cmd_help, "show this help"},
	{NULL, NULL, NULL},
};

static void print_help(FILE *out)
{
	fprintf(out,
		"usage: attache [--db PATH] COMMAND [ARGS]\n"
		"       attache --version\n\n"
		"attache keeps the registry of posts and appointments of a security service's\n"
		"representatives abroad, and the exchange and cross-matching they work with.\n\n"
		"Commands:\n");
	for (const struct cli_cmd *c = commands; c->name; c++)
		fprintf(out, "  %-10s %s\n", c->name, c->summary);
	fprintf(out, "\nThe database is --db PATH, else $ATTACHE_DB, else ./attache.db.\n"
		     "Every command takes --help. Exit status: 0 done, 1 refused, 2 usage error.\n");
}

int cmd_help(struct cli *cli, int argc, char **argv)
{
	(void)cli;
	if (argc > 1 && strcmp(argv[1], "--help") && strcmp(argv[1], "-h")) {
		for (const struct cli_cmd *c = commands; c->name; c++) {
			if (!strcmp(c->name, argv[1])) {
				char *hargv[] = {argv[1], (char *)"--help", NULL};

				return c->run(cli, 2, hargv);
			}
		}
		return cli_usage_error("no such command '%s'", argv[1]);
	}
	print_help(stdout);
	return CLI_OK;
}

int main(int argc, char **argv)
{
	struct cli cli = {NULL};
	int i = 1;

	while (i < argc && argv[i][0] == '-') {
		if (!strcmp(argv[i], "--version")) {
			printf("attache %s\n", ATT_VERSION);
			return CLI_OK;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			print_help(stdout);
			return CLI_OK;
		} else if (!strcmp(argv[i], "--db") && i + 1 < argc) {
			cli.db_path = argv[i + 1];
			i += 2;
		} else if (!strncmp(argv[i], "--db=", 5)) {
			cli.db_path = argv[i] + 5;
			i++;
		} else {
			cli_usage_error("unknown option '%s'", argv[i]);
			print_help(stderr);
			return CLI_USAGE;
		}
	}
	if (i >= argc) {
		print_help(stderr);
		return CLI_USAGE;
	}
	/* A --db after the command name is accepted too (attache demo --db X). */
	for (int k = i + 1; k < argc; k++) {
		if (!strcmp(argv[k], "--")) {
			break;
		} else if (!strcmp(argv[k], "--db") && k + 1 < argc) {
			cli.db_path = argv[k + 1];
			memmove(&argv[k], &argv[k + 2], (size_t)(argc - k - 2) * sizeof(*argv));
			argc -= 2;
			k--;
		} else if (!strncmp(argv[k], "--db=", 5)) {
			cli.db_path = argv[k] + 5;
			memmove(&argv[k], &argv[k + 1], (size_t)(argc - k - 1) * sizeof(*argv));
			argc -= 1;
			k--;
		}
	}
	if (!cli.db_path || !*cli.db_path) {
		const char *env = getenv("ATTACHE_DB");

		cli.db_path = env && *env ? env : "attache.db";
	}
	for (const struct cli_cmd *c = commands; c->name; c++) {
		if (!strcmp(c->name, argv[i]))
			return c->run(&cli, argc - i, argv + i);
	}
	cli_usage_error("no such command '%s' (see 'attache help')", argv[i]);
	return CLI_USAGE;
}
