#!/usr/bin/env bash
# HTTP benchmark of attache serve, side by side with nginx serving a static
# file of the same size on the same machine in the same run (the ceiling).
#   bench/bench_http.sh                 64 connections, 30 s per scenario
#   BENCH_SHORT=1 bench/bench_http.sh   5 s per scenario
# Env: ATTACHE (binary; default build/attache), BENCH_CONNS, BENCH_SECS,
# BENCH_THREADS (server threads; default: the server's own, 4 per CPU, 8..64).
# Scenarios: authenticated GET of a page of 50 inbox items, durable POSTs of
# messages (each with two entities, unique per request, so every post is
# validated, screened, cross-matched, encrypted, stored and audited) through
# the server's group commit, and nginx serving a static file of the same
# size. The client is a partner system (API token of partner-interpol).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
ATTACHE=${ATTACHE:-$root/build/attache}
CONNS=${BENCH_CONNS:-64}
SECS=${BENCH_SECS:-$([ -n "${BENCH_SHORT:-}" ] && echo 5 || echo 30)}
NCPU=$(nproc)
SRV_THREADS=${BENCH_THREADS:-}
WRK_THREADS=$(( NCPU < 4 ? NCPU : 4 ))
GET_PATH=${BENCH_GET_PATH:-/api/v1/inbox?limit=50}
POST_PATH=/api/v1/messages
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY
command -v wrk >/dev/null || { echo "bench_http: wrk is missing (apt-get install wrk)" >&2; exit 1; }
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || { echo "bench_http: nginx is missing (apt-get install nginx-light)" >&2; exit 1; }

