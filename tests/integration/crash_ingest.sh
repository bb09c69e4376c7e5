#!/usr/bin/env bash
# Durability: a writer ingesting messages (group commit, synchronous=FULL) is
# killed with SIGKILL again and again; afterwards every message whose commit
# was acknowledged is present with its entities, and the audit log verifies.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

BENCH=${ATT_BUILDDIR:?}/bench_ingest
DB=$T_DIR/crash.db
ACKS=$T_DIR/acks.txt
: >"$ACKS"
[ -x "$BENCH" ] || { not_ok "bench_ingest not built at $BENCH"; finish; }

for round in 1 2 3 4 5 6; do
	"$BENCH" --crash-child "$DB" >>"$ACKS" 2>"$T_DIR/child.err" &
	pid=$!
	# Wait until this round has acknowledged something (the first round
	# also creates the node), then let it run a little and kill it mid-write.
	before=$(grep -c '^ack [0-9]*$' "$ACKS" || true)
	for _ in $(seq 1 200); do
		now=$(grep -c '^ack [0-9]*$' "$ACKS" || true)
		[ "$now" -gt "$before" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	sleep "0.$((RANDOM % 5 + 1))"
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
done

grep '^ack [0-9]*$' "$ACKS" | cut -d' ' -f2 | sort -u >"$T_DIR/acked"
n=$(wc -l <"$T_DIR/acked")
[ "$n" -gt 0 ] && ok "acknowledged $n messages over 6 killed runs" || not_ok "nothing acknowledged: $(cat "$T_DIR/child.err")"
sqlite3 "$DB" "SELECT id FROM messages" | sort -u >"$T_DIR/stored"
missing=$(comm -23 "$T_DIR/acked" "$T_DIR/stored" | wc -l)
expect_eq "every acknowledged message survived" "$missing" "0"
bad=$(sqlite3 "$DB" "SELECT count(*) FROM messages m WHERE (SELECT count(*) FROM entities e WHERE e.msg_id=m.id) <> 5")
expect_eq "each with its five entities" "$bad" "0"
expect_ok "audit verify after the kills" --db "$DB" audit verify
finish
