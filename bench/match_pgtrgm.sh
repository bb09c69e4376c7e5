#!/bin/sh
# Baseline for the match index: PostgreSQL 15 pg_trgm similarity search
# (GIN index) over the same generated names and queries as
# bench_match_speed, side by side with attache's figures from the same run.
# Starts a throw-away cluster on 127.0.0.1 (a free port, trust auth, in a
# temporary directory, run as the user postgres), removes it at the end.
#
# usage: bench/match_pgtrgm.sh BUILD_DIR [N=1000000]
# environment:
#   QUERIES=4000          queries generated (half planted variants)
#   PG_RECALL_QUERIES=400 of those, how many pg_trgm answers for recall
#   PG_SECONDS=15         pgbench duration per client count
#   PG_THRESHOLDS="0.3 0.5"  pg_trgm.similarity_threshold values tried
#   LIMIT=100             hits asked for per query, by both engines
#   PG_BIN=/usr/lib/postgresql/15/bin
#
# pg_trgm is given attache's normalised names and queries (transliterated,
# folded ASCII), which favours it: on raw mixed-script text its recall is
# lower. Recall is bench_match_speed's: a planted query is found when the
# original (or a name identical to it after normalisation) is among the
# hits above the engine's threshold, at most LIMIT of them, best first
# (recall@LIMIT); recall@10 when it is among the first ten of those. Both
# engines answer every query with LIMIT hits, in the timed runs too.
set -eu

BUILD=${1:?usage: bench/match_pgtrgm.sh BUILD_DIR [N]}
N=${2:-1000000}
QUERIES=${QUERIES:-4000}
PG_RECALL_QUERIES=${PG_RECALL_QUERIES:-400}
PG_SECONDS=${PG_SECONDS:-15}
PG_THRESHOLDS=${PG_THRESHOLDS:-"0.3 0.5"}
LIMIT=${LIMIT:-100}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PGUSER_OS=postgres

BUILD=$(cd "$BUILD" && pwd)
[ -x "$BUILD/bench_match_speed" ] || { echo "no $BUILD/bench_match_speed" >&2; exit 1; }
[ -x "$PG_BIN/initdb" ] || { echo "PostgreSQL 15 not found in $PG_BIN (apt-get install postgresql)" >&2; exit 1; }
id "$PGUSER_OS" >/dev/null 2>&1 || useradd --system --no-create-home "$PGUSER_OS"

as_pg() {
	if [ "$(id -un)" = "$PGUSER_OS" ]; then "$@"; else runuser -u "$PGUSER_OS" -- "$@"; fi
}

TMP=$(mktemp -d /tmp/attache-pgtrgm.XXXXXX)
chmod 755 "$TMP"
PGDATA=$TMP/pg
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
started=0
cleanup() {
	if [ "$started" = 1 ]; then
		as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null 2>&1 || true
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

echo "== attache (bench_match_speed $N, $QUERIES queries) =="
mkdir "$TMP/data"
"$BUILD/bench_match_speed" "$N" --queries "$QUERIES" --limit "$LIMIT" --jw-sample 0 --export "$TMP/data" \
	| tee "$TMP/attache.txt"
chmod -R a+rX "$TMP/data"

echo "== PostgreSQL pg_trgm =="
mkdir "$PGDATA" "$TMP/sock" "$TMP/log"
chown "$PGUSER_OS" "$PGDATA" "$TMP/sock" "$TMP/log"
as_pg "$PG_BIN/initdb" -D "$PGDATA" -A trust -U postgres -E UTF8 --locale=C.UTF-8 \
	>"$TMP/initdb.log" 2>&1 || { cat "$TMP/initdb.log" >&2; exit 1; }
as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$TMP/log/pg.log" -w \
	-o "-c listen_addresses=127.0.0.1 -p $PORT -k $TMP/sock -c shared_buffers=1GB -c work_mem=64MB -c fsync=off -c synchronous_commit=off -c max_parallel_workers_per_gather=0 -c jit=off" \
	start >/dev/null
started=1
PSQL="psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p $PORT -U postgres -d postgres"

t0=$(date +%s.%N)
$PSQL <<SQL
CREATE EXTENSION pg_trgm;
CREATE UNLOGGED TABLE names (id bigint PRIMARY KEY, raw text, name text);
CREATE UNLOGGED TABLE q (qid int PRIMARY KEY, raw text, want bigint, name text);
COPY names FROM '$TMP/data/names.tsv';
COPY q FROM '$TMP/data/queries.tsv';
SQL
t1=$(date +%s.%N)
$PSQL -c "CREATE INDEX names_trgm ON names USING gin (name gin_trgm_ops)"
$PSQL -c "ANALYZE names; ANALYZE q;"
t2=$(date +%s.%N)
SIZE=$($PSQL -At -c "SELECT pg_relation_size('names_trgm')")
awk -v n="$N" -v a="$t0" -v b="$t1" -v c="$t2" -v sz="$SIZE" 'BEGIN {
	printf "loaded %d names in %.1f s; GIN trigram index built in %.1f s, %d bytes (%.0f bytes/name)\n",
	       n, b - a, c - b, sz, sz / n }'

