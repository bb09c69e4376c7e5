#!/usr/bin/env bash
# The server's rescan runner: a job of reading the text sent before for a
# person put on the register, left unfinished by a process that stopped, is
# taken up by the server when it starts (its runner thread), and the
# messages it finds are held again; the runner stops with the server.
set -uo pipefail
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY
. "$(dirname "$0")/lib.sh"
work=$T_DIR
pid=
trap 'if [ -n "$pid" ]; then kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi; rm -rf "$T_DIR"' EXIT
A() { "$ATTACHE" --db "$work/node.db" "$@"; }
q() { sqlite3 "$work/node.db" "$1"; }

A demo >/dev/null || { echo "demo failed" >&2; exit 1; }
case_id=$(A case open --as rep-aliyev --field terrorism --title "Visitors" \
	--purpose "Threat assessment" --legal-basis "Decree of 28 December 2022")
cat >"$work/m.json" <<EOF
{"case":$case_id,"type":"information","to":["hq/terrorism"],"field":"terrorism","handling":"H0","source":"C","information":3,"purpose":"Threat assessment","subject":"Visitors to the mission","body":"Ramil Safarov came to the consulate twice last week."}
EOF
msg=$(A send --as rep-aliyev --file "$work/m.json" 2>/dev/null)
A show "$msg" --as desk-ct >/dev/null 2>&1 && ok "the desk reads the message" || not_ok "the desk should read message $msg"
# a person whose job's overseer will be no longer one (set by hand below:
# a role taken away), registered first: her job fails, the later one runs
reg0=$(A protect add --as overseer --name "Leyla Yunusova" --category human-rights-defender 2>/dev/null)
reg=$(A protect add --as overseer --name "Рамиль Сафаров" --category refugee 2>/dev/null)
[ "$reg0" -lt "$reg" ] && ok "registered in order" || not_ok "registered in order: $reg0 $reg"
A show "$msg" --as desk-ct >/dev/null 2>&1 && not_ok "held again: the desk should not read $msg" || ok "held again: the desk no longer reads it"
A review release "$msg" --as overseer --reason "A visitor, not a target" >/dev/null 2>&1 || not_ok "release"
A show "$msg" --as desk-ct >/dev/null 2>&1 && ok "released: the desk reads it" || not_ok "released: the desk should read $msg"
# released, it is not held for her again; as if it had never been held (its
# review gone by hand) it is the message a killed process left unread
q "DELETE FROM reviews WHERE msg_id=$msg"
# jobs as a process killed in its first step leaves them: nothing read yet
q "UPDATE rescans SET cursor=0, done=0, held=0, flagged=0, finished=NULL WHERE register_id IN ($reg, $reg0)"
# (both jobs at one place: the later one, read for as its own overseer,
# must leave the failing one out of its walk)
q "UPDATE rescans SET by_user='desk-ct' WHERE register_id=$reg0"
expect_eq "two jobs are left unfinished" "$(q "SELECT count(*) FROM rescans WHERE finished IS NULL")" 2

"$ATTACHE" --db "$work/node.db" serve --listen 127.0.0.1:0 --threads 2 --no-access-log \
	>"$work/out" 2>"$work/log" &
pid=$!
for _ in $(seq 200); do grep -q serving "$work/out" 2>/dev/null && break; sleep 0.05; done
grep -q serving "$work/out" || { echo "the server did not start" >&2; cat "$work/log" >&2; exit 1; }
for _ in $(seq 200); do
	[ "$(q "SELECT count(*) FROM rescans WHERE finished IS NULL AND register_id=$reg")" = 0 ] && break
	sleep 0.05
done
expect_eq "the server's runner finished the job" "$(q "SELECT count(*) FROM rescans WHERE finished IS NULL AND register_id=$reg")" 0
expect_eq "the other job waits" "$(q "SELECT count(*) FROM rescans WHERE finished IS NULL")" 1
grep -q '"event":"rescan.failed","register":'"$reg0"',"as":"desk-ct","error":"denied"' "$work/log" &&
	ok "the job of a non-overseer is logged as failed" || not_ok "no rescan.failed event for the job of a non-overseer: $(cat "$work/log")"
# an overseer goes on with it
B="http://127.0.0.1:$(grep -o ':[0-9]\+/' "$work/out" | tr -d ':/')/api/v1"
curl -s -c "$work/jar" -H 'Content-Type: application/json' \
	-d '{"user":"overseer","password":"demo-pass-2026"}' "$B/session" >"$work/login"
csrf=$(sed -n 's/.*"csrf":"\([0-9a-f]*\)".*/\1/p' "$work/login")
expect_eq "POST /protected/rescan" "$(curl -s -o "$work/body" -w '%{http_code}' -b "$work/jar" -H "X-CSRF-Token: $csrf" \
	-H 'Content-Type: application/json' -d '{}' "$B/protected/rescan")" 200
grep -q '"rescan_finished":true' "$work/body" && ok "it finished the job" || not_ok "rescan answer: $(cat "$work/body")"
expect_eq "no job is left" "$(q "SELECT count(*) FROM rescans WHERE finished IS NULL")" 0
expect_eq "it read every message sent before" "$(q "SELECT done=total FROM rescans WHERE register_id=$reg")" 1
expect_eq "the message naming her is held again" "$(q "SELECT status FROM messages WHERE id=$msg")" held
grep -q '"event":"rescan.finished","register":'"$reg"',.*"held":1' "$work/log" &&
	ok "the runner logs the job finished" || not_ok "no rescan.finished event in the log: $(cat "$work/log")"
expect_eq "audited as the overseer who registered" \
	"$(A audit log --as overseer --json | python3 -c 'import json,sys; print([e["actor"] for e in json.load(sys.stdin) if e["action"]=="protected.rescan"][0])')" overseer
# the runner stops with the server
kill -TERM "$pid"
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
if kill -0 "$pid" 2>/dev/null; then not_ok "the server did not stop"; else wait "$pid"; expect_eq "clean stop" $? 0; fi
pid=
A audit verify >/dev/null 2>&1 && ok "audit verify" || not_ok "audit verify"

finish
