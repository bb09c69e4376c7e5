/* The request pipeline of the HTTP API, independent of sockets: limits,
 * routing, authentication, CSRF, JSON parsing, the one mapping of library
 * result codes to HTTP statuses, pagination and the static web UI. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <sodium.h>

#include "attache/session.h"
#include "server.h"
#include "util.h"
#include "banned.h"

#define API_PREFIX "/api/v1"

void srv_response_init(struct srv_response *r)
{
	memset(r, 0, sizeof(*r));
	r->status = 500;
	r->route = -1;
	r->content_type = "application/json";
}

void srv_response_release(struct srv_response *r)
{
	free(r->body);
	r->body = NULL;
}

const char *srv_arg(const struct srv_request *req, const char *key)
{
	for (size_t i = 0; i < req->nargs; i++) {
		if (req->args[i].key && !strcmp(req->args[i].key, key))
			return req->args[i].value;
	}
	return NULL;
}

static void set_json_shared(struct srv_response *resp, unsigned status, json_t *v,
			    const json_t *shared)
{
	size_t len = 0;
	char *s = srv_json_text_shared(v, shared, &len);

	json_decref(v);
	free(resp->body);
	resp->body = NULL;
	resp->static_body = NULL;
	if (!s) {
		static const char oom[] =
			"{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\"}}";
		resp->status = 500;
		resp->static_body = (const unsigned char *)oom;
		resp->body_len = sizeof(oom) - 1;
		return;
	}
	resp->status = status;
	resp->body = s;
	resp->body_len = len;
	resp->content_type = "application/json";
}

static void set_json(struct srv_response *resp, unsigned status, json_t *v)
{
	set_json_shared(resp, status, v, NULL);
}

void srv_error(struct srv_response *resp, unsigned status, const char *code,
	       const char *message)
{
	/* Messages come from the library and may quote input; jansson escapes
	 * them, and an invalid UTF-8 message is replaced rather than dropped. */
	const char *m = message && att_utf8_valid(message, strlen(message)) ? message
										 : "request refused";

	set_json(resp, status, json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", m));
}

/* The one place where library result codes become HTTP statuses. On a route
 * that authenticates (login), a refusal means wrong credentials (401) and a
 * limit is the login rate limit (429), not a limit of the decree; on a route
 * that takes a document (a message, a list file) a limit is its size (413). */
void srv_fail(struct srv_response *resp, enum att_rc rc, const struct att_err *err,
	      unsigned flags)
{
	bool authn = (flags & SRV_AUTHN) != 0;

	static const struct {
		unsigned status;
		const char *code;
	} map[] = {
		[ATT_OK] = {200, "ok"},
		[ATT_EINVAL] = {422, "invalid"},
		[ATT_ENOMEM] = {500, "internal"},
		[ATT_EDENIED] = {403, "denied"},
		[ATT_ELIMIT] = {409, "limit"},
		[ATT_EDB] = {503, "unavailable"},
		[ATT_ECRYPTO] = {500, "internal"},
		[ATT_ENOTFOUND] = {404, "not_found"},
		[ATT_ECONFLICT] = {409, "conflict"},
		[ATT_EEXIST] = {409, "exists"},
		[ATT_EIO] = {500, "internal"},
		[ATT_ETAMPER] = {500, "tamper"},
	};
	unsigned status = 500;
	const char *code = "internal";

	if ((unsigned)rc < sizeof(map) / sizeof(map[0]) && map[rc].code) {
		status = map[rc].status;
		code = map[rc].code;
	}
	if ((flags & SRV_SIZE) && rc == ATT_ELIMIT) {
		status = 413;
		code = "too_large";
	} else if (authn && rc == ATT_ELIMIT) {
		status = 429;
		code = "rate_limited";
	} else if (authn && rc == ATT_EDENIED) {
		status = 401;
		code = "unauthenticated";
	}
	srv_error(resp, status, code,
		  err && err->msg[0] && rc != ATT_ENOMEM ? err->msg : att_rc_name(rc));
}