cat >"$TMP/query.sql" <<SQL
\\set i random(0, :nq - 1)
SELECT n.id FROM names n, (SELECT name FROM q WHERE qid = :i) x
 WHERE n.name % x.name ORDER BY similarity(n.name, x.name) DESC LIMIT $LIMIT;
SQL

RESULTS=$TMP/results.txt
: >"$RESULTS"
for thr in $PG_THRESHOLDS; do
	# recall on the first PG_RECALL_QUERIES queries (planted ones only):
	# the original's place among the LIMIT best hits above the threshold
	rec=$($PSQL -At <<SQL
SET pg_trgm.similarity_threshold = $thr;
SELECT round(avg(CASE WHEN pos IS NOT NULL THEN 1 ELSE 0 END)::numeric, 4) || ' '
       || round(avg(CASE WHEN pos <= 10 THEN 1 ELSE 0 END)::numeric, 4) || ' ('
       || count(pos) || '/' || count(*) || ')'
FROM (
  SELECT (SELECT min(h.rn) FROM (
            SELECT t.id, t.name, row_number() OVER (ORDER BY t.s DESC, t.id) AS rn
            FROM (SELECT n.id, n.name, similarity(n.name, q.name) AS s FROM names n
                  WHERE n.name % q.name ORDER BY s DESC, n.id LIMIT $LIMIT) t) h
          WHERE h.id = q.want OR h.name = (SELECT name FROM names WHERE id = q.want)) AS pos
  FROM q WHERE q.want >= 0 AND q.qid < $PG_RECALL_QUERIES) r;
SQL
)
	for c in 1 2; do
		out=$(PGOPTIONS="-c pg_trgm.similarity_threshold=$thr" pgbench -n -h 127.0.0.1 -p "$PORT" -U postgres \
			-c "$c" -j "$c" -T "$PG_SECONDS" -D nq="$QUERIES" -r -f "$TMP/query.sql" postgres 2>&1)
		tps=$(echo "$out" | sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -1)
		lat=$(echo "$out" | sed -n 's/^latency average = \([0-9.]*\) ms/\1/p' | head -1)
		echo "$thr $c $tps $lat $rec" >>"$RESULTS"
	done
done

a1=$(sed -n 's/^ *1 thread *: *\([0-9]*\) queries\/s *p50 \([0-9.]*\) ms.*/\1 \2/p' "$TMP/attache.txt")
a2=$(sed -n 's/^ *2 threads: *\([0-9]*\) queries\/s *p50 \([0-9.]*\) ms.*/\1 \2/p' "$TMP/attache.txt")
ARECK=$(sed -n 's/^ *planted-variant recall@[0-9]* \([0-9.]*\) .*/\1/p' "$TMP/attache.txt" | head -1)
AREC10=$(sed -n 's/^ *recall@10 \([0-9.]*\) .*/\1/p' "$TMP/attache.txt" | head -1)
set -- $a1
A1QPS=$1
set -- $a2
A2QPS=$1

echo
echo "== side by side: $N names, same generated queries, $LIMIT hits asked for =="
printf '%-28s %10s %10s %12s %12s %10s\n' engine "recall@$LIMIT" recall@10 "q/s 1 conn" "q/s 2 conn" "x pg(2)"
printf '%-28s %10s %10s %12s %12s %10s\n' "attache" "$ARECK" "$AREC10" "$A1QPS" "$A2QPS" "-"
while read -r thr c tps lat reck rec10 cnt; do
	if [ "$c" = 1 ]; then q1=$tps; continue; fi
	ratio=$(awk -v a="$A2QPS" -v t="$tps" 'BEGIN { if (t > 0) printf "%.1f", a / t; else print "?" }')
	printf '%-28s %10s %10s %12.1f %12.1f %10s\n' "pg_trgm GIN, threshold $thr" "$reck" "$rec10" "$q1" "$tps" "${ratio}x"
done <"$RESULTS"
echo "recall@$LIMIT: planted queries whose original (or a name identical to it after normalisation)"
echo "is among the hits above the engine's threshold ($LIMIT at most); recall@10: among the first 10"
echo "of them. pg_trgm on the planted ones among the first $PG_RECALL_QUERIES queries, attache on all."
echo "x pg(2): attache queries/s on 2 threads / pg_trgm queries/s on 2 connections."
