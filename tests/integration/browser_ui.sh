#!/usr/bin/env bash
# Runs the browser tests (tests/browser, playwright-core + Debian's Chromium)
# against a real `attache serve` on a fresh demo node. Screenshots go to
# $ATT_BUILDDIR/screenshots. Installs the pinned npm packages when missing.
set -euo pipefail
: "${ATTACHE:?path of the attache binary}" "${ATT_SRCDIR:?source dir}"
ATT_BUILDDIR=${ATT_BUILDDIR:-$PWD}
export ATT_BUILDDIR
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ] || ! command -v node >/dev/null; then
	echo "browser_ui: chromium or node missing (scripts/deps.sh installs them)" >&2
	exit 1
fi
cd "$ATT_SRCDIR/tests/browser"
if [ ! -d node_modules/playwright-core ]; then
	npm ci --no-audit --no-fund >&2
fi
work=$(mktemp -d)
pid=
cleanup() {
	if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT
"$ATTACHE" --db "$work/node.db" demo >/dev/null
"$ATTACHE" --db "$work/node.db" serve --listen 127.0.0.1:0 --threads 4 \
	>"$work/out" 2>"$work/access.log" &
pid=$!
for _ in $(seq 100); do
	grep -q 'serving' "$work/out" 2>/dev/null && break
	sleep 0.05
done
port=$(grep -o ':[0-9]\+/' "$work/out" | tr -d ':/')
[ -n "$port" ] || { echo "browser_ui: the server did not start" >&2; cat "$work/access.log" >&2; exit 1; }
ATT_URL="http://127.0.0.1:$port/" node --test --test-concurrency=1 ui.test.js