work=$(mktemp -d)
spid= npid=
cleanup() {
	[ -n "$spid" ] && kill "$spid" 2>/dev/null && wait "$spid" 2>/dev/null
	[ -n "$npid" ] && kill "$npid" 2>/dev/null && wait "$npid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

"$ATTACHE" --db "$work/node.db" demo >/dev/null
"$ATTACHE" --db "$work/node.db" serve --listen 127.0.0.1:0 ${SRV_THREADS:+--threads "$SRV_THREADS"} --no-access-log \
	>"$work/out" 2>"$work/log" &
spid=$!
for _ in $(seq 100); do grep -q serving "$work/out" 2>/dev/null && break; sleep 0.05; done
port=$(grep -o ':[0-9]\+/' "$work/out" | tr -d ':/')
B="http://127.0.0.1:$port"

# An API token for a partner system, made by the administrator.
curl -s -c "$work/jar" -H 'Content-Type: application/json' \
	-d '{"user":"admin","password":"demo-pass-2026"}' "$B/api/v1/session" >"$work/login"
csrf=$(sed -n 's/.*"csrf":"\([0-9a-f]*\)".*/\1/p' "$work/login")
token=$(curl -s -b "$work/jar" -H "X-CSRF-Token: $csrf" -H 'Content-Type: application/json' \
	-d '{"user":"partner-interpol","label":"bench"}' "$B/api/v1/tokens" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
[ -n "$token" ] || { echo "bench_http: could not get a token" >&2; exit 1; }
case_id=$(curl -s -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
	-d '{"field":"organized-crime","title":"Bench","purpose":"benchmark traffic","legal_basis":"INTERPOL rules"}' \
	"$B/api/v1/cases" | sed -n 's/.*"id":\([0-9]*\).*/\1/p')
[ -n "$case_id" ] || { echo "bench_http: could not open a case" >&2; exit 1; }
# {T} and {N} are replaced per request (thread, counter): unique entities.
template='{"case":'$case_id',"type":"information","to":["hq/organized-crime"],"field":"organized-crime","handling":"H1","source":"B","information":2,"priority":"routine","purpose":"benchmark traffic","subject":"Bench message {T}-{N}","body":"Routine information exchanged for the benchmark.","entities":[{"type":"email","value":"b{T}x{N}@example.org"},{"type":"phone","value":"+4420{T}{N}"}]}'
# A full inbox page to read: 60 messages first.
for i in $(seq 60); do
	curl -s -o /dev/null -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
		--data-binary "$(printf '%s' "$template" | sed "s/{T}/9/g; s/{N}/$((1000000 + i))/g")" "$B$POST_PATH"
done
size=$(curl -s -H "Authorization: Bearer $token" "$B$GET_PATH" | wc -c)

# nginx with the same-sized static file, on its own port.
mkdir -p "$work/www" "$work/nginx"
head -c "$size" /dev/zero | tr '\0' 'x' >"$work/www/page.json"
# nginx workers run as an unprivileged user: let them read the file.
chmod 755 "$work" "$work/www"
chmod 644 "$work/www/page.json"
nport=$(( (port % 20000) + 30000 ))
cat >"$work/nginx.conf" <<NGX
daemon off;
worker_processes $NCPU;
pid $work/nginx/pid;
error_log $work/nginx/error.log;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_temp_path $work/nginx/body;
	proxy_temp_path $work/nginx/proxy;
	fastcgi_temp_path $work/nginx/fcgi;
	uwsgi_temp_path $work/nginx/uwsgi;
	scgi_temp_path $work/nginx/scgi;
	server { listen 127.0.0.1:$nport; root $work/www; default_type application/json; }
}
NGX
"$NGINX" -c "$work/nginx.conf" -p "$work/nginx" 2>"$work/nginx/stderr" &
npid=$!
sleep 0.3

cat >"$work/post.lua" <<LUA
local template = [[$template]]
local threads = 0
function setup(thread)
	threads = threads + 1
	thread:set("tid", threads)
end
local n = 1000000
local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer $token"}
function request()
	n = n + 1
	local body = template:gsub("{T}", tostring(tid)):gsub("{N}", tostring(n))
	return wrk.format("POST", "$POST_PATH", headers, body)
end
LUA

rss() { awk '/VmRSS/ {print $2 " kB"}' "/proc/$spid/status"; }
run() { # run NAME wrk-args...
	local name=$1 out rps p50 p99 errs non2xx
	shift
	out=$(wrk -t "$WRK_THREADS" -c "$CONNS" -d "${SECS}s" --latency "$@" 2>&1)
	rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
	p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
	p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
	errs=$(awk '/Socket errors/ {print $0}' <<<"$out" | sed 's/.*Socket errors: //')
	non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
	printf '%-34s %12s %10s %10s  errors: %s non-2xx: %s\n' "$name" "$rps" "$p50" "$p99" \
		"${errs:-0}" "${non2xx:-0}"
}

echo "bench_http: $NCPU CPUs, server threads ${SRV_THREADS:-default}, wrk $WRK_THREADS threads x $CONNS connections, ${SECS}s each"
cat "$work/out"
echo "response size $size bytes (GET $GET_PATH)"
echo "server RSS before: $(rss)"
printf '%-34s %12s %10s %10s\n' scenario 'requests/s' p50 p99
run "nginx static file (ceiling)" "http://127.0.0.1:$nport/page.json"
run "attache GET (bearer)" -H "Authorization: Bearer $token" "$B$GET_PATH"
echo "server RSS after GETs: $(rss)"
run "attache POST message (group commit)" -s "$work/post.lua" "$B$POST_PATH"
echo "server RSS after POSTs: $(rss)"
echo "messages stored: $(sqlite3 "$work/node.db" 'SELECT count(*) FROM messages' 2>/dev/null || echo '?')"
run "attache GET again (RSS flat?)" -H "Authorization: Bearer $token" "$B$GET_PATH"
echo "server RSS at the end: $(rss)"
# Verify once the server has stopped (and committed its last reads).
kill -TERM "$spid"
wait "$spid" && echo "server stopped cleanly" || echo "server exit status $?"
spid=
"$ATTACHE" --db "$work/node.db" audit verify
