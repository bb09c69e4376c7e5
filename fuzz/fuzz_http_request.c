/* libFuzzer target for the HTTP request -> JSON -> service path: the server's
 * pipeline (src/server/api.c and routes.c, built in here) without sockets,
 * over a demo node. Input: a request line "METHOD /path?query", header lines,
 * an empty line, the body. "$TOKEN", "$SESSION" and "$CSRF" in header values
 * stand for a valid API token (partner-europol), session cookie (head) and its CSRF
 * token, so that inputs reach the handlers behind authentication. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <stdatomic.h>
#include <inttypes.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "attache/demo.h"
#include "attache/node.h"
#include "attache/session.h"

/* The pipeline itself, compiled into this target (no libmicrohttpd). */
#include "../src/server/api.c"
#include "../src/server/jsonw.c"
#include "../src/server/metrics.c"
#include "../src/server/web_assets.c"
#include "../src/server/routes.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* No rescan runner here (rescan.c needs the server's threads): the steps a
 * request runs itself are all this pipeline does; a job left stays in the
 * database. */
void srv_rescan_wake(void)
{
}

static struct att_node *node;
static char token[ATT_TOKEN_LEN], session_id[ATT_SECRET_HEX_LEN], csrf[ATT_CSRF_LEN];

static void setup(void)
{
	char dir[] = "/tmp/attache-fuzz-http-XXXXXX", db[64];
	struct att_login login;
	struct att_err err = {0};
	int64_t id = 0;

	setenv("ATT_NOW", "1790000000", 0);
	if (!mkdtemp(dir))
		abort();
	snprintf(db, sizeof(db), "%s/node.db", dir);
	if (att_demo_create(db, NULL, NULL, &err) || att_node_open(db, &node, &err) ||
	    att_token_create(node, "admin", "partner-europol", "fuzz", 0, token, &id, &err) ||
	    att_session_login(node, "head", ATT_DEMO_PASSWORD, "127.0.0.1", &login, &err)) {
		fprintf(stderr, "fuzz_http_request: setup failed: %s\n", err.msg);
		abort();
	}
	snprintf(session_id, sizeof(session_id), "%s", login.session);
	snprintf(csrf, sizeof(csrf), "%s", login.who.csrf);
}

/* Replaces the placeholders in a header value. */
static const char *value_of(const char *v)
{
	if (!strcmp(v, "$TOKEN"))
		return token;
	if (!strcmp(v, "Bearer $TOKEN")) {
		static char b[ATT_TOKEN_LEN + 8];

		snprintf(b, sizeof(b), "Bearer %s", token);
		return b;
	}
	if (!strcmp(v, "$SESSION"))
		return session_id;
	if (!strcmp(v, "$CSRF"))
		return csrf;
	return v;
}

static void parse_query(char *q, struct srv_request *r)
{
	while (q && *q && r->nargs < SRV_ARGS_MAX) {
		char *amp = strchr(q, '&'), *eq;

		if (amp)
			*amp = '\0';
		eq = strchr(q, '=');
		if (eq)
			*eq = '\0';
		r->args[r->nargs].key = q;
		r->args[r->nargs].value = eq ? eq + 1 : "";
		r->nargs++;
		q = amp ? amp + 1 : NULL;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct srv_request req;
	struct srv_response resp;
	char *buf, *line, *next, *sp, *q;
	size_t hdr_end;

	if (!node)
		setup();
	if (size > 2 * SRV_BODY_MAX)
		return 0;
	buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	memset(&req, 0, sizeof(req));
	req.remote_ip = "127.0.0.2";
	/* Headers end at the first empty line; the rest is the body, bytes as
	 * they are (NULs included). */
	for (hdr_end = 0; hdr_end < size; hdr_end++) {
		if (buf[hdr_end] == '\n' && hdr_end + 1 < size && buf[hdr_end + 1] == '\n')
			break;
	}
	if (hdr_end < size) {
		buf[hdr_end] = '\0';
		req.body = buf + hdr_end + 2;
		req.body_len = size - hdr_end - 2;
	}
	line = buf;
	next = strchr(line, '\n');
	if (next)
		*next++ = '\0';
	sp = strchr(line, ' ');
	if (!sp) {
		free(buf);
		return 0;
	}
	*sp = '\0';
	req.method = line;
	req.path = sp + 1;
	q = strchr(sp + 1, '?');
	if (q) {
		*q = '\0';
		parse_query(q + 1, &req);
	}
	for (line = next; line && *line; line = next) {
		char *colon;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		colon = strchr(line, ':');
		if (!colon)
			continue;
		*colon = '\0';
		colon++;
		while (*colon == ' ')
			colon++;
		if (!strcasecmp(line, "Cookie"))
			req.cookie = value_of(colon);
		else if (!strcasecmp(line, "Authorization"))
			req.authorization = value_of(colon);
		else if (!strcasecmp(line, "X-CSRF-Token"))
			req.csrf = value_of(colon);
		else if (!strcasecmp(line, "Content-Type"))
			req.content_type = colon;
	}
	/* The server's JSON writer gives the bytes json_dumps gives. */
	if (req.body_len && srv_json_depth_ok(req.body, req.body_len, SRV_JSON_DEPTH_MAX)) {
		json_t *v = json_loadb(req.body, req.body_len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);

		if (v) {
			char *a = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
			size_t blen = 0;
			char *b = srv_json_text(v, &blen);

			if (!a || !b || strlen(a) != blen || memcmp(a, b, blen))
				abort();
			free(b);
			/* A shared value's kept text: the same bytes, written or
			 * taken from the memo. */
			for (int k = 0; k < 2; k++) {
				const json_t *sh = json_is_array(v) ? json_array_get(v, 0) : v;

				b = srv_json_text_shared(v, sh ? sh : v, &blen);
				if (!b || strlen(a) != blen || memcmp(a, b, blen))
					abort();
				free(b);
			}
			free(a);
			json_decref(v);
		}
	}
	srv_response_init(&resp);
	srv_handle(node, &req, &resp);
	/* Every reply is a well-formed status with a JSON error or body. */
	if (resp.status < 200 || resp.status > 599)
		abort();
	if (resp.status >= 400 && resp.body && !strstr(resp.body, "\"error\""))
		abort();
	srv_response_release(&resp);
	free(buf);
	return 0;
}
