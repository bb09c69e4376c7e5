/* Group commit: one writer thread, on its own node, makes durable what
 * arrives together. A round of reads closes SENDQ_WAIT_US after its oldest
 * read arrived, or at once when it is full or every request in flight is in
 * it; a round with posts waits SENDQ_WAIT_US for more.
 * Message posts (up to SENDQ_BATCH) go to att_msg_send_many, one transaction for all; the audit
 * entries of reads (the worker nodes' audit sink) go to
 * att_audit_append_items, one transaction with one signed head for all.
 * No request is answered before the transaction that holds it has
 * committed. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attache/audit.h"
#include "attache/exchange.h"
#include "attache/match.h"
#include "attache/node.h"
#include "server.h"
#include "banned.h"

#define SENDQ_BATCH 64u
#define AUDIT_BATCH 256u
#define SENDQ_WAIT_US 2000L

/* The audit entries of one read, copied, and the reader waiting for them. */
struct audit_wait {
	struct att_audit_item *items; /* one allocation: the array, then the strings */
	size_t n;
	enum att_rc rc;
	struct att_err err;
	bool done;
	pthread_cond_t committed;     /* a blocked reader waits on it */
	void (*cb)(void *ctx);        /* or a deferred reader is called back */
	void *cb_ctx;
	struct audit_wait *next;
};

/* A worker thread that answers later (http.c) collects its read's audit
 * entries here instead of blocking in the sink. */
static __thread bool tl_defer;
static __thread struct audit_wait *tl_pending;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t arrived = PTHREAD_COND_INITIALIZER;
static struct srv_send *head, *tail;
static size_t queued;
static struct audit_wait *ahead, *atail;
static size_t aqueued;  /* audit items waiting */
static size_t areaders; /* readers waiting (each blocks a worker thread) */
static size_t areads;   /* reads waiting, blocked or suspended */
/* When the oldest request now waiting arrived: a batch closes at most
 * SENDQ_WAIT_US after it, however long the previous commit took. */
static struct timespec first_arrival;
static size_t nworkers; /* worker threads: when all wait, waiting longer is useless */
static bool stopping, running;
static pthread_t writer;
static struct att_node *wnode;
/* The writer's scratch array of the items of one audit batch. */
static struct att_audit_item *abuf;
static size_t abuf_cap;

/* *ts = from + us microseconds. */
static void deadline_after(struct timespec *ts, const struct timespec *from, long us)
{
	*ts = *from;
	ts->tv_nsec += us * 1000L;
	while (ts->tv_nsec >= 1000000000L) {
		ts->tv_nsec -= 1000000000L;
		ts->tv_sec++;
	}
}

/* Sends one batch and calls every item's done (outside the lock). */
static void send_batch(struct srv_send **items, size_t n)
{
	const char *actors[SENDQ_BATCH] = {NULL}, *jsons[SENDQ_BATCH] = {NULL};
	size_t lens[SENDQ_BATCH] = {0};
	struct att_send_result res[SENDQ_BATCH];
	enum att_rc rcs[SENDQ_BATCH];
	struct att_err errs[SENDQ_BATCH], err = {0};
	enum att_rc rc;

	if (!n)
		return;
	memset(res, 0, sizeof(res[0]) * n);
	memset(errs, 0, sizeof(errs[0]) * n);
	for (size_t i = 0; i < n; i++) {
		actors[i] = items[i]->actor;
		jsons[i] = items[i]->json;
		lens[i] = items[i]->len;
		rcs[i] = ATT_OK;
	}
	rc = att_msg_send_many(wnode, actors, jsons, lens, n, res, rcs, errs, &err);
	for (size_t i = 0; i < n; i++) {
		struct srv_send *s = items[i];

		if (rc) {
			/* The transaction failed: nothing of the batch is stored. */
			att_send_result_release(&res[i]);
			memset(&s->res, 0, sizeof(s->res));
			s->rc = rc;
			s->err = err;
		} else {
			s->res = res[i];
			s->rc = rcs[i];
			s->err = errs[i];
		}
		s->done(s);
	}
}

