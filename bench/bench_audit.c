/* Benchmark: audit-log append throughput with group commit at 1, 10 and 100
 * entries per transaction (synchronous=FULL), beside raw SQLite inserts of
 * rows of the same size in the same run; and verify time for N entries.
 * usage: bench_audit [DIR] [VERIFY_ENTRIES]   (default: /tmp, 1000000) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "node_int.h"
#include "util.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const struct att_err *err)
{
	fprintf(stderr, "bench_audit: %s: %s\n", what, err ? err->msg : "");
	exit(1);
}

static void rm_node(const char *path)
{
	char p[4200];

	unlink(path);
	snprintf(p, sizeof(p), "%s.key", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
}

/* A detail like a real registry entry's. */
static const char detail[] =
	"{\"field\":\"organized-crime\",\"person\":\"rep-mammadova\",\"post\":\"gb-london\","
	"\"reason\":\"Money laundering through UK companies\",\"status\":\"proposed\"}";

static double audit_rate(const char *dir, size_t batch, size_t total)
{
	struct att_node *node = NULL;
	struct att_err err = {0};
	char path[4096];
	double t0, t1;

	snprintf(path, sizeof(path), "%s/bench-audit-%zu.db", dir, batch);
	rm_node(path);
	if (att_node_init(path, 0, &err) || att_node_open(path, &node, &err))
		die("init", &err);
	t0 = now_s();
	for (size_t i = 0; i < total; i += batch) {
		if (att_node_begin(node, &err))
			die("begin", &err);
		for (size_t k = 0; k < batch; k++) {
			char obj[48];

			snprintf(obj, sizeof(obj), "appointment/%zu", i + k);
			if (att_audit_append(node, NULL, "appointment.propose", obj, detail, &err))
				die("append", &err);
		}
		if (att_node_commit(node, &err))
			die("commit", &err);
	}
	t1 = now_s();
	att_node_close(node);
	rm_node(path);
	return (double)total / (t1 - t0);
}

static double raw_rate(const char *dir, size_t batch, size_t total)
{
	char path[4096], row[512];
	sqlite3 *db;
	sqlite3_stmt *ins;
	double t0, t1;

	snprintf(path, sizeof(path), "%s/bench-raw-%zu.db", dir, batch);
	rm_node(path);
	if (sqlite3_open(path, &db) != SQLITE_OK)
		die("raw open", NULL);
	sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
			 "CREATE TABLE raw(idx INTEGER PRIMARY KEY, data BLOB NOT NULL)",
		     NULL, NULL, NULL);
	sqlite3_prepare_v2(db, "INSERT INTO raw(idx,data) VALUES(?,?)", -1, &ins, NULL);
	t0 = now_s();
	for (size_t i = 0; i < total; i += batch) {
		sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
		for (size_t k = 0; k < batch; k++) {
			int n = snprintf(row, sizeof(row),
					 "%zu\t%lld\tsystem\tsystem\tappointment.propose\tappointment/%zu\t%s",
					 i + k, (long long)time(NULL), i + k, detail);

			sqlite3_bind_int64(ins, 1, (sqlite3_int64)(i + k));
			sqlite3_bind_blob(ins, 2, row, n, SQLITE_STATIC);
			if (sqlite3_step(ins) != SQLITE_DONE)
				die("raw insert", NULL);
			sqlite3_reset(ins);
		}
		if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
			die("raw commit", NULL);
	}
	t1 = now_s();
	sqlite3_finalize(ins);
	sqlite3_close(db);
	rm_node(path);
	return (double)total / (t1 - t0);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/tmp";
	size_t verify_n = argc > 2 ? (size_t)strtoull(argv[2], NULL, 10) : 1000000;
	static const size_t batches[] = {1, 10, 100};
	struct att_audit_report rep;
	struct att_node *node = NULL;
	struct att_err err = {0};
	char path[4096];
	double t0, t1;

	printf("audit append vs raw SQLite insert (WAL, synchronous=FULL), %s\n", dir);
	printf("%-8s %14s %14s %8s\n", "batch", "audit ent/s", "raw rows/s", "ratio");
	for (size_t i = 0; i < 3; i++) {
		size_t total = batches[i] == 1 ? 2000 : batches[i] == 10 ? 20000 : 200000;
		double raw = raw_rate(dir, batches[i], total);
		double aud = audit_rate(dir, batches[i], total);

		printf("%-8zu %14.0f %14.0f %7.2fx\n", batches[i], aud, raw, raw / aud);
	}
	if (verify_n == 0)
		return 0;
	snprintf(path, sizeof(path), "%s/bench-verify.db", dir);
	rm_node(path);
	if (att_node_init(path, 0, &err) || att_node_open(path, &node, &err))
		die("init", &err);
	for (size_t i = 1; i < verify_n; i += 1000) {
		if (att_node_begin(node, &err))
			die("begin", &err);
		for (size_t k = 0; k < 1000 && i + k < verify_n; k++)
			if (att_audit_append(node, NULL, "appointment.propose", "appointment/1", detail,
					     &err))
				die("append", &err);
		if (att_node_commit(node, &err))
			die("commit", &err);
	}
	att_node_close(node);
	node = NULL;
	if (att_node_open(path, &node, &err))
		die("open", &err);
	t0 = now_s();
	if (att_audit_verify(node, &rep, &err))
		die("verify", &err);
	t1 = now_s();
	printf("audit verify: %llu entries, %llu signed heads in %.2f s (target < 3 s for 1M)\n",
	       (unsigned long long)rep.entries, (unsigned long long)rep.heads, t1 - t0);
	att_node_close(node);
	rm_node(path);
	return 0;
}
