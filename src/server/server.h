/* The HTTP face of attache, split so that the request pipeline (limits,
 * authentication, CSRF, routing, JSON, error mapping) runs without sockets:
 * http.c feeds it from libmicrohttpd, fuzz/fuzz_http_request.c from bytes. */
#ifndef ATT_SERVER_H
#define ATT_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attache/common.h"
#include "attache/exchange.h"
#include "attache/session.h"

struct att_node;

/* Limits, checked before any other work on a request. */
#define SRV_BODY_MAX (1024u * 1024u)   /* JSON request bodies */
#define SRV_UPLOAD_MAX (64u * 1024u * 1024u) /* POST /watchlists: a list file in JSON */
#define SRV_PARAM_MAX 255u             /* a captured {…} path segment, in bytes */
#define SRV_JSON_DEPTH_MAX 32u         /* nesting of arrays and objects */
#define SRV_ARGS_MAX 16u               /* query arguments kept */
#define SRV_PAGE_DEFAULT 50u
#define SRV_PAGE_MAX 500u

#define SRV_COOKIE "attache_session"

struct srv_send;

struct srv_kv {
	const char *key;
	const char *value;
};

/* One request as the transport hands it over. Strings are NUL-terminated
 * and owned by the transport for the duration of srv_handle(). */
struct srv_request {
	const char *method;
	const char *path;          /* without the query string */
	struct srv_kv args[SRV_ARGS_MAX];
	size_t nargs;
	const char *cookie;        /* the value of the SRV_COOKIE cookie, or NULL */
	const char *authorization; /* the Authorization header, or NULL */
	const char *csrf;          /* the X-CSRF-Token header, or NULL */
	const char *content_type;  /* the Content-Type header, or NULL */
	const char *body;          /* NULL or body_len bytes (not NUL-terminated) */
	size_t body_len;
	const char *remote_ip;
	bool tls;
	/* Group commit (http.c): when set, POST /messages does not send at
	 * once but hands the message to defer_send, which copies what it needs
	 * and returns the slot the writer will fill; the reply is then built
	 * later by srv_send_answer(). NULL: the handler sends synchronously. */
	struct srv_send *(*defer_send)(void *ctx, const char *actor, const char *json,
				       size_t len);
	void *defer_ctx;
};

/* The reply. body is malloc'd (free with srv_response_release) unless
 * static_body is set, which points at data that lives forever. */
struct srv_response {
	unsigned status;
	char *body;
	size_t body_len;
	const unsigned char *static_body;
	const char *content_type;
	const char *allow;              /* for 405 */
	const char *cache_control;
	char set_cookie[256];
	char retry_after[24];
	char user[ATT_ID_MAX + 1];      /* who, for the access log ("" if nobody) */
	int route;                      /* index into srv_routes, or -1 */
	bool deferred;                  /* handed to the group commit: no reply yet */
};

void srv_response_init(struct srv_response *r);
void srv_response_release(struct srv_response *r);

/* Handles one request with node (this thread's own) and fills resp. Never
 * fails: every problem becomes an HTTP error reply. node may be NULL when
 * the database could not be opened (503). */
void srv_handle(struct att_node *node, const struct srv_request *req,
		struct srv_response *resp);

/* Fills resp with the JSON error {"error":{"code","message"}}. */
void srv_error(struct srv_response *resp, unsigned status, const char *code,
	       const char *message);

/* The largest body a request to method+path may carry: SRV_UPLOAD_MAX for
 * POST /api/v1/watchlists and /api/v1/messages/{id}/attachments,
 * SRV_BODY_MAX for everything else. The transport
 * checks it before reading a byte of the body. */
size_t srv_body_limit(const char *method, const char *path);

/* Fills resp with the error reply for a library result code (the one
 * mapping; flags are the route's srv_route_flags). */
void srv_fail(struct srv_response *resp, enum att_rc rc, const struct att_err *err,
	      unsigned flags);

/* True when the nesting depth of JSON text p[0..n) stays within max
 * (strings are skipped; the text need not be valid JSON). */
bool srv_json_depth_ok(const char *p, size_t n, size_t max);

/* --- the router ------------------------------------------------------------ */

struct srv_call;
typedef enum att_rc (*srv_handler)(struct srv_call *c);

enum srv_route_flags {
	SRV_PUBLIC = 1u << 0, /* no authentication (login) */
	SRV_LIST = 1u << 1,   /* returns an array, paginated by the server */
	SRV_BODY = 1u << 2,   /* takes a JSON object body */
	SRV_AUTHN = 1u << 3,  /* authenticates: denied is 401, a limit is 429 */
	SRV_SIZE = 1u << 4,   /* ATT_ELIMIT means the body is too large: 413 */
};

struct srv_route {
	const char *method;
	const char *pattern; /* under /api/v1, segments "{id}" capture */
	srv_handler handler; /* NULL: the library function does not exist yet (501) */
	unsigned flags;
	const char *summary;
};

extern const struct srv_route srv_routes[];
extern const size_t srv_nroutes;