/* Appends the entries of the readers in list (linked by next) in one
 * transaction and records the outcome in each; the caller wakes them. */
static void audit_batch(struct audit_wait *list, size_t nitems)
{
	struct att_err err = {0};
	enum att_rc rc = ATT_OK;
	size_t k = 0;

	if (!list)
		return;
	if (nitems > abuf_cap) {
		struct att_audit_item *n = realloc(abuf, nitems * sizeof(*n));

		if (!n)
			rc = att_fail(&err, ATT_ENOMEM, "out of memory");
		else {
			abuf = n;
			abuf_cap = nitems;
		}
	}
	if (!rc) {
		for (struct audit_wait *w = list; w; w = w->next) {
			memcpy(abuf + k, w->items, w->n * sizeof(*abuf));
			k += w->n;
		}
		rc = att_audit_append_items(wnode, abuf, k, &err);
	}
	for (struct audit_wait *w = list; w; w = w->next) {
		w->rc = rc;
		if (rc)
			w->err = err;
	}
}

/* Called with the lock held when a request joins the queues. */
static void arrived_now(void)
{
	if (queued + areads == 1)
		clock_gettime(CLOCK_MONOTONIC, &first_arrival);
}

/* Waiting longer is useless when the batch is full, when every worker is
 * blocked, or, for a round of reads only, when every request in flight is
 * already waiting for it (no other can join before one of them is
 * answered). Message posts are costly per transaction: a round with posts
 * always waits its SENDQ_WAIT_US, so that the posters just answered can
 * join it. */
static bool batch_full(void)
{
	return queued >= SENDQ_BATCH || aqueued >= AUDIT_BATCH ||
	       (nworkers && areaders >= nworkers) ||
	       (!queued && (long)areads >= srv_metrics_inflight_now());
}

static void *writer_main(void *arg)
{
	struct srv_send *batch[SENDQ_BATCH];

	(void)arg;
	pthread_mutex_lock(&lock);
	for (;;) {
		struct audit_wait *alist = NULL, **alast = &alist;
		size_t n = 0, nitems = 0;

		while (!queued && !aqueued && !stopping)
			pthread_cond_wait(&arrived, &lock);
		if (!queued && !aqueued && stopping)
			break;
		/* Give concurrent requests a moment to join, unless the batch
		 * is full or the server is stopping. */
		if (!batch_full() && !stopping) {
			struct timespec until, now;

			clock_gettime(CLOCK_MONOTONIC, &now);
			deadline_after(&until, queued ? &now : &first_arrival, SENDQ_WAIT_US);
			while (!batch_full() && !stopping &&
			       pthread_cond_timedwait(&arrived, &lock, &until) != ETIMEDOUT)
				;
		}
		/* What stays queued (a full batch) starts the next one's clock. */
		clock_gettime(CLOCK_MONOTONIC, &first_arrival);
		while (head && n < SENDQ_BATCH) {
			batch[n++] = head;
			head = head->next;
			queued--;
		}
		if (!head)
			tail = NULL;
		/* Whole reads, up to AUDIT_BATCH items (at least one read). */
		while (ahead && (!nitems || nitems + ahead->n <= AUDIT_BATCH)) {
			struct audit_wait *w = ahead;

			ahead = w->next;
			aqueued -= w->n;
			areads--;
			if (!w->cb)
				areaders--; /* a blocked reader, not a suspended one */
			nitems += w->n;
			w->next = NULL;
			*alast = w;
			alast = &w->next;
		}
		if (!ahead)
			atail = NULL;
		pthread_mutex_unlock(&lock);
		send_batch(batch, n);
		audit_batch(alist, nitems);
		pthread_mutex_lock(&lock);
		while (alist) {
			struct audit_wait *w = alist;

			alist = w->next;
			w->done = true;
			if (w->cb) {
				/* A suspended connection: resume it (it answers, or
				 * refuses when the commit failed). */
				pthread_mutex_unlock(&lock);
				w->cb(w->cb_ctx);
				pthread_mutex_lock(&lock);
			} else {
				pthread_cond_signal(&w->committed);
			}
		}
	}
	pthread_mutex_unlock(&lock);
	/* The writer screened names (ICU caches of this thread). */
	att_match_thread_release();
	return NULL;
}

