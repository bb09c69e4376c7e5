/* Shared plumbing of the attache command: option parsing, errors, files. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "banned.h"

int cli_usage(const char *usage)
{
	fprintf(stderr, "usage: %s\n", usage);
	return CLI_USAGE;
}

int cli_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("attache: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CLI_USAGE;
}

int cli_fail(const struct att_err *err)
{
	fprintf(stderr, "attache: %s\n",
		err && err->msg[0] ? err->msg : att_rc_name(err ? err->rc : ATT_EINVAL));
	return CLI_REFUSED;
}

int cli_parse(int argc, char **argv, int first, const struct cli_opt *opts,
	      const char **pos, size_t maxpos, size_t *npos, const char *usage)
{
	bool only_pos = false;

	*npos = 0;
	for (int i = first; i < argc; i++) {
		const char *a = argv[i];
		const struct cli_opt *o;
		const char *eq;
		size_t nlen;

		if (!only_pos && (!strcmp(a, "--help") || !strcmp(a, "-h"))) {
			printf("usage: %s\n", usage);
			return -1;
		}
		if (!only_pos && !strcmp(a, "--")) {
			only_pos = true;
			continue;
		}
		if (only_pos || a[0] != '-' || a[1] != '-' || !a[2]) {
			if (a[0] == '-' && a[1] && !only_pos && a[1] != '-' &&
			    !(a[1] >= '0' && a[1] <= '9'))
				return cli_usage_error("unknown option '%s'\nusage: %s", a, usage);
			if (*npos >= maxpos)
				return cli_usage_error("unexpected argument '%s'\nusage: %s", a, usage);
			pos[(*npos)++] = a;
			continue;
		}
		a += 2;
		eq = strchr(a, '=');
		nlen = eq ? (size_t)(eq - a) : strlen(a);
		for (o = opts; o && o->name; o++) {
			if (strlen(o->name) == nlen && !strncmp(o->name, a, nlen))
				break;
		}
		if (!o || !o->name)
			return cli_usage_error("unknown option '--%.*s'\nusage: %s", (int)nlen, a, usage);
		if (o->has_arg) {
			const char *v;

			if (eq) {
				v = eq + 1;
			} else {
				if (i + 1 >= argc)
					return cli_usage_error("option '--%s' needs a value\nusage: %s",
							       o->name, usage);
				v = argv[++i];
			}
			if (*o->value)
				return cli_usage_error("option '--%s' given twice", o->name);
			*o->value = v;
		} else {
			if (eq)
				return cli_usage_error("option '--%s' takes no value", o->name);
			*o->flag = true;
		}
	}
	return CLI_OK;
}

bool cli_parse_u64(const char *s, unsigned long long max, unsigned long long *out)
{
	unsigned long long v = 0;

	if (!s || !*s || strlen(s) > 19)
		return false;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (unsigned long long)(*p - '0');
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

char *cli_read_file(const char *path, size_t max, size_t *len, struct att_err *err)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	char *buf = NULL;
	size_t n = 0, cap = 0;

	if (!f) {
		att_fail(err, ATT_EIO, "cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		size_t got;

		if (n + 65536 + 1 > cap) {
			size_t ncap = cap ? cap * 2 : 65536 * 2;
			char *nb;

			if (ncap > max + 65536 + 1)
				ncap = max + 65536 + 1;
			nb = realloc(buf, ncap);
			if (!nb) {
				att_fail(err, ATT_ENOMEM, "out of memory reading %s", path);
				goto fail;
			}
			buf = nb;
			cap = ncap;
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (n > max) {
			att_fail(err, ATT_ELIMIT, "%s is too large (more than %zu bytes)",
				 strcmp(path, "-") ? path : "standard input", max);
			goto fail;
		}
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		att_fail(err, ATT_EIO, "cannot read %s", path);
		goto fail;
	}
	if (f != stdin)
		fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
fail:
	if (f != stdin)
		fclose(f);
	free(buf);
	return NULL;
}

int cli_print_json(void *json)
{
	json_t *j = json;
	char *s = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII * 0);

	if (s) {
		puts(s);
		free(s);
	}
	json_decref(j);
	return CLI_OK;
}

#include "attache/node.h"
#include "cmds.h"

struct att_node *cli_open(struct cli *cli, int *exit_code)
{
	struct att_err err = {0};
	struct att_node *node = NULL;

	if (att_node_open(cli->db_path, &node, &err)) {
		*exit_code = cli_fail(&err);
		return NULL;
	}
	return node;
}

const char *cli_js(void *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_string(v) ? json_string_value(v) : "-";
}

void cli_put_padded(const char *s, size_t width)
{
	size_t n = 0;

	for (const char *p = s; *p; p++)
		n += ((unsigned char)*p & 0xc0) != 0x80;
	fputs(s, stdout);
	for (; n < width; n++)
		putchar(' ');
}

long long cli_ji(void *obj, const char *key)
{
	return (long long)json_integer_value(json_object_get(obj, key));
}

bool cli_parse_id(const char *s, int64_t *id)
{
	unsigned long long v;

	if (!cli_parse_u64(s, (unsigned long long)INT64_MAX, &v) || v == 0)
		return false;
	*id = (int64_t)v;
	return true;
}