/* POST /api/v1/messages/<digits>/attachments */
static bool attachment_upload(const char *path)
{
	static const char head[] = API_PREFIX "/messages/";
	const char *p = path;

	if (strncmp(p, head, sizeof(head) - 1))
		return false;
	p += sizeof(head) - 1;
	if (*p < '0' || *p > '9')
		return false;
	while (*p >= '0' && *p <= '9')
		p++;
	return !strcmp(p, "/attachments");
}

size_t srv_body_limit(const char *method, const char *path)
{
	if (method && path && !strcmp(method, "POST") &&
	    (!strcmp(path, API_PREFIX "/watchlists") || attachment_upload(path)))
		return SRV_UPLOAD_MAX;
	return SRV_BODY_MAX;
}

bool srv_json_depth_ok(const char *p, size_t n, size_t max)
{
	size_t depth = 0;
	bool in_str = false;

	for (size_t i = 0; i < n; i++) {
		char ch = p[i];

		if (in_str) {
			if (ch == '\\')
				i++;
			else if (ch == '"')
				in_str = false;
			continue;
		}
		if (ch == '"') {
			in_str = true;
		} else if (ch == '[' || ch == '{') {
			if (++depth > max)
				return false;
		} else if ((ch == ']' || ch == '}') && depth > 0) {
			depth--;
		}
	}
	return true;
}

/* Matches path (below the API prefix) against pattern; captures {…}
 * segments into param. */
static bool route_match(const char *pattern, const char *path, const char *param[2],
			char store[2][SRV_PARAM_MAX + 1])
{
	size_t np = 0;

	while (*pattern && *path) {
		if (*pattern != '/' || *path != '/')
			return false;
		pattern++;
		path++;
		if (*pattern == '{') {
			size_t n = strcspn(path, "/");

			if (n == 0 || n > SRV_PARAM_MAX || np >= 2)
				return false;
			memcpy(store[np], path, n);
			store[np][n] = '\0';
			param[np] = store[np];
			np++;
			path += n;
			pattern += strcspn(pattern, "/");
		} else {
			size_t n = strcspn(pattern, "/");

			if (strncmp(pattern, path, n) || (path[n] != '/' && path[n] != '\0'))
				return false;
			pattern += n;
			path += n;
		}
	}
	return !*pattern && !*path;
}

static bool is_state_changing(const char *method)
{
	return strcmp(method, "GET") && strcmp(method, "HEAD");
}