enum att_rc srv_sendq_start(struct att_node *node, size_t workers, struct att_err *err)
{
	pthread_condattr_t ca;
	enum att_rc rc = att_node_clone(node, &wnode, err);

	if (rc)
		return rc;
	/* Timed waits on the monotonic clock: a clock step must not stall or
	 * hurry a batch. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&arrived, &ca);
	pthread_condattr_destroy(&ca);
	stopping = false;
	running = true;
	nworkers = workers;
	if (pthread_create(&writer, NULL, writer_main, NULL)) {
		att_node_close(wnode);
		wnode = NULL;
		running = false;
		return att_fail(err, ATT_ENOMEM, "cannot start the writer thread");
	}
	return ATT_OK;
}

void srv_sendq_submit(struct srv_send *s)
{
	s->next = NULL;
	pthread_mutex_lock(&lock);
	if (!running || stopping) {
		pthread_mutex_unlock(&lock);
		memset(&s->res, 0, sizeof(s->res));
		s->rc = att_fail(&s->err, ATT_EDB, "the server is stopping; send again later");
		s->done(s);
		return;
	}
	if (tail)
		tail->next = s;
	else
		head = s;
	tail = s;
	queued++;
	arrived_now();
	if ((queued == 1 && !aqueued) || batch_full())
		pthread_cond_signal(&arrived);
	pthread_mutex_unlock(&lock);
}

/* One allocation holding a copy of items[0..n) and their strings. */
static struct att_audit_item *items_copy(const struct att_audit_item *items, size_t n)
{
	size_t size = n * sizeof(*items);
	struct att_audit_item *c;
	char *p;

	for (size_t i = 0; i < n; i++) {
		const char *f[5] = {items[i].actor, items[i].role, items[i].action,
				    items[i].object, items[i].detail};

		for (size_t j = 0; j < 5; j++)
			size += f[j] ? strlen(f[j]) + 1 : 0;
	}
	if (n > SIZE_MAX / sizeof(*items) / 2)
		return NULL;
	c = malloc(size);
	if (!c)
		return NULL;
	p = (char *)(c + n);
	for (size_t i = 0; i < n; i++) {
		const char *f[5] = {items[i].actor, items[i].role, items[i].action,
				    items[i].object, items[i].detail};
		const char *t[5] = {NULL, NULL, NULL, NULL, NULL};

		for (size_t j = 0; j < 5; j++) {
			size_t len;

			if (!f[j])
				continue;
			len = strlen(f[j]) + 1;
			memcpy(p, f[j], len);
			t[j] = p;
			p += len;
		}
		c[i].actor = t[0];
		c[i].role = t[1];
		c[i].action = t[2];
		c[i].object = t[3];
		c[i].detail = t[4];
	}
	return c;
}

enum att_rc srv_audit_sink(void *ctx, const struct att_audit_item *items, size_t n,
			   struct att_err *err)
{
	struct audit_wait w;
	enum att_rc rc;

