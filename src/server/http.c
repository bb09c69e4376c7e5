/* attache serve: libmicrohttpd in front of the request pipeline (api.c).
 * A pool of worker threads, each with its own clone of the node made on
 * first use; message posts suspended while the group commit (sendq.c) works;
 * limits enforced before a body is read; security headers on every reply; a
 * JSON-lines access log; graceful shutdown on SIGTERM/SIGINT. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>

#include "attache/audit.h"
#include "attache/match.h"
#include "attache/node.h"
#include "cmds.h"
#include "server.h"
#include "util.h"
#include "banned.h"

#define THREADS_MAX 256
#define NODES_MAX (THREADS_MAX + 8)
/* List uploads (POST /watchlists, up to SRV_UPLOAD_MAX) in flight at once. */
#define UPLOADS_MAX 2
/* Memory of one connection: its request line and headers must fit (a
 * larger head is refused with 431). libmicrohttpd zeroes all of it after
 * every request, so it is kept to what requests need: 32 KiB cost a
 * twentieth of the CPU of an inbox read. */
#define CONN_MEMORY (16u * 1024u)

static const char csp[] = "default-src 'self'; script-src 'self'; style-src 'self'; "
			  "img-src 'self' data:; connect-src 'self'; object-src 'none'; "
			  "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

struct serve_conf {
	const char *db_path;
	bool tls;
	bool access_log;
};

static struct serve_conf conf;

/* The node opened at start, and every clone a worker made of it (sharing
 * its in-memory match indexes), closed after the daemon has stopped. */
static pthread_mutex_t nodes_lock = PTHREAD_MUTEX_INITIALIZER;
static struct att_node *base;
static struct att_node *nodes[NODES_MAX];
static size_t nnodes;
static _Thread_local struct att_node *tl_node;
static atomic_int uploads;
/* Set on the threads that made a node, so that their per-thread caches of
 * the matching engine (ICU transliterators, index scratch) are freed when
 * libmicrohttpd ends them. */
static pthread_key_t thread_exit_key;
static pthread_once_t thread_exit_once = PTHREAD_ONCE_INIT;

static void thread_exit(void *v)
{
	(void)v;
	att_match_thread_release();
}

static void thread_exit_init(void)
{
	if (pthread_key_create(&thread_exit_key, thread_exit))
		fprintf(stderr, "{\"event\":\"thread-key-failed\"}\n");
}

static struct att_node *thread_node(void)
{
	struct att_err err = {0};
	struct att_node *n = NULL;
	enum att_rc rc;

	if (tl_node)
		return tl_node;
	pthread_mutex_lock(&nodes_lock);
	rc = att_node_clone(base, &n, &err);
	pthread_mutex_unlock(&nodes_lock);
	if (rc) {
		fprintf(stderr, "{\"event\":\"node.open-failed\",\"error\":\"%s\"}\n",
			att_rc_name(err.rc));
		return NULL;
	}
	/* Reads hand their audit entries to the writer's group commit. */
	att_node_set_audit_sink(n, srv_audit_sink, n);
	pthread_mutex_lock(&nodes_lock);
	if (nnodes < NODES_MAX) {
		nodes[nnodes++] = n;
		tl_node = n;
	}
	pthread_mutex_unlock(&nodes_lock);
	if (!tl_node) {
		att_node_close(n);
		return NULL;
	}
	(void)pthread_once(&thread_exit_once, thread_exit_init);
	(void)pthread_setspecific(thread_exit_key, (void *)1);
	return tl_node;
}

/* State of one request across the calls libmicrohttpd makes. */
struct req_state {
	struct timespec start;
	struct att_buf body;
	size_t limit;      /* the body limit of this route */
	bool too_large;
	bool answered;
	bool upload;       /* holds one of the UPLOADS_MAX slots */
	bool deferred;     /* suspended, waiting for the group commit */
	bool read_held;    /* suspended: the answer waits for its audit entries */
	struct srv_audit_ticket *ticket;
	struct srv_response held;
	struct MHD_Connection *conn;
	struct srv_send send;
	unsigned status;
	size_t bytes;
	int route;
	char method[12];
	char path[256];
	char user[ATT_ID_MAX + 1];
	char ip[INET6_ADDRSTRLEN];
	struct srv_request req;
};

