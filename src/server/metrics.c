/* Counters of the server for Prometheus: requests by route and status, a
 * latency histogram, requests in flight and resident memory. Lock-free:
 * every worker thread updates them with relaxed atomics. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server.h"
#include "util.h"
#include "banned.h"

#define ROUTES_MAX 128
#define ROUTE_OTHER ROUTES_MAX /* static files, /healthz, unmatched */

static const unsigned statuses[] = {200, 201, 204, 304, 400, 401, 403, 404, 405, 409,
				    413, 415, 422, 429, 500, 501, 503, 0};
#define NSTATUS (sizeof(statuses) / sizeof(statuses[0]))

static const double bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
				0.05,   0.1,   0.25,   0.5,   1.0,  2.5};
#define NBOUNDS (sizeof(bounds) / sizeof(bounds[0]))

static atomic_ulong counts[ROUTES_MAX + 1][NSTATUS];
static atomic_ulong hist[NBOUNDS + 1];
static atomic_ulong hist_count;
static atomic_ullong hist_sum_us;
static atomic_long inflight;

void srv_metrics_request(int route, unsigned status, double seconds)
{
	size_t r = route >= 0 && route < ROUTES_MAX ? (size_t)route : ROUTE_OTHER;
	size_t s = NSTATUS - 1, b = NBOUNDS;

	for (size_t i = 0; i + 1 < NSTATUS; i++) {
		if (statuses[i] == status) {
			s = i;
			break;
		}
	}
	atomic_fetch_add_explicit(&counts[r][s], 1, memory_order_relaxed);
	for (size_t i = 0; i < NBOUNDS; i++) {
		if (seconds <= bounds[i]) {
			b = i;
			break;
		}
	}
	atomic_fetch_add_explicit(&hist[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&hist_count, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&hist_sum_us,
				  (unsigned long long)(seconds > 0 ? seconds * 1e6 : 0),
				  memory_order_relaxed);
}

void srv_metrics_inflight(int delta)
{
	atomic_fetch_add_explicit(&inflight, delta, memory_order_relaxed);
}

long srv_metrics_inflight_now(void)
{
	return atomic_load_explicit(&inflight, memory_order_relaxed);
}

static long rss_bytes(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long pages = 0, res = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%ld %ld", &pages, &res) != 2)
		res = 0;
	fclose(f);
	return res * sysconf(_SC_PAGESIZE);
}

char *srv_metrics_render(size_t *len)
{
	struct att_buf b;
	unsigned long cum = 0;

	att_buf_init(&b, 4u << 20);
	(void)!att_buf_adds(&b, "# HELP attache_http_requests_total HTTP requests by route and status.\n"
			      "# TYPE attache_http_requests_total counter\n");
	for (size_t r = 0; r <= ROUTES_MAX; r++) {
		char route[160];

		if (r < ROUTES_MAX && r >= srv_nroutes)
			continue;
		if (r == ROUTE_OTHER)
			snprintf(route, sizeof(route), "other");
		else
			snprintf(route, sizeof(route), "%s /api/v1%s", srv_routes[r].method,
				 srv_routes[r].pattern);
		for (size_t s = 0; s < NSTATUS; s++) {
			unsigned long v = atomic_load_explicit(&counts[r][s], memory_order_relaxed);

			if (!v)
				continue;
			if (statuses[s])
				(void)!att_buf_addf(&b,
						    "attache_http_requests_total{route=\"%s\",status=\"%u\"} %lu\n",
						    route, statuses[s], v);
			else
				(void)!att_buf_addf(&b,
						    "attache_http_requests_total{route=\"%s\",status=\"other\"} %lu\n",
						    route, v);
		}
	}
	(void)!att_buf_adds(&b, "# HELP attache_http_request_duration_seconds Time to answer a request.\n"
			      "# TYPE attache_http_request_duration_seconds histogram\n");
	for (size_t i = 0; i <= NBOUNDS; i++) {
		cum += atomic_load_explicit(&hist[i], memory_order_relaxed);
		if (i < NBOUNDS)
			(void)!att_buf_addf(&b,
					    "attache_http_request_duration_seconds_bucket{le=\"%g\"} %lu\n",
					    bounds[i], cum);
		else
			(void)!att_buf_addf(&b,
					    "attache_http_request_duration_seconds_bucket{le=\"+Inf\"} %lu\n",
					    cum);
	}
	(void)!att_buf_addf(&b, "attache_http_request_duration_seconds_sum %.6f\n",
			    (double)atomic_load_explicit(&hist_sum_us, memory_order_relaxed) / 1e6);
	(void)!att_buf_addf(&b, "attache_http_request_duration_seconds_count %lu\n",
			    atomic_load_explicit(&hist_count, memory_order_relaxed));
	(void)!att_buf_addf(&b,
			    "# HELP attache_http_requests_in_flight Requests being handled now.\n"
			    "# TYPE attache_http_requests_in_flight gauge\n"
			    "attache_http_requests_in_flight %ld\n"
			    "# HELP attache_resident_memory_bytes Resident set size of the server.\n"
			    "# TYPE attache_resident_memory_bytes gauge\n"
			    "attache_resident_memory_bytes %ld\n",
			    srv_metrics_inflight_now(), rss_bytes());
	if (b.failed)
		return NULL;
	return att_buf_detach(&b, len);
}
