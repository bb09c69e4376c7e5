#!/usr/bin/env bash
# docs/openapi.yaml and the server's router agree: every route the server has
# (attache serve --routes) is described, and every operation described is
# served. Also checks the embedded web UI is in step with web/ and that every
# ES module of the UI parses.
set -euo pipefail
: "${ATTACHE:?path of the attache binary}" "${ATT_SRCDIR:?source dir}"
spec="$ATT_SRCDIR/docs/openapi.yaml"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$ATTACHE" serve --routes | awk '{print $1, substr($2, 8)}' | sort >"$work/server"
# Operations in the spec: a path line "  /x:" then method lines "    get:".
awk '/^  \/[^ ]*:$/ {p=$1; sub(/:$/, "", p); next}
     /^[^ ]/ {p=""}
     p != "" && /^    (get|post|put|patch|delete):$/ {m=$1; sub(/:$/, "", m); print toupper(m), p}' \
	"$spec" | sort >"$work/spec"
[ -s "$work/server" ] || { echo "no routes from the server" >&2; exit 1; }
if ! diff -u "$work/server" "$work/spec"; then
	echo "api_openapi: the router and docs/openapi.yaml differ (- server only, + spec only)" >&2
	exit 1
fi
echo "api_openapi: $(wc -l <"$work/server") operations agree"

bash "$ATT_SRCDIR/scripts/embed-web.sh" --check
if command -v node >/dev/null; then
	while IFS= read -r f; do
		node --check "$f" || { echo "api_openapi: $f does not parse" >&2; exit 1; }
	done < <(find "$ATT_SRCDIR/web" -name '*.js')
	echo "api_openapi: web modules parse"
fi
# No inline scripts, styles or event handlers anywhere in the UI's HTML.
if grep -nE '<script>|<script [^>]*>[^<]|style=|<style| on[a-z]+=' "$ATT_SRCDIR"/web/*.html; then
	echo "api_openapi: inline script or style in web/" >&2
	exit 1
fi
# No innerHTML with data in the UI.
if grep -rn 'innerHTML\|outerHTML\|insertAdjacentHTML\|document.write' "$ATT_SRCDIR/web"; then
	echo "api_openapi: the UI builds HTML from strings" >&2
	exit 1
fi
