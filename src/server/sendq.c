/* Group commit of message posts: one writer thread collects the messages
 * that arrive together (for up to SENDQ_WAIT_US or SENDQ_BATCH messages) and
 * sends them with att_msg_send_many, one durable transaction for all, then
 * hands each request its own result. No request is answered before the
 * transaction that holds it has committed. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "attache/exchange.h"
#include "attache/node.h"
#include "server.h"
#include "banned.h"

#define SENDQ_BATCH 64u
#define SENDQ_WAIT_US 2000L

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t arrived = PTHREAD_COND_INITIALIZER;
static struct srv_send *head, *tail;
static size_t queued;
static bool stopping, running;
static pthread_t writer;
static struct att_node *wnode;

static void deadline_in(struct timespec *ts, long us)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
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

static void *writer_main(void *arg)
{
	struct srv_send *batch[SENDQ_BATCH];

	(void)arg;
	pthread_mutex_lock(&lock);
	for (;;) {
		size_t n = 0;

		while (!queued && !stopping)
			pthread_cond_wait(&arrived, &lock);
		if (!queued && stopping)
			break;
		/* Give concurrent posts a moment to join, unless the batch is
		 * full or the server is stopping. */
		if (queued < SENDQ_BATCH && !stopping) {
			struct timespec until;

			deadline_in(&until, SENDQ_WAIT_US);
			while (queued < SENDQ_BATCH && !stopping &&
			       pthread_cond_timedwait(&arrived, &lock, &until) != ETIMEDOUT)
				;
		}
		while (head && n < SENDQ_BATCH) {
			batch[n++] = head;
			head = head->next;
			queued--;
		}
		if (!head)
			tail = NULL;
		pthread_mutex_unlock(&lock);
		send_batch(batch, n);
		pthread_mutex_lock(&lock);
	}
	pthread_mutex_unlock(&lock);
	return NULL;
}

enum att_rc srv_sendq_start(struct att_node *node, struct att_err *err)
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
	if (queued == 1 || queued >= SENDQ_BATCH)
		pthread_cond_signal(&arrived);
	pthread_mutex_unlock(&lock);
}

void srv_sendq_stop(void)
{
	pthread_mutex_lock(&lock);
	if (!running || stopping) {
		pthread_mutex_unlock(&lock);
		return;
	}
	pthread_mutex_unlock(&lock);
	pthread_mutex_lock(&lock);
	stopping = true;
	pthread_cond_signal(&arrived);
	pthread_mutex_unlock(&lock);
	pthread_join(writer, NULL);
	pthread_mutex_lock(&lock);
	running = false;
	pthread_mutex_unlock(&lock);
	att_node_close(wnode);
	wnode = NULL;
}