static double elapsed(const struct timespec *a)
{
	struct timespec b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (double)(b.tv_sec - a->tv_sec) + (double)(b.tv_nsec - a->tv_nsec) / 1e9;
}

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
				   const char *value)
{
	struct srv_request *r = cls;

	(void)kind;
	if (r->nargs < SRV_ARGS_MAX && key) {
		r->args[r->nargs].key = key;
		r->args[r->nargs].value = value ? value : "";
		r->nargs++;
	}
	return MHD_YES;
}

static void client_ip(struct MHD_Connection *conn, char *out, size_t n)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	snprintf(out, n, "unknown");
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
			  (socklen_t)n);
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
			  out, (socklen_t)n);
}

static void add_headers(struct MHD_Response *r, const struct srv_response *resp,
			const char *path)
{
	MHD_add_response_header(r, "Content-Type", resp->content_type);
	MHD_add_response_header(r, "Content-Security-Policy", csp);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "Cross-Origin-Opener-Policy", "same-origin");
	MHD_add_response_header(r, "Cross-Origin-Resource-Policy", "same-origin");
	if (conf.tls)
		MHD_add_response_header(r, "Strict-Transport-Security", "max-age=31536000");
	if (resp->cache_control)
		MHD_add_response_header(r, "Cache-Control", resp->cache_control);
	else if (!strncmp(path, "/api/", 5) || !strcmp(path, "/metrics"))
		MHD_add_response_header(r, "Cache-Control", "no-store");
	if (resp->set_cookie[0])
		MHD_add_response_header(r, "Set-Cookie", resp->set_cookie);
	if (resp->retry_after[0])
		MHD_add_response_header(r, "Retry-After", resp->retry_after);
	if (resp->allow)
		MHD_add_response_header(r, "Allow", resp->allow);
}

