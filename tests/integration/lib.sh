# Shared helpers of the integration tests (sourced, not run by ctest:
# only files named *.sh with a test_ prefix... see CMakeLists: all *.sh run,
# so this file runs as a no-op when executed directly).
# Each check prints "ok N - what" or "not ok N - what" and the run ends with
# a "N passed, N failed" line; the script exits 1 if anything failed.
: "${ATTACHE:?ATTACHE must point to the attache binary}"
T_PASS=0
T_FAIL=0
T_DIR=$(mktemp -d "${TMPDIR:-/tmp}/attache-it-XXXXXX")
trap 'rm -rf "$T_DIR"' EXIT
export ATTACHE_DB="$T_DIR/node.db"

ok() { T_PASS=$((T_PASS + 1)); echo "ok $((T_PASS + T_FAIL)) - $*"; }
not_ok() { T_FAIL=$((T_FAIL + 1)); echo "not ok $((T_PASS + T_FAIL)) - $*"; }

# A fingerprint of everything stored (schema and rows), to prove that a
# refused command wrote nothing.
db_state() { sqlite3 "$ATTACHE_DB" .dump | sha256sum | cut -d' ' -f1; }

# run CMD...: runs attache, keeps stdout/stderr/status in OUT ERR RC.
run() {
	set +e
	OUT=$("$ATTACHE" "$@" 2>"$T_DIR/stderr")
	RC=$?
	ERR=$(cat "$T_DIR/stderr")
	set -e
}

# expect_ok "what" ARGS...
expect_ok() {
	local what=$1; shift
	run "$@"
	if [ "$RC" -eq 0 ]; then ok "$what"; else not_ok "$what (exit $RC: $ERR)"; fi
}

# expect_refused "what" "stderr substring" ARGS... : exit 1, one clear line,
# and nothing written.
expect_refused() {
	local what=$1 needle=$2; shift 2
	local before after
	before=$(db_state)
	run "$@"
	after=$(db_state)
	if [ "$RC" -ne 1 ]; then not_ok "$what (exit $RC, want 1: $ERR)"; return; fi
	if [ "$(printf '%s\n' "$ERR" | wc -l)" -ne 1 ]; then not_ok "$what (stderr not one line: $ERR)"; return; fi
	case "$ERR" in *"$needle"*) ;; *) not_ok "$what (stderr '$ERR' lacks '$needle')"; return ;; esac
	if [ "$before" != "$after" ]; then not_ok "$what (the database changed)"; return; fi
	ok "$what"
}

# The stored data without the audit trail.
data_state() {
	local t q=""
	for t in $(sqlite3 "$ATTACHE_DB" "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'audit%' AND name NOT LIKE 'sqlite%' ORDER BY name"); do
		q="$q SELECT '$t', * FROM $t;"
	done
	sqlite3 "$ATTACHE_DB" "$q" | sha256sum | cut -d' ' -f1
}
audit_size() { sqlite3 "$ATTACHE_DB" "SELECT count(*) FROM audit_log"; }

# expect_denied_read "what" "stderr substring" ARGS... : exit 1, nothing
# changed but one audit entry recording the refused attempt.
expect_denied_read() {
	local what=$1 needle=$2; shift 2
	local before after a0 a1
	before=$(data_state); a0=$(audit_size)
	run "$@"
	after=$(data_state); a1=$(audit_size)
	if [ "$RC" -ne 1 ]; then not_ok "$what (exit $RC, want 1: $ERR)"; return; fi
	case "$ERR" in *"$needle"*) ;; *) not_ok "$what (stderr '$ERR' lacks '$needle')"; return ;; esac
	if [ "$before" != "$after" ]; then not_ok "$what (data changed)"; return; fi
	if [ "$a1" -ne $((a0 + 1)) ]; then not_ok "$what (attempt not audited: $a0 -> $a1)"; return; fi
	ok "$what"
}

# expect_usage "what" ARGS... : exit 2
expect_usage() {
	local what=$1; shift
	run "$@"
	if [ "$RC" -eq 2 ]; then ok "$what"; else not_ok "$what (exit $RC, want 2: $ERR)"; fi
}

# expect_eq "what" actual expected
expect_eq() {
	if [ "$2" == "$3" ]; then ok "$1"; else not_ok "$1 (got '$2', want '$3')"; fi
}

# expect_match "what" text extended-regex
expect_match() {
	if grep -Eq -- "$3" <<<"$2"; then ok "$1"; else not_ok "$1 ('$(head -c 300 <<<"$2")' does not match /$3/)"; fi
}

finish() {
	echo "$T_PASS passed, $T_FAIL failed"
	[ "$T_FAIL" -eq 0 ]
}
