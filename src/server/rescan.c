/* The rescan runner: one thread, on its own node, that reads the text of
 * what was sent before for each person put on the register (the jobs
 * att_protect_add leaves), step by step, as the overseer who registered
 * them. POST /protected runs the first steps itself and wakes this thread
 * for the rest; it also wakes every RESCAN_IDLE_S seconds, so that a job
 * left by a process that stopped (a CLI killed, a server restarted) is
 * taken up. A job that fails is tried again after RESCAN_BACKOFF_S, the
 * others going on meanwhile; one whose overseer is no longer one waits for
 * an overseer's `protect rescan` (which runs every job as that overseer).
 * Between steps (each a quarter of a second at most, see review.c) the
 * write lock is free and the stop is heard. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "attache/exchange.h"
#include "attache/match.h"
#include "attache/node.h"
#include "server.h"
#include "banned.h"

#define RESCAN_IDLE_S 30
/* after a failed step (the database busy, the overseer no longer one) */
#define RESCAN_BACKOFF_S 60

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake;
static bool stopping, running, woken;
static pthread_t runner;
static struct att_node *rnode;

static void wait_s(long s)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += s;
	pthread_mutex_lock(&lock);
	while (!stopping && !woken)
		if (pthread_cond_timedwait(&wake, &lock, &ts))
			break;
	woken = false;
	pthread_mutex_unlock(&lock);
}

static bool stop_asked(void)
{
	bool s;

	pthread_mutex_lock(&lock);
	s = stopping;
	pthread_mutex_unlock(&lock);
	return s;
}

/* Runs the pending jobs until none is left or the stop; false when one
 * failed (the others go on: a job that fails, its entry's overseer no
 * longer one or a step that cannot commit, does not hold up the rest). */
static bool run_jobs(void)
{
	int64_t from = 0;
	bool ok = true;

	while (!stop_asked()) {
		struct att_rescan_state st;
		struct att_err err = {0};
		char by[65] = "";
		int64_t reg = 0;
		enum att_rc rc = att_protect_rescan_pending(rnode, from, &reg, by, &err);

		if (rc == ATT_ENOTFOUND)
			return ok;
		if (rc) {
			fprintf(stderr, "{\"event\":\"rescan.failed\",\"error\":\"%s\"}\n",
				att_rc_name(rc));
			return false; /* the database itself: back off */
		}
		rc = att_protect_rescan_step(rnode, by, reg, 0, &st, NULL, &err);
		if (rc) {
			fprintf(stderr,
				"{\"event\":\"rescan.failed\",\"register\":%lld,\"as\":\"%s\","
				"\"error\":\"%s\"}\n",
				(long long)reg, by, att_rc_name(rc));
			ok = false;
			from = reg + 1; /* the next job; this one after the back-off */
			continue;
		}
		if (st.finished)
			fprintf(stderr,
				"{\"event\":\"rescan.finished\",\"register\":%lld,\"messages\":%lld,"
				"\"held\":%lld,\"flagged\":%lld}\n",
				(long long)st.reg, (long long)st.total, (long long)st.held,
				(long long)st.flagged);
	}
	return ok;
}

static void *runner_main(void *arg)
{
	(void)arg;
	while (!stop_asked()) {
		bool ok = run_jobs();

		/* the text scans' ICU and match caches of this thread */
		att_match_thread_release();
		wait_s(ok ? RESCAN_IDLE_S : RESCAN_BACKOFF_S);
	}
	return NULL;
}

enum att_rc srv_rescan_start(struct att_node *node, struct att_err *err)
{
	pthread_condattr_t ca;
	enum att_rc rc = att_node_clone(node, &rnode, err);

	if (rc)
		return rc;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&wake, &ca);
	pthread_condattr_destroy(&ca);
	stopping = woken = false;
	if (pthread_create(&runner, NULL, runner_main, NULL)) {
		att_node_close(rnode);
		rnode = NULL;
		return att_fail(err, ATT_ENOMEM, "cannot start the rescan thread");
	}
	running = true;
	return ATT_OK;
}

void srv_rescan_wake(void)
{
	pthread_mutex_lock(&lock);
	woken = true;
	pthread_cond_signal(&wake);
	pthread_mutex_unlock(&lock);
}

void srv_rescan_stop(void)
{
	if (!running)
		return;
	pthread_mutex_lock(&lock);
	stopping = true;
	pthread_cond_signal(&wake);
	pthread_mutex_unlock(&lock);
	pthread_join(runner, NULL);
	att_node_close(rnode);
	rnode = NULL;
	running = false;
}