static bool is_json_type(const char *ct)
{
	size_t n = strlen("application/json");

	return ct && !strncasecmp(ct, "application/json", n) &&
	       (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

static enum att_rc authenticate(struct att_node *node, const struct srv_request *req,
				struct att_principal *who, struct att_err *err)
{
	if (req->authorization) {
		const char *a = req->authorization;

		if (strncasecmp(a, "Bearer ", 7))
			return att_fail(err, ATT_EDENIED,
					"the Authorization header must be 'Bearer <token>'");
		a += 7;
		while (*a == ' ')
			a++;
		return att_token_check(node, a, who, err);
	}
	if (req->cookie)
		return att_session_check(node, req->cookie, who, err);
	return att_fail(err, ATT_EDENIED, "log in first (POST /api/v1/session) or send a token");
}

/* Cuts an array into a page: the cursor is the offset of the first item,
 * as text, and next_cursor is null on the last page. */
static json_t *paginate(json_t *arr, size_t limit, const char *cursor, struct att_err *err)
{
	unsigned long long off = 0;
	json_t *items, *page;
	size_t n = json_array_size(arr);

	if (cursor && *cursor) {
		char *end = NULL;

		off = strtoull(cursor, &end, 10);
		if (!end || *end || cursor[0] == '-' || off > (unsigned long long)n) {
			att_fail(err, ATT_EINVAL, "the cursor is not valid; start again without one");
			return NULL;
		}
	}
	items = json_array();
	for (size_t i = (size_t)off; items && i < n && i < (size_t)off + limit; i++)
		json_array_append(items, json_array_get(arr, i));
	if (!items) {
		att_fail(err, ATT_ENOMEM, "out of memory");
		return NULL;
	}
	if ((size_t)off + limit < n) {
		char next[32];

		snprintf(next, sizeof(next), "%zu", (size_t)off + limit);
		page = json_pack("{s:o,s:s}", "items", items, "next_cursor", next);
	} else {
		page = json_pack("{s:o,s:n}", "items", items, "next_cursor");
	}
	if (!page)
		att_fail(err, ATT_ENOMEM, "out of memory");
	return page;
}

static void api(struct att_node *node, const struct srv_request *req,
		struct srv_response *resp)
{
	const char *path = req->path + strlen(API_PREFIX);
	char allow[128] = "", store[2][SRV_PARAM_MAX + 1];
	static _Thread_local char allow_kept[128];
	struct att_principal who;
	struct srv_call call;
	const struct srv_route *route = NULL;
	json_t *body = NULL;
	enum att_rc rc;

	memset(&call, 0, sizeof(call));
	memset(&who, 0, sizeof(who));
	/* Limits first: size (the transport refuses larger bodies before
	 * reading them), encoding and nesting. */
	if (req->body_len > srv_body_limit(req->method, req->path)) {
		srv_error(resp, 413, "too_large", "the request body is larger than this route takes");
		return;
	}
	if (req->body_len && !att_utf8_valid(req->body, req->body_len)) {
		srv_error(resp, 400, "invalid_utf8", "the request body is not valid UTF-8");
		return;
	}
	if (req->body_len && !srv_json_depth_ok(req->body, req->body_len, SRV_JSON_DEPTH_MAX)) {
		srv_error(resp, 400, "too_deep", "the JSON body is nested more than 32 levels");
		return;
	}
	for (size_t i = 0; i < srv_nroutes; i++) {
		const char *p[2] = {NULL, NULL};

		if (!route_match(srv_routes[i].pattern, path, p, store))
			continue;
		if (!strcmp(srv_routes[i].method, req->method) ||
		    (!strcmp(req->method, "HEAD") && !strcmp(srv_routes[i].method, "GET"))) {
			route = &srv_routes[i];
			call.param[0] = p[0];
			call.param[1] = p[1];
			resp->route = (int)i;
			break;
		}
		if (strlen(allow) + strlen(srv_routes[i].method) + 3 < sizeof(allow))
			snprintf(allow + strlen(allow), sizeof(allow) - strlen(allow), "%s%s",
				 allow[0] ? ", " : "", srv_routes[i].method);
	}
	if (!route) {
		if (allow[0]) {
			snprintf(allow_kept, sizeof(allow_kept), "%s", allow);
			resp->allow = allow_kept;
			srv_error(resp, 405, "method_not_allowed", "this route does not take that method");
		} else {
			srv_error(resp, 404, "not_found", "no such route");
		}
		return;
	}
	if (!route->handler) {
		srv_error(resp, 501, "not_implemented",
			  "this route is planned; its library module does not exist yet");
		return;
	}
	if (!node) {
		srv_error(resp, 503, "unavailable", "the node database cannot be opened");
		return;
	}
	if (!(route->flags & SRV_PUBLIC)) {
		rc = authenticate(node, req, &who, &call.err);
		if (rc == ATT_EDENIED) {
			srv_error(resp, 401, "unauthenticated", call.err.msg);
			return;
		}
		if (rc) {
			srv_fail(resp, rc, &call.err, 0);
			return;
		}
		snprintf(resp->user, sizeof(resp->user), "%s", who.user);
		if (is_state_changing(req->method) && !who.is_token &&
		    !att_session_csrf_ok(&who, req->csrf)) {
			srv_error(resp, 403, "csrf",
				  "a state-changing request needs the session's X-CSRF-Token header");
			return;
		}
		call.who = &who;
	}
	if (route->flags & SRV_BODY) {
		json_error_t jerr;

		if (req->body_len && !is_json_type(req->content_type)) {
			srv_error(resp, 415, "unsupported_media_type",
				  "send the body as Content-Type: application/json");
			return;
		}
		if (!req->body_len) {
			body = json_object();
		} else {
			body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
			if (!body) {
				char m[200];

				snprintf(m, sizeof(m), "malformed JSON at line %d column %d", jerr.line,
					 jerr.column);
				srv_error(resp, 400, "malformed_json", m);
				return;
			}
		}
		if (!json_is_object(body)) {
			json_decref(body);
			srv_error(resp, 422, "invalid", "the body must be a JSON object");
			return;
		}
		call.body = body;
	}
	call.limit = SRV_PAGE_DEFAULT;
	{
		const char *lim = srv_arg(req, "limit");

		if (lim) {
			char *end = NULL;
			unsigned long v = strtoul(lim, &end, 10);

			if (!*lim || !end || *end || lim[0] == '-' || v < 1 || v > SRV_PAGE_MAX) {
				json_decref(body);
				srv_error(resp, 422, "invalid", "limit must be a number from 1 to 500");
				return;
			}
			call.limit = v;
		}
		call.cursor = srv_arg(req, "cursor");
	}
	call.node = node;
	call.req = req;
	call.resp = resp;
	call.status = 200;
	rc = route->handler(&call);
	json_decref(body);
	if (rc) {
		json_decref(call.out);
		srv_fail(resp, rc, &call.err, route->flags);
		return;
	}
	if (call.deferred) {
		/* The group commit answers later (http.c resumes the connection). */
		json_decref(call.out);
		resp->deferred = true;
		return;
	}
	if (call.status == 204 || !call.out) {
		json_decref(call.out);
		resp->status = call.status == 200 ? 204 : call.status;
		resp->body_len = 0;
		return;
	}
	if ((route->flags & SRV_LIST) && !call.paged) {
		json_t *page = json_is_array((json_t *)call.out)
				       ? paginate(call.out, call.limit, call.cursor, &call.err)
				       : NULL;

		json_decref(call.out);
		if (!page) {
			srv_fail(resp, call.err.rc ? call.err.rc : ATT_ENOMEM, &call.err, 0);
			return;
		}
		call.out = page;
	}
	set_json_shared(resp, call.status, call.out, call.paged ? call.shared : NULL);
}

static void static_file(const struct srv_request *req, struct srv_response *resp)
{
	const char *path = req->path;

	if (strcmp(req->method, "GET") && strcmp(req->method, "HEAD")) {
		resp->allow = "GET, HEAD";
		srv_error(resp, 405, "method_not_allowed", "the web interface is read-only");
		return;
	}
	if (!strcmp(path, "/"))
		path = "/index.html";
	for (size_t i = 0; i < srv_nassets; i++) {
		if (!strcmp(srv_assets[i].path, path)) {
			resp->status = 200;
			resp->static_body = srv_assets[i].data;
			resp->body_len = srv_assets[i].len;
			resp->content_type = srv_assets[i].content_type;
			resp->cache_control = "no-cache";
			return;
		}
	}
	srv_error(resp, 404, "not_found", "no such page");
}

void srv_handle(struct att_node *node, const struct srv_request *req,
		struct srv_response *resp)
{
	const char *path = req->path ? req->path : "";

	if (!req->method || path[0] != '/') {
		srv_error(resp, 400, "bad_request", "malformed request line");
		return;
	}
	if (!strcmp(path, "/healthz")) {
		if (node)
			set_json(resp, 200, json_pack("{s:s}", "status", "ok"));
		else
			srv_error(resp, 503, "unavailable", "the node database cannot be opened");
		return;
	}
	if (!strcmp(path, "/metrics")) {
		size_t len = 0;
		char *m = srv_metrics_render(&len);

		if (!m) {
			srv_error(resp, 500, "internal", "out of memory");
			return;
		}
		resp->status = 200;
		resp->body = m;
		resp->body_len = len;
		resp->content_type = "text/plain; version=0.0.4";
		return;
	}
	if (!strncmp(path, API_PREFIX, strlen(API_PREFIX)) &&
	    (path[strlen(API_PREFIX)] == '/' || path[strlen(API_PREFIX)] == '\0')) {
		api(node, req, resp);
		return;
	}
	static_file(req, resp);
}
