#!/usr/bin/env bash
# HTTP benchmark of attache serve, side by side with nginx serving a static
# file of the same size on the same machine in the same run (the ceiling).
#   bench/bench_http.sh                 64 connections, 30 s per scenario
#   BENCH_SHORT=1 bench/bench_http.sh   5 s per scenario
# Env: ATTACHE (binary; default build/attache), BENCH_CONNS, BENCH_SECS,
# BENCH_THREADS (server threads; default: CPUs).
# Scenarios: authenticated GET of a page of 50 appointments (the inbox once
# the exchange is wired: set BENCH_GET_PATH), durable POSTs (a staffing
# change: one transaction, one audit entry, fsync), nginx static file.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
ATTACHE=${ATTACHE:-$root/build/attache}
CONNS=${BENCH_CONNS:-64}
SECS=${BENCH_SECS:-$([ -n "${BENCH_SHORT:-}" ] && echo 5 || echo 30)}
NCPU=$(nproc)
SRV_THREADS=${BENCH_THREADS:-$NCPU}
WRK_THREADS=$(( NCPU < 4 ? NCPU : 4 ))
GET_PATH=${BENCH_GET_PATH:-/api/v1/appointments?limit=50}
POST_PATH=${BENCH_POST_PATH:-/api/v1/staffing}
POST_BODY=${BENCH_POST_BODY:-'{"level":12}'}
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
"$ATTACHE" --db "$work/node.db" serve --listen 127.0.0.1:0 --threads "$SRV_THREADS" --no-access-log \
	>"$work/out" 2>"$work/log" &
spid=$!
for _ in $(seq 100); do grep -q serving "$work/out" 2>/dev/null && break; sleep 0.05; done
port=$(grep -o ':[0-9]\+/' "$work/out" | tr -d ':/')
B="http://127.0.0.1:$port"

# An API token for the head of the service, made by the administrator.
curl -s -c "$work/jar" -H 'Content-Type: application/json' \
	-d '{"user":"admin","password":"demo-pass-2026"}' "$B/api/v1/session" >"$work/login"
csrf=$(sed -n 's/.*"csrf":"\([0-9a-f]*\)".*/\1/p' "$work/login")
token=$(curl -s -b "$work/jar" -H "X-CSRF-Token: $csrf" -H 'Content-Type: application/json' \
	-d '{"user":"head","label":"bench"}' "$B/api/v1/tokens" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
[ -n "$token" ] || { echo "bench_http: could not get a token" >&2; exit 1; }
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
wrk.method = "POST"
wrk.body = '$POST_BODY'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $token"
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

echo "bench_http: $NCPU CPUs, server threads $SRV_THREADS, wrk $WRK_THREADS threads x $CONNS connections, ${SECS}s each"
echo "response size $size bytes (GET $GET_PATH)"
echo "server RSS before: $(rss)"
printf '%-34s %12s %10s %10s\n' scenario 'requests/s' p50 p99
run "nginx static file (ceiling)" "http://127.0.0.1:$nport/page.json"
run "attache GET (bearer)" -H "Authorization: Bearer $token" "$B$GET_PATH"
echo "server RSS after GETs: $(rss)"
run "attache POST (durable)" -s "$work/post.lua" "$B$POST_PATH"
echo "server RSS after POSTs: $(rss)"
run "attache GET again (RSS flat?)" -H "Authorization: Bearer $token" "$B$GET_PATH"
echo "server RSS at the end: $(rss)"
"$ATTACHE" --db "$work/node.db" audit verify