	if (!n)
		return ATT_OK;
	if (tl_defer && !tl_pending) {
		/* The worker answers later: keep the entries; http.c suspends the
		 * connection and queues them (srv_audit_submit). */
		struct audit_wait *d = calloc(1, sizeof(*d));

		if (d)
			d->items = items_copy(items, n);
		if (!d || !d->items) {
			free(d);
			return att_fail(err, ATT_ENOMEM, "out of memory");
		}
		d->n = n;
		tl_pending = d;
		return ATT_OK;
	}
	memset(&w, 0, sizeof(w));
	pthread_mutex_lock(&lock);
	if (!running || stopping) {
		/* No writer (any more): the reader's own node appends them, in
		 * a transaction of its own, as it would without a sink. */
		pthread_mutex_unlock(&lock);
		return att_audit_append_items(ctx, items, n, err);
	}
	pthread_mutex_unlock(&lock);
	w.items = items_copy(items, n);
	if (!w.items)
		return att_fail(err, ATT_ENOMEM, "out of memory");
	w.n = n;
	pthread_cond_init(&w.committed, NULL);
	pthread_mutex_lock(&lock);
	if (!running || stopping) {
		pthread_mutex_unlock(&lock);
		free(w.items);
		pthread_cond_destroy(&w.committed);
		return att_audit_append_items(ctx, items, n, err);
	}
	if (atail)
		atail->next = &w;
	else
		ahead = &w;
	atail = &w;
	aqueued += n;
	areaders++;
	areads++;
	arrived_now();
	if ((aqueued == n && !queued) || batch_full())
		pthread_cond_signal(&arrived);
	while (!w.done)
		pthread_cond_wait(&w.committed, &lock);
	pthread_mutex_unlock(&lock);
	pthread_cond_destroy(&w.committed);
	free(w.items);
	rc = w.rc;
	if (rc && err)
		*err = w.err;
	return rc;
}

void srv_audit_defer_begin(void)
{
	tl_defer = true;
	tl_pending = NULL;
}

struct srv_audit_ticket *srv_audit_defer_end(void)
{
	struct audit_wait *w = tl_pending;

	tl_defer = false;
	tl_pending = NULL;
	return (struct srv_audit_ticket *)w;
}

void srv_audit_submit(struct srv_audit_ticket *t, void (*done)(void *ctx), void *ctx)
{
	struct audit_wait *w = (struct audit_wait *)t;

	w->cb = done;
	w->cb_ctx = ctx;
	w->next = NULL;
	pthread_mutex_lock(&lock);
	if (!running || stopping) {
		/* No writer any more: append here, then answer. */
		pthread_mutex_unlock(&lock);
		w->rc = wnode ? att_audit_append_items(wnode, w->items, w->n, &w->err)
			      : att_fail(&w->err, ATT_EDB, "the server is stopping");
		w->done = true;
		done(ctx);
		return;
	}
	if (atail)
		atail->next = w;
	else
		ahead = w;
	atail = w;
	aqueued += w->n;
	areads++;
	arrived_now();
	if ((aqueued == w->n && !queued) || batch_full())
		pthread_cond_signal(&arrived);
	pthread_mutex_unlock(&lock);
}

enum att_rc srv_audit_ticket_result(struct srv_audit_ticket *t, struct att_err *err)
{
	struct audit_wait *w = (struct audit_wait *)t;

	if (w->rc && err)
		*err = w->err;
	return w->rc;
}

enum att_rc srv_audit_ticket_commit(struct srv_audit_ticket *t, struct att_node *node,
				    struct att_err *err)
{
	struct audit_wait *w = (struct audit_wait *)t;

	return att_audit_append_items(node, w->items, w->n, err);
}

void srv_audit_ticket_free(struct srv_audit_ticket *t)
{
	struct audit_wait *w = (struct audit_wait *)t;

	if (!w)
		return;
	free(w->items);
	free(w);
}

void srv_sendq_stop(void)
{
	pthread_mutex_lock(&lock);
	if (!running || stopping) {
		pthread_mutex_unlock(&lock);
		return;
	}
	stopping = true;
	pthread_cond_signal(&arrived);
	pthread_mutex_unlock(&lock);
	pthread_join(writer, NULL);
	pthread_mutex_lock(&lock);
	running = false;
	pthread_mutex_unlock(&lock);
	att_node_close(wnode);
	wnode = NULL;
	free(abuf);
	abuf = NULL;
	abuf_cap = 0;
}
