#!/usr/bin/env bash
# Runs every benchmark and prints each figure beside its baseline from the
# same run. usage: bench/run.sh [BUILD_DIR]   (BENCH_SHORT=1 for a quick pass)
set -uo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
SHORT=${BENCH_SHORT:-0}
TD=${ATT_TESTDATA:-../shared/testdata}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/attache-bench-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
status=0

section() { printf '\n== %s ==\n' "$*"; }
run() { "$@" || { echo "(failed: $*)"; status=1; }; }

section "audit log: append throughput and verify (issue: registry)"
if [ "$SHORT" = 1 ]; then run "$B/bench_audit" "$tmp" 200000; else run "$B/bench_audit" "$tmp" 1000000; fi

section "message ingest through the service path (issue: exchange)"
if [ "$SHORT" = 1 ]; then run "$B/bench_ingest" --dir "$tmp" --held 10000 --measure 5000
else run "$B/bench_ingest" --dir "$tmp" --held 100000 --measure 20000; fi
run "$B/bench_ingest" --dir "$tmp" --text-worst

section "name matching quality (issue: cross-matching)"
if [ -d "$TD" ]; then run "$B/bench_match_quality" "$TD"; else echo "(no $TD: generated sets only)"; run "$B/bench_match_quality"; fi

section "name matching speed (issue: cross-matching)"
if [ "$SHORT" = 1 ]; then run "$B/bench_match_speed" 200000 --queries 2000
else run "$B/bench_match_speed" 1000000; fi
if [ -x bench/match_pgtrgm.sh ]; then
	section "PostgreSQL pg_trgm baseline (same names, same queries)"
	if [ "$SHORT" = 1 ]; then run bench/match_pgtrgm.sh "$B" 200000; else run bench/match_pgtrgm.sh "$B" 1000000; fi
fi

if [ -x bench/bench_http.sh ]; then
	section "HTTP API under load, beside nginx (issue: server)"
	if [ "$SHORT" = 1 ]; then BENCH_SHORT=1 ATTACHE="$B/attache" run bench/bench_http.sh
	else ATTACHE="$B/attache" run bench/bench_http.sh; fi
fi
exit $status