/* What a handler works with. */
struct srv_call {
	struct att_node *node;
	const struct srv_request *req;
	struct srv_response *resp;
	const struct att_principal *who; /* NULL on public routes */
	const char *param[2];            /* captured {…} segments */
	void *body;                      /* json_t * object, for SRV_BODY routes */
	void *out;                       /* json_t * result (stolen by the pipeline) */
	unsigned status;                 /* success status, 200 unless set */
	bool paged;                      /* the handler paginated out itself */
	const void *shared;              /* a json_t * inside out that the library
					  * shares and never changes (see
					  * srv_json_text_shared), or NULL */
	size_t limit;                    /* page size asked for */
	const char *cursor;              /* cursor asked for, or NULL */
	bool deferred;                   /* the reply comes later (group commit) */
	struct att_err err;
};

/* --- group commit of message posts (sendq.c; routes.c builds the reply) ----- */

/* One POST /messages waiting for the writer. */
struct srv_send {
	char actor[ATT_ID_MAX + 1];
	const char *json; /* the request body, owned by the transport until done */
	size_t len;
	struct att_send_result res;
	enum att_rc rc;
	struct att_err err;
	void (*done)(struct srv_send *s); /* called on the writer thread after commit */
	void *ctx;
	struct srv_send *next;
};

/* Starts the writer thread on a clone of node. workers is the number of
 * threads that may call srv_audit_sink (0: unknown); once that many wait,
 * the writer commits at once instead of waiting for more. */
enum att_rc srv_sendq_start(struct att_node *node, size_t workers, struct att_err *err) ATT_WUR;
/* Queues s; s->done runs once its transaction has committed (or failed). */
void srv_sendq_submit(struct srv_send *s);
/* Finishes the queues and stops the writer. */
void srv_sendq_stop(void);

/* The rescan runner (rescan.c): a thread on a clone of node that reads the
 * text sent before for each person put on the register; wake it when a job
 * is left, stop it before the node closes. */
enum att_rc srv_rescan_start(struct att_node *node, struct att_err *err) ATT_WUR;
void srv_rescan_wake(void);
void srv_rescan_stop(void);

struct att_audit_item;
/* The audit sink of the worker nodes (att_node_set_audit_sink, ctx: the
 * worker's node): copies the entries of a read, queues them to the writer,
 * which appends those of many reads in one transaction, and returns once
 * that transaction has committed (its result). When the writer is not
 * running (before start, while stopping) the entries are appended on ctx
 * at once. Called on worker threads; blocks the caller. */
enum att_rc srv_audit_sink(void *ctx, const struct att_audit_item *items, size_t n,
			   struct att_err *err);

/* Deferred read audits (http.c): between begin and end, the sink keeps the
 * read's audit entries instead of blocking the worker thread; end returns
 * them as a ticket (NULL: the read recorded nothing). The connection is then
 * suspended and the ticket submitted: done(ctx) is called (from the writer)
 * once they are committed or refused; only then may the answer go out. */
struct srv_audit_ticket;
void srv_audit_defer_begin(void);
struct srv_audit_ticket *srv_audit_defer_end(void);
void srv_audit_submit(struct srv_audit_ticket *t, void (*done)(void *ctx), void *ctx);
/* After done: ATT_OK when the entries are durable. */
enum att_rc srv_audit_ticket_result(struct srv_audit_ticket *t, struct att_err *err);
/* Appends the ticket's entries on node now, in a transaction of its own. */
enum att_rc srv_audit_ticket_commit(struct srv_audit_ticket *t, struct att_node *node,
				    struct att_err *err) ATT_WUR;
void srv_audit_ticket_free(struct srv_audit_ticket *t);

/* The reply to a message post: 201 {id, held, reasons, hits} or the error.
 * Releases what s->res holds. */
void srv_send_answer(struct srv_send *s, struct srv_response *resp);

/* --- reply text (jsonw.c) ---------------------------------------------------- */

/* The compact JSON text of v (a json_t *), the same bytes as
 * json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY), malloc'd (caller frees),
 * its length in *len; NULL when out of memory or nested deeper than 64. */
char *srv_json_text(const void *v, size_t *len);
/* The same, where shared (NULL, or a json_t * inside v) is a value the
 * library shares between requests and never changes: its text is written
 * once and kept (with a reference to it) for the next replies that hold it.
 * Thread-safe. */
char *srv_json_text_shared(const void *v, const void *shared, size_t *len);
/* Drops the kept texts (at shutdown). */
void srv_json_memo_release(void);

/* A query argument of the request, or NULL. */
const char *srv_arg(const struct srv_request *req, const char *key);

/* --- web assets (web_assets.c, generated by scripts/embed-web.sh) ---------- */

struct srv_asset {
	const char *path; /* "/index.html" */
	const char *content_type;
	const unsigned char *data;
	size_t len;
};

extern const struct srv_asset srv_assets[];
extern const size_t srv_nassets;

/* --- metrics (metrics.c) ---------------------------------------------------- */

void srv_metrics_request(int route, unsigned status, double seconds);
void srv_metrics_inflight(int delta);
long srv_metrics_inflight_now(void);
/* Prometheus text exposition into a malloc'd string. */
char *srv_metrics_render(size_t *len);

#endif
