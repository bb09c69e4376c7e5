#!/usr/bin/env bash
# Durability of the server's group commit: concurrent clients post messages
# (and read the inbox) while the server is killed with SIGKILL, a few times,
# restarting it on the same database each time. Every message whose POST was
# answered 201 must then exist, no message id may have been answered twice,
# and the audit log must verify. Loopback only; bounded in rounds and time.
set -uo pipefail
: "${ATTACHE:?path of the attache binary}"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY
ROUNDS=${CRASH_ROUNDS:-4}
LOOPS=4
work=$(mktemp -d)
pid=
loops=()
fails=0
checks=0
cleanup() {
	touch "$work/stop"
	for l in "${loops[@]}"; do wait "$l" 2>/dev/null; done
	if [ -n "$pid" ]; then kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
	rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
ok() { checks=$((checks + 1)); }

start() { # starts the server on the node, sets pid and B
	: >"$work/out"
	"$ATTACHE" --db "$work/node.db" serve --listen 127.0.0.1:0 --threads 4 --no-access-log \
		>"$work/out" 2>>"$work/log" &
	pid=$!
	for _ in $(seq 200); do grep -q serving "$work/out" 2>/dev/null && break; sleep 0.05; done
	port=$(grep -o ':[0-9]\+/' "$work/out" | tr -d ':/')
	[ -n "$port" ] || { echo "the server did not start" >&2; cat "$work/log" >&2; exit 1; }
	B="http://127.0.0.1:$port/api/v1"
}

"$ATTACHE" --db "$work/node.db" demo >/dev/null || { echo "demo failed" >&2; exit 1; }
start
curl -s -c "$work/jar" -H 'Content-Type: application/json' \
	-d '{"user":"admin","password":"demo-pass-2026"}' "$B/session" >"$work/login"
csrf=$(sed -n 's/.*"csrf":"\([0-9a-f]*\)".*/\1/p' "$work/login")
token=$(curl -s -b "$work/jar" -H "X-CSRF-Token: $csrf" -H 'Content-Type: application/json' \
	-d '{"user":"partner-interpol","label":"crash test"}' "$B/tokens" |
	sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
[ -n "$token" ] || { echo "could not get a token" >&2; exit 1; }
AUTH="Authorization: Bearer $token"
case_id=$(curl -s -H "$AUTH" -H 'Content-Type: application/json' \
	-d '{"field":"organized-crime","title":"Crash","purpose":"durability test","legal_basis":"INTERPOL rules"}' \
	"$B/cases" | sed -n 's/.*"id":\([0-9]*\).*/\1/p')
[ -n "$case_id" ] || { echo "could not open a case" >&2; exit 1; }

# post_loop ROUND LOOP: posts until the stop file appears; the id of every
# answered (201) post goes to ids.ROUND.LOOP.
post_loop() {
	local r=$1 l=$2 n=0 code body
	while [ ! -e "$work/stop" ] && [ "$n" -lt 2000 ]; do
		n=$((n + 1))
		body='{"case":'$case_id',"type":"information","to":["hq/organized-crime"],"field":"organized-crime","handling":"H1","source":"B","information":2,"priority":"routine","purpose":"durability test","subject":"Crash '$r-$l-$n'","body":"Posted while the server may be killed.","entities":[{"type":"email","value":"c'$r'x'$l'x'$n'@example.org"}]}'
		code=$(curl -s -o "$work/resp.$r.$l" -w '%{http_code}' --max-time 10 -H "$AUTH" \
			-H 'Content-Type: application/json' --data-binary "$body" "$B/messages") || code=000
		if [ "$code" = 201 ]; then
			# The reply has no final newline: add one.
			printf '%s\n' "$(sed -n 's/^{"id":\([0-9]*\),.*/\1/p' "$work/resp.$r.$l")" \
				>>"$work/ids.$r.$l"
		elif [ "$code" = 000 ]; then
			sleep 0.02
		fi
	done
}
read_loop() {
	while [ ! -e "$work/stop" ]; do
		curl -s -o /dev/null --max-time 10 -H "$AUTH" "$B/inbox?limit=20" || sleep 0.02
	done
}

for r in $(seq "$ROUNDS"); do
	rm -f "$work/stop"
	loops=()
	for l in $(seq "$LOOPS"); do
		post_loop "$r" "$l" &
		loops+=($!)
	done
	read_loop &
	loops+=($!)
	# Kill at a different moment of each round.
	sleep "1.$((r * 2))"
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null
	pid=
	touch "$work/stop"
	for l in "${loops[@]}"; do wait "$l"; done
	loops=()
	answered=$(cat "$work"/ids."$r".* 2>/dev/null | wc -l)
	if [ "$answered" -gt 0 ]; then ok; else fail "round $r: no post was answered before the kill"; fi
	start
done

all=$(cat "$work"/ids.* | sort -n)
total=$(printf '%s\n' "$all" | grep -c .)
dups=$(printf '%s\n' "$all" | uniq -d | head -5 | tr '\n' ' ')
if [ -z "$dups" ]; then ok; else fail "message ids answered twice (a committed post was lost): $dups"; fi
missing=0
for id in $all; do
	code=$(curl -s -o "$work/show" -w '%{http_code}' -H "$AUTH" "$B/messages/$id")
	if [ "$code" = 200 ] && grep -q '"subject":"Crash ' "$work/show"; then
		ok
	else
		missing=$((missing + 1))
		[ "$missing" -le 5 ] && fail "answered message $id is gone after the crashes (status $code)"
	fi
done
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
if [ "$rc" = 0 ]; then ok; else fail "exit status after SIGTERM: $rc"; fi
if out=$("$ATTACHE" --db "$work/node.db" audit verify 2>&1); then
	ok
else
	fail "audit verify after the crashes: $out"
fi

echo "api_crash: $ROUNDS kills, $total answered posts checked, $checks checks, $fails failures"
[ "$fails" -eq 0 ]