static enum MHD_Result answer(struct MHD_Connection *conn, struct req_state *st,
			      struct srv_response *resp)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (resp->static_body)
		r = MHD_create_response_from_buffer(resp->body_len, (void *)resp->static_body,
						    MHD_RESPMEM_PERSISTENT);
	else if (resp->body)
		r = MHD_create_response_from_buffer(resp->body_len, resp->body,
						    MHD_RESPMEM_MUST_FREE);
	else
		r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	if (!r) {
		srv_response_release(resp);
		return MHD_NO;
	}
	resp->body = NULL; /* owned by the response now */
	add_headers(r, resp, st->path);
	st->answered = true;
	st->status = resp->status;
	st->bytes = resp->body_len;
	st->route = resp->route;
	snprintf(st->user, sizeof(st->user), "%s", resp->user);
	ret = MHD_queue_response(conn, resp->status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result refuse(struct MHD_Connection *conn, struct req_state *st,
			      unsigned status, const char *code, const char *msg)
{
	struct srv_response resp;

	srv_response_init(&resp);
	srv_error(&resp, status, code, msg);
	if (status == 503)
		snprintf(resp.retry_after, sizeof(resp.retry_after), "5");
	return answer(conn, st, &resp);
}

static enum MHD_Result too_large(struct MHD_Connection *conn, struct req_state *st)
{
	return refuse(conn, st, 413, "too_large",
		      st->limit > SRV_BODY_MAX ? "the request body is larger than 64 MiB"
					       : "the request body is larger than 1 MiB");
}

/* The writer has committed (or refused) a read's audit entries. */
static void read_done(void *ctx)
{
	struct req_state *st = ctx;

	MHD_resume_connection(st->conn);
}

/* The writer has committed (or refused) the message: wake the connection;
 * libmicrohttpd then calls on_request again, which answers. */
static void send_done(struct srv_send *s)
{
	struct req_state *st = s->ctx;

	MHD_resume_connection(st->conn);
}

static struct srv_send *defer_send(void *ctx, const char *actor, const char *json,
				   size_t len)
{
	struct req_state *st = ctx;

	memset(&st->send, 0, sizeof(st->send));
	snprintf(st->send.actor, sizeof(st->send.actor), "%s", actor);
	st->send.json = json;
	st->send.len = len;
	st->send.done = send_done;
	st->send.ctx = st;
	return &st->send;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size,
				  void **con_cls)
{
	struct req_state *st = *con_cls;
	struct srv_response resp;

	(void)cls;
	(void)version;
	if (!st) {
		const char *cl;

		st = calloc(1, sizeof(*st));
		if (!st)
			return MHD_NO;
		clock_gettime(CLOCK_MONOTONIC, &st->start);
		st->limit = srv_body_limit(method, url);
		att_buf_init(&st->body, st->limit);
		st->route = -1;
		st->conn = conn;
		snprintf(st->method, sizeof(st->method), "%s", method);
		snprintf(st->path, sizeof(st->path), "%s", url);
		client_ip(conn, st->ip, sizeof(st->ip));
		*con_cls = st;
		srv_metrics_inflight(1);
		/* A declared body over the limit is refused before it is read. */
		cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
		if (cl) {
			char *end = NULL;
			unsigned long long n = strtoull(cl, &end, 10);

			if (!end || *end || n > st->limit) {
				st->too_large = true;
				return too_large(conn, st);
			}
		}
		/* A list file is large: it must declare its size, and only a few
		 * are read at once. */
		if (st->limit > SRV_BODY_MAX) {
			if (!cl) {
				st->too_large = true;
				return refuse(conn, st, 411, "length_required",
					      "a list upload needs a Content-Length");
			}
			if (atomic_fetch_add(&uploads, 1) >= UPLOADS_MAX) {
				atomic_fetch_sub(&uploads, 1);
				st->too_large = true;
				return refuse(conn, st, 503, "busy",
					      "other list uploads are in progress; try again");
			}
			st->upload = true;
		}
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (!st->too_large && att_buf_add(&st->body, upload_data, *upload_data_size)) {
			st->too_large = true;
			att_buf_release(&st->body);
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (st->answered)
		return MHD_YES;
	if (st->deferred) {
		/* Resumed by send_done: the message's transaction is over. */
		srv_response_init(&resp);
		srv_send_answer(&st->send, &resp);
		resp.route = st->route;
		snprintf(resp.user, sizeof(resp.user), "%s", st->user);
		st->deferred = false;
		return answer(conn, st, &resp);
	}
	if (st->read_held) {
		/* Resumed by read_done: the answer may go out once its audit
		 * entries are durable. */
		struct att_err aerr = {0};
		enum att_rc arc = srv_audit_ticket_result(st->ticket, &aerr);

		st->read_held = false;
		srv_audit_ticket_free(st->ticket);
		st->ticket = NULL;
		if (arc) {
			srv_response_release(&st->held);
			return refuse(conn, st, 503, "unavailable",
				      "the read could not be audited; nothing was shown");
		}
		return answer(conn, st, &st->held);
	}
	if (st->too_large)
		return too_large(conn, st);
	st->req.method = method;
	st->req.path = url;
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_arg, &st->req);
	st->req.cookie = MHD_lookup_connection_value(conn, MHD_COOKIE_KIND, SRV_COOKIE);
	st->req.authorization = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							    "Authorization");
	st->req.csrf = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-CSRF-Token");
	st->req.content_type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							   "Content-Type");
	st->req.body = st->body.len ? st->body.data : NULL;
	st->req.body_len = st->body.len;
	st->req.remote_ip = st->ip;
	st->req.tls = conf.tls;
	st->req.defer_send = defer_send;
	st->req.defer_ctx = st;
	srv_response_init(&resp);
	srv_audit_defer_begin();
	srv_handle(!strncmp(url, "/api/", 5) || !strcmp(url, "/healthz") ? thread_node() : NULL,
		   &st->req, &resp);
	st->ticket = srv_audit_defer_end();
	if (st->ticket && !resp.deferred) {
		/* Hold the answer, free the worker: the writer resumes us when
		 * the read's audit entries are committed. Suspend first, so the
		 * resume always finds the connection suspended. */
		st->held = resp;
		st->read_held = true;
		MHD_suspend_connection(conn);
		srv_audit_submit(st->ticket, read_done, st);
		return MHD_YES;
	}
	if (st->ticket) {
		/* Not expected (a message post records no read): make the
		 * entries durable here before going on. */
		struct att_err aerr = {0};

		if (srv_audit_ticket_commit(st->ticket, thread_node(), &aerr)) {
			srv_audit_ticket_free(st->ticket);
			st->ticket = NULL;
			srv_response_release(&resp);
			return refuse(conn, st, 503, "unavailable", "the request could not be audited");
		}
		srv_audit_ticket_free(st->ticket);
		st->ticket = NULL;
	}
	if (resp.deferred) {
		/* Suspend before queueing, so that the writer's resume always
		 * finds the connection suspended. */
		st->deferred = true;
		st->route = resp.route;
		snprintf(st->user, sizeof(st->user), "%s", resp.user);
		srv_response_release(&resp);
		MHD_suspend_connection(conn);
		srv_sendq_submit(&st->send);
		return MHD_YES;
	}
	return answer(conn, st, &resp);
}

