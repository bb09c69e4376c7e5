/* Shared plumbing of the attache command: option parsing, opening the node,
 * printing errors. Subcommands live one per file (cmd_<name>.c) and only parse
 * arguments and call one library function each. */
#ifndef ATT_CLI_H
#define ATT_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "attache/common.h"

/* Exit codes of every subcommand. */
#define CLI_OK 0
#define CLI_REFUSED 1
#define CLI_USAGE 2

/* Global options, parsed before the subcommand. */
struct cli {
	const char *db_path; /* --db, else $ATTACHE_DB, else ./attache.db */
};

/* One option of a subcommand. `value` receives the argument of an option that
 * takes one (has_arg), `flag` is set for one that does not. An option given
 * twice is a usage error. */
struct cli_opt {
	const char *name; /* long name without dashes, e.g. "json" */
	bool has_arg;
	const char **value;
	bool *flag;
};

/* Parses argv[first..argc) into opts and positional arguments (at most maxpos,
 * stored into pos). "--" ends options. "--help"/"-h" prints usage and returns
 * -1 (callers exit 0). Returns CLI_OK or CLI_USAGE (message printed). */
int cli_parse(int argc, char **argv, int first, const struct cli_opt *opts,
	      const char **pos, size_t maxpos, size_t *npos, const char *usage);

/* Prints "usage: ..." to stderr and returns CLI_USAGE. */
int cli_usage(const char *usage);

/* Prints "attache: <message>" for a refused request and returns CLI_REFUSED
 * (or CLI_USAGE for ATT_EINVAL raised by argument checks the caller marks). */
int cli_fail(const struct att_err *err);

/* Prints "attache: <fmt>" and returns CLI_USAGE. */
int cli_usage_error(const char *fmt, ...) ATT_PRINTF(1, 2);

/* Parses a non-negative decimal integer argument; false if malformed. */
bool cli_parse_u64(const char *s, unsigned long long max, unsigned long long *out);

/* Reads all of a file ("-" is stdin) up to max bytes into a malloc'd
 * NUL-terminated buffer. Sets err and returns NULL on failure or oversize. */
char *cli_read_file(const char *path, size_t max, size_t *len, struct att_err *err);

/* Prints a jansson value (json_t *) as one line of JSON to stdout and
 * releases it. Returns CLI_OK. */
int cli_print_json(void *json);

/* A subcommand: argv[0] is its name. */
struct cli_cmd {
	const char *name;
	int (*run)(struct cli *cli, int argc, char **argv);
	const char *summary;
};



/* Parses a positive record number (message, case, appointment). */
bool cli_parse_id(const char *s, int64_t *id);

/* The string member key of a JSON object, "-" when absent or not a string. */
const char *cli_js(void *obj, const char *key);
/* The integer member key of a JSON object, 0 when absent. */
long long cli_ji(void *obj, const char *key);
/* Prints s (UTF-8) then spaces up to width characters, so that a column of
 * names in any script lines up (printf's widths count bytes). */
void cli_put_padded(const char *s, size_t width);
#endif