static void log_access(const struct req_state *st, double secs)
{
	json_t *line;
	char ts[32], *s;

	att_time_fmt((int64_t)time(NULL), ts);
	/* Method, path (never the query, which may carry names), status, size,
	 * duration and who: never bodies, passwords, tokens or content. */
	line = json_pack("{s:s,s:s,s:s,s:i,s:I,s:I,s:s?,s:s}", "ts", ts, "method", st->method,
			 "path", st->path, "status", (int)st->status, "bytes",
			 (json_int_t)st->bytes, "us", (json_int_t)(secs * 1e6), "user",
			 st->user[0] ? st->user : NULL, "ip", st->ip);
	s = line ? json_dumps(line, JSON_COMPACT) : NULL;
	json_decref(line);
	if (s) {
		size_t n = strlen(s);

		s[n] = '\n';
		/* One write per line keeps lines whole across threads. */
		(void)!write(STDERR_FILENO, s, n + 1);
		free(s);
	}
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct req_state *st = *con_cls;
	double secs;

	(void)cls;
	(void)conn;
	if (!st)
		return;
	secs = elapsed(&st->start);
	if (!st->answered)
		st->status = toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED ? 408 : 499;
	srv_metrics_request(st->route, st->status, secs);
	if (conf.access_log)
		log_access(st, secs);
	if (st->upload)
		atomic_fetch_sub(&uploads, 1);
	if (st->read_held)
		srv_response_release(&st->held);
	srv_audit_ticket_free(st->ticket);
	att_buf_release(&st->body);
	free(st);
	*con_cls = NULL;
	srv_metrics_inflight(-1);
}

/* What libmicrohttpd said when the daemon would not start (a certificate
 * it could not use, say); nothing once it runs: a client's failed
 * handshake is the client's affair. */
static char mhd_error[256];
static atomic_bool mhd_running;

__attribute__((format(printf, 2, 0))) static void mhd_log(void *cls, const char *fmt,
							   va_list ap)
{
	size_t n;

	(void)cls;
	if (atomic_load(&mhd_running) || mhd_error[0])
		return;
	vsnprintf(mhd_error, sizeof(mhd_error), fmt, ap);
	n = strlen(mhd_error);
	while (n && (mhd_error[n - 1] == '\n' || mhd_error[n - 1] == '.'))
		mhd_error[--n] = '\0';
}

/* TLS 1.2 and 1.3 only (RFC 8996 retires 1.0 and 1.1), forward secrecy
 * (ECDHE, no static RSA or finite-field DH key exchange) and AEAD ciphers
 * only (no CBC, no SHA-1 MAC): what NIST SP 800-52r2 asks of a government
 * server, with the server's order of preference. */
#define TLS_PRIORITIES                                                                        \
	"SECURE128:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-256-GCM:"           \
	"+AES-128-GCM:+CHACHA20-POLY1305:-MAC-ALL:+AEAD:-RSA:-DHE-RSA:-DHE-DSS:%SERVER_PRECEDENCE"

static bool parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[128];
	const char *colon;
	unsigned long port;
	char *end = NULL;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (!rb || rb[1] != ':' || (size_t)(rb - s - 1) >= sizeof(host))
			return false;
		memcpy(host, s + 1, (size_t)(rb - s - 1));
		host[rb - s - 1] = '\0';
		colon = rb + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || (size_t)(colon - s) >= sizeof(host))
			return false;
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = '\0';
	}
	port = strtoul(colon + 1, &end, 10);
	if (!colon[1] || !end || *end || port > 65535)
		return false;
	if (s[0] != '[') {
		struct sockaddr_in *a = (struct sockaddr_in *)(void *)ss;

		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		*len = sizeof(*a);
		return inet_pton(AF_INET, host, &a->sin_addr) == 1;
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)(void *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		*len = sizeof(*a);
		return inet_pton(AF_INET6, host, &a->sin6_addr) == 1;
	}
}

static int print_routes(void)
{
	for (size_t i = 0; i < srv_nroutes; i++)
		printf("%s /api/v1%s%s\n", srv_routes[i].method, srv_routes[i].pattern,
		       srv_routes[i].handler ? "" : " (planned)");
	return CLI_OK;
}

static unsigned bound_port(struct MHD_Daemon *d)
{
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);

	return di ? di->port : 0;
}

int cmd_serve(struct cli *cli, int argc, char **argv)
{
	static const char usage[] =
		"attache serve [--listen ADDR:PORT] [--tls-cert FILE --tls-key FILE]\n"
		"                     [--threads N] [--per-ip N] [--no-access-log] [--routes]";
	const char *listen_at = NULL, *cert = NULL, *key = NULL, *threads_s = NULL,
		   *per_ip_s = NULL, *pos[1];
	bool routes = false, no_log = false;
	struct cli_opt opts[] = {{"listen", true, &listen_at, NULL},
				 {"tls-cert", true, &cert, NULL},
				 {"tls-key", true, &key, NULL},
				 {"threads", true, &threads_s, NULL},
				 {"per-ip", true, &per_ip_s, NULL},
				 {"no-access-log", false, NULL, &no_log},
				 {"routes", false, NULL, &routes},
				 {NULL, false, NULL, NULL}};
	unsigned long long threads = 0, per_ip = 256;
	struct sockaddr_storage ss;
	socklen_t sslen = 0;
	struct att_err err = {0};
	struct MHD_Daemon *d;
	char *cert_pem = NULL, *key_pem = NULL;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
			 MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	sigset_t sigs;
	size_t npos, n;
	int rc = cli_parse(argc, argv, 1, opts, pos, 0, &npos, usage), sig = 0;

	if (rc)
		return rc < 0 ? CLI_OK : rc;
	if (routes)
		return print_routes();
	if (!listen_at)
		listen_at = "127.0.0.1:8080";
	if (!parse_listen(listen_at, &ss, &sslen))
		return cli_usage_error("--listen takes ADDR:PORT, e.g. 127.0.0.1:8080 or [::1]:8080");
	if (threads_s && (!cli_parse_u64(threads_s, THREADS_MAX, &threads) || threads == 0))
		return cli_usage_error("--threads takes a number from 1 to %d", THREADS_MAX);
	if (!threads_s) {
		/* A read waits for the group commit of its audit entry on its
		 * worker thread, so there are more threads than cores: 4 per
		 * core, from 8 to 64 (docs/internals/server.md). */
		long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

		threads = ncpu > 0 ? 4 * (unsigned long long)ncpu : 8;
		if (threads < 8)
			threads = 8;
		if (threads > 64)
			threads = 64;
	}
	if (per_ip_s && (!cli_parse_u64(per_ip_s, 65535, &per_ip) || per_ip == 0))
		return cli_usage_error("--per-ip takes a number from 1 to 65535");
	if (!cert != !key)
		return cli_usage_error("TLS needs both --tls-cert and --tls-key");
	/* Refuse at once when the node cannot be opened. The node stays open:
	 * workers and the writer clone it and share its match indexes. */
	if (att_node_open(cli->db_path, &base, &err))
		return cli_fail(&err);
	if (cert) {
		cert_pem = cli_read_file(cert, 1u << 20, &n, &err);
		key_pem = cert_pem ? cli_read_file(key, 1u << 20, &n, &err) : NULL;
		if (!key_pem) {
			free(cert_pem);
			att_node_close(base);
			return cli_fail(&err);
		}
		flags |= MHD_USE_TLS;
	}
	/* Every thread (the writer, the rescan runner, the workers) inherits
	 * a mask with the stop signals blocked; this thread waits for them. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (srv_sendq_start(base, (size_t)threads, &err)) {
		free(cert_pem);
		free(key_pem);
		att_node_close(base);
		return cli_fail(&err);
	}
	if (srv_rescan_start(base, &err)) {
		free(cert_pem);
		free(key_pem);
		srv_sendq_stop();
		att_node_close(base);
		return cli_fail(&err);
	}
	conf.db_path = cli->db_path;
	conf.tls = cert != NULL;
	conf.access_log = !no_log;
	if (cert)
		d = MHD_start_daemon(
			flags, 0, NULL, NULL, on_request, NULL, MHD_OPTION_EXTERNAL_LOGGER, mhd_log,
			NULL, MHD_OPTION_SOCK_ADDR, &ss,
			MHD_OPTION_THREAD_POOL_SIZE, (unsigned)threads,
			MHD_OPTION_CONNECTION_LIMIT, (unsigned)4096,
			MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)per_ip,
			MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY,
			MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_NOTIFY_COMPLETED,
			on_completed, NULL, MHD_OPTION_HTTPS_MEM_CERT, cert_pem,
			MHD_OPTION_HTTPS_MEM_KEY, key_pem, MHD_OPTION_HTTPS_PRIORITIES,
			TLS_PRIORITIES, MHD_OPTION_END);
	else
		d = MHD_start_daemon(
			flags, 0, NULL, NULL, on_request, NULL, MHD_OPTION_EXTERNAL_LOGGER, mhd_log,
			NULL, MHD_OPTION_SOCK_ADDR, &ss,
			MHD_OPTION_THREAD_POOL_SIZE, (unsigned)threads,
			MHD_OPTION_CONNECTION_LIMIT, (unsigned)4096,
			MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)per_ip,
			MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY,
			MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_NOTIFY_COMPLETED,
			on_completed, NULL, MHD_OPTION_END);
	if (!d) {
		/* In libmicrohttpd's words (a certificate or key GnuTLS refused,
		 * say), but a failed bind by its cause alone: the daemon names the
		 * port it was given, 0 with a socket address. */
		const char *why = strstr(mhd_error, "Failed to bind") ? strrchr(mhd_error, ':') : NULL;

		free(cert_pem);
		free(key_pem);
		srv_rescan_stop();
		srv_sendq_stop();
		att_node_close(base);
		if (why)
			fprintf(stderr, "attache: cannot listen on %s:%s\n", listen_at, why + 1);
		else if (mhd_error[0])
			fprintf(stderr, "attache: cannot serve on %s: %s\n", listen_at, mhd_error);
		else
			fprintf(stderr, "attache: cannot listen on %s: %s\n", listen_at,
				errno ? strerror(errno) : "libmicrohttpd refused the settings");
		return CLI_REFUSED;
	}
	atomic_store(&mhd_running, true);
	{
		char host[INET6_ADDRSTRLEN] = "";
		const char *colon = listen_at[0] == '[' ? strchr(listen_at, ']') + 1
							 : strrchr(listen_at, ':');

		snprintf(host, sizeof(host), "%.*s", (int)(colon - listen_at), listen_at);
		printf("attache: serving %s://%s:%u/ with %llu threads (database %s)\n",
		       cert ? "https" : "http", host, bound_port(d), threads, cli->db_path);
		fflush(stdout);
	}
	(void)sigwait(&sigs, &sig);
	/* Graceful stop: accept nothing new, let requests in flight finish (up
	 * to 10 s), then stop the workers and close every node cleanly. */
	{
		MHD_socket lfd = MHD_quiesce_daemon(d);

		for (int i = 0; i < 1000 && srv_metrics_inflight_now() > 0; i++) {
			struct timespec ts = {0, 10 * 1000 * 1000};

			nanosleep(&ts, NULL);
		}
		/* The writer drains its queue while the daemon can still resume
		 * the connections waiting for it; later posts are refused. */
		srv_rescan_stop();
		srv_sendq_stop();
		MHD_stop_daemon(d);
		if (lfd != MHD_INVALID_SOCKET)
			close(lfd);
	}
	pthread_mutex_lock(&nodes_lock);
	for (size_t i = 0; i < nnodes; i++)
		att_node_close(nodes[i]);
	nnodes = 0;
	att_node_close(base);
	base = NULL;
	pthread_mutex_unlock(&nodes_lock);
	srv_json_memo_release();
	if (key_pem) {
		explicit_bzero(key_pem, strlen(key_pem));
		free(key_pem);
	}
	free(cert_pem);
	fprintf(stderr, "{\"event\":\"stopped\",\"signal\":%d}\n", sig);
	return CLI_OK;
}
