#!/usr/bin/env bash
# End-to-end tests of the HTTP API: the real `attache serve` on a random
# loopback port over a fresh demo node. Every route x every role (allowed or
# denied), CSRF, tokens, limits, malformed input, injection strings, the
# login rate limit, security headers, pagination, graceful shutdown.
set -uo pipefail
: "${ATTACHE:?path of the attache binary}"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY
PW=demo-pass-2026
work=$(mktemp -d)
pid=
fails=0
checks=0
cleanup() {
	if [ -n "$pid" ]; then kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
	rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
ok() { checks=$((checks + 1)); }
expect() { # expect WHAT GOT WANT
	if [ "$2" = "$3" ]; then ok; else fail "$1: got '$2', want '$3'"; fi
}
expect_match() { # expect_match WHAT TEXT REGEX
	# A here-string, not a pipe: under pipefail, grep -q leaving early would
	# fail printf with SIGPIPE on a long text (the metrics page) and the check.
	if grep -Eq -- "$3" <<<"$2"; then ok; else fail "$1: '$(printf '%s' "$2" | head -c 300)' does not match /$3/"; fi
}

"$ATTACHE" --db "$work/node.db" demo >/dev/null || { echo "demo failed" >&2; exit 1; }
"$ATTACHE" --db "$work/node.db" serve --listen 127.0.0.1:0 --threads 4 >"$work/out" 2>"$work/log" &
pid=$!
for _ in $(seq 100); do grep -q serving "$work/out" 2>/dev/null && break; sleep 0.05; done
port=$(grep -o ':[0-9]\+/' "$work/out" | tr -d ':/')
[ -n "$port" ] || { echo "the server did not start" >&2; cat "$work/log" >&2; exit 1; }
B="http://127.0.0.1:$port"
API="$B/api/v1"

# req NAME METHOD PATH [BODY] [extra curl args...]: status to stdout, body
# in $work/body, headers in $work/hdr. NAME selects a cookie jar and CSRF
# token ("-" for none); NAME ending in "!nocsrf" omits the token.
req() {
	local who=$1 method=$2 path=$3 body=${4-} args=()
	shift 4 2>/dev/null || shift $#
	local jar=${who%!nocsrf}
	if [ "$jar" != "-" ]; then
		args+=(-b "$work/jar.$jar")
		if [ "$who" = "$jar" ] && [ -f "$work/csrf.$jar" ]; then
			args+=(-H "X-CSRF-Token: $(cat "$work/csrf.$jar")")
		fi
	fi
	if [ -n "$body" ]; then args+=(-H 'Content-Type: application/json' --data-binary "$body"); fi
	curl -s -o "$work/body" -D "$work/hdr" -w '%{http_code}' -X "$method" "${args[@]}" "$@" "$API$path"
}
login() { # login USER [PASSWORD]
	local code
	code=$(curl -s -o "$work/body" -D "$work/hdr" -w '%{http_code}' -c "$work/jar.$1" \
		-H 'Content-Type: application/json' \
		--data-binary "{\"user\":\"$1\",\"password\":\"${2:-$PW}\"}" "$API/session")
	sed -n 's/.*"csrf":"\([0-9a-f]*\)".*/\1/p' "$work/body" >"$work/csrf.$1"
	echo "$code"
}
jfield() { sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p" "$work/body"; }

ROLES="head mfa president desk-oc rep-mammadova partner-europol overseer finance admin"
for u in $ROLES rep-gasimov; do expect "login $u" "$(login "$u")" 200; done
expect_match "cookie flags" "$(grep -i '^set-cookie' "$work/hdr")" 'attache_session=[0-9a-f]{64}; Path=/; HttpOnly; SameSite=Strict'

# --- fixture for the exchange rows of the matrix -------------------------------
# A case of gb-london (rep-mammadova, organized crime), one H2 request to the
# organized-crime desk and Europol, one message held for review.
num() { sed -n 's/.*"id":\([0-9]*\).*/\1/p' "$work/body"; }
msg() { # msg CASE TO HANDLING SUBJECT [ENTITIES]
	printf '{"case":%s,"type":"request","to":%s,"field":"organized-crime","handling":"%s","source":"B","information":2,"priority":"urgent","purpose":"establish the owner of funds","subject":"%s","body":"Please check.","entities":%s}' \
		"$1" "$2" "$3" "$4" "${5:-[]}"
}
expect "open a case" "$(req rep-mammadova POST /cases '{"field":"organized-crime","title":"Shell companies in London","purpose":"trace proceeds","legal_basis":"Law on operational-search activity, art. 10"}')" 201
CASE=$(num)
expect "send the matrix message" "$(req rep-mammadova POST /messages "$(msg "$CASE" '["hq/organized-crime","partner/europol"]' H2 'Matrix request')")" 201
MSG=$(num)
# attachments over the API: the sender attaches, a recipient fetches, no one else
STMT64=$(printf 'Bank statement, page 1' | base64)
expect "the sender attaches a file" "$(req rep-mammadova POST /messages/$MSG/attachments '{"name":"statement.txt","mime":"text/plain","content_base64":"'"$STMT64"'"}')" 201
AID=$(num)
expect_match "its id, message and size" "$(cat "$work/body")" "^\{\"id\":$AID,\"message\":$MSG,\"size\":22\}$"
expect "a recipient fetches it" "$(req desk-oc GET /messages/$MSG/attachments/$AID)" 200
expect_match "with its name, type and content" "$(cat "$work/body")" '"name":"statement.txt".*"mime":"text/plain".*"content_base64":"'"$STMT64"'"'
expect "another post may not" "$(req rep-gasimov GET /messages/$MSG/attachments/$AID)" 403
expect "no such attachment" "$(req desk-oc GET /messages/$MSG/attachments/$((AID + 1000)))" 404
expect "a malformed attachment id" "$(req desk-oc GET /messages/$MSG/attachments/x1)" 404
expect "a recipient may not attach" "$(req desk-oc POST /messages/$MSG/attachments '{"name":"x.txt","content_base64":"AAEC"}')" 403
expect "content that is not base64" "$(req rep-mammadova POST /messages/$MSG/attachments '{"name":"x.txt","content_base64":"@@@@"}')" 422
expect "a path for a name" "$(req rep-mammadova POST /messages/$MSG/attachments '{"name":"../x","content_base64":"AAEC"}')" 422
expect "no content" "$(req rep-mammadova POST /messages/$MSG/attachments '{"name":"x.txt"}')" 422
python3 -c "import sys; sys.stdout.write('{\"name\":\"big.bin\",\"content_base64\":\"' + 'A' * (((16 * 1024 * 1024 + 3) // 3 + 1) * 4) + '\"}')" >"$work/big.json"
python3 -c "import base64,sys; sys.stdout.write('{\"name\":\"wrapped.bin\",\"content_base64\":\"' + base64.encodebytes(b'\\xff' * (16 * 1024 * 1024 - 10)).decode().replace(chr(10), '\\\\n') + '\"}')" >"$work/wrapped.json"
expect "a file just under 16 MiB in base64 wrapped at 76 columns" "$(req rep-mammadova POST /messages/$MSG/attachments "@$work/wrapped.json")" 201
expect "a file over 16 MiB" "$(req rep-mammadova POST /messages/$MSG/attachments "@$work/big.json")" 413
expect "register a protected person" "$(req overseer POST /protected '{"name":"Nargiz Quliyeva","dob":"1979-04-02","category":"journalist","reason":"matrix"}')" 201
expect "send a message naming her" "$(req rep-mammadova POST /messages "$(msg "$CASE" '["hq/organized-crime"]' H0 'About a contact' '[{"type":"person","name":"Наргиз Гулиева"}]')")" 201
HELD=$(num)
expect_match "held for review" "$(cat "$work/body")" '"held":true,"reasons":\[.+\]'
expect "send a message before its person is registered" "$(req rep-mammadova POST /messages "$(msg "$CASE" '["hq/organized-crime"]' H0 'Another contact' '[{"type":"person","name":"Farid Guliyev"}]')")" 201
EARLY=$(num)
expect "register him afterwards" "$(req overseer POST /protected '{"name":"Fərid Quliyev","category":"refugee"}')" 201
expect_match "the delivered message is held again" "$(cat "$work/body")" "\"held\":\\[$EARLY\\]"
expect "the recipient desk no longer reads it" "$(req desk-oc GET /messages/$EARLY)" 403
expect "send a message naming a person in its body only" "$(req rep-mammadova POST /messages "$(msg "$CASE" '["hq/organized-crime"]' H0 'Meeting notes' | sed 's/"body":"Please check."/"body":"Please check what Sabina Rahimli said at the meeting."/')")" 201
TEXTONLY=$(num)
expect "the desk reads it" "$(req desk-oc GET /messages/$TEXTONLY)" 200
expect "register her afterwards" "$(req overseer POST /protected '{"name":"Səbinə Rəhimli","category":"journalist"}')" 201
expect_match "the message naming her in its body is held again" "$(cat "$work/body")" "\"held\":\[$TEXTONLY\].*\"rescan_finished\":true"
expect "the desk no longer reads it" "$(req desk-oc GET /messages/$TEXTONLY)" 403
expect "the register shows her rescan" "$(req overseer GET /protected)" 200
expect_match "finished, one held" "$(cat "$work/body")" '"name":"Səbinə Rəhimli".*"rescan":\{"read":[0-9]+,"of":[0-9]+,"held":1,"flagged":0,"finished":"'
expect "nothing left to read" "$(req overseer POST /protected/rescan '{}')" 200
expect_match "no more holds" "$(cat "$work/body")" '^\{"held":\[\],"flagged":\[\],"rescan_finished":true\}$'
expect "a representative may not run it" "$(req rep-mammadova POST /protected/rescan '{}')" 403

# --- every route x every role ------------------------------------------------
# route|method|path|body|roles allowed ("*" all, "-" none). Allowed means the
# request passed authorization (any status but 401/403); denied means 403.
cat >"$work/matrix.in" <<'M'
GET|/session|GET /session||*
GET|/posts|GET /posts||head mfa president desk-oc rep-mammadova overseer finance admin
POST|/posts|POST /posts|{"id":"zz-matrix","kind":"state","host":"ZZ","city":"Nowhere","fields":["terrorism"],"staffing":1}|head
GET|/posts/{id}|GET /posts/fr-paris||head mfa president desk-oc rep-mammadova overseer finance admin
POST|/posts/{id}/staffing|POST /posts/fr-paris/staffing|{"staffing":2}|head
GET|/staffing|GET /staffing||head mfa president desk-oc rep-mammadova overseer finance admin
POST|/staffing|POST /staffing|{"level":12}|head
GET|/appointments|GET /appointments||head mfa president desk-oc rep-mammadova overseer finance admin
POST|/appointments|POST /appointments|{"person":"rep-nobody","post":"fr-paris","field":"terrorism"}|head
GET|/appointments/{id}|GET /appointments/1||head mfa president desk-oc rep-mammadova overseer finance admin
POST|/appointments/{id}/agree|POST /appointments/2/agree|{}|mfa president
POST|/appointments/{id}/refuse|POST /appointments/2/refuse|{"reason":"matrix"}|mfa president
POST|/appointments/{id}/make|POST /appointments/8/make|{}|head
POST|/appointments/{id}/end|POST /appointments/9/end|{"reason":"matrix"}|head
GET|/audit|GET /audit||overseer admin
POST|/audit/verify|POST /audit/verify|{}|overseer admin
GET|/audit/head|GET /audit/head||overseer admin
GET|/tokens|GET /tokens||admin
POST|/tokens|POST /tokens|{"user":"partner-europol","label":"matrix"}|admin
DELETE|/tokens/{id}|DELETE /tokens/999999||admin
GET|/users|GET /users||head overseer admin
POST|/users|POST /users|{"id":"zz-matrix","name":"Matrix","role":"finance"}|admin
GET|/cases|GET /cases||desk-oc rep-mammadova partner-europol overseer
POST|/cases|POST /cases|{"field":"organized-crime","title":"matrix","purpose":"matrix","legal_basis":"matrix"}|desk-oc rep-mammadova partner-europol
GET|/cases/{id}|GET /cases/@CASE@||desk-oc rep-mammadova partner-europol overseer
POST|/cases/{id}/grant|POST /cases/@CASE@/grant|{"to":"desk-cy"}|rep-mammadova
POST|/messages|POST /messages|{"case":@CASE@}|desk-oc rep-mammadova partner-europol
GET|/inbox|GET /inbox||desk-oc rep-mammadova partner-europol
GET|/messages/{id}|GET /messages/@MSG@||desk-oc rep-mammadova partner-europol overseer
POST|/messages/{id}/ack|POST /messages/@MSG@/ack|{}|desk-oc rep-mammadova partner-europol
POST|/messages/{id}/forward|POST /messages/@MSG@/forward|{"to":"nowhere/x"}|desk-oc rep-mammadova partner-europol
POST|/messages/{id}/permit|POST /messages/@MSG@/permit|{"to":"post/interpol"}|rep-mammadova
POST|/messages/{id}/export|POST /messages/@MSG@/export|{}|desk-oc rep-mammadova partner-europol
POST|/messages/{id}/attachments|POST /messages/@MSG@/attachments|{"name":"matrix.bin","content_base64":"AAEC"}|rep-mammadova
GET|/messages/{id}/attachments/{aid}|GET /messages/@MSG@/attachments/999999||desk-oc rep-mammadova partner-europol overseer
GET|/hits|GET /hits||desk-oc rep-mammadova partner-europol overseer
GET|/overdue|GET /overdue||head desk-oc rep-mammadova partner-europol overseer
GET|/screen|GET /screen?name=Elchin%20Mammadov||desk-oc rep-mammadova overseer
GET|/watchlists|GET /watchlists||head mfa president desk-oc rep-mammadova overseer finance admin
POST|/watchlists|POST /watchlists|{"name":"matrix","format":"csv","data":"not a list"}|desk-oc admin
GET|/protected|GET /protected||overseer
POST|/protected|POST /protected|{"name":"Matrix Person","category":"journalist"}|overseer
POST|/protected/rescan|POST /protected/rescan|{}|overseer
GET|/reviews|GET /reviews||overseer
POST|/reviews/{id}/release|POST /reviews/@HELD@/release|{"reason":"matrix"}|overseer
POST|/reviews/{id}/reject|POST /reviews/@HELD@/reject|{"reason":"matrix"}|overseer
GET|/neutrality|GET /neutrality||overseer
POST|/neutrality|POST /neutrality|{"term":"matrixterm*","lang":"en","category":"politics"}|overseer
DELETE|/neutrality/{term}|DELETE /neutrality/matrixterm*||overseer
DELETE|/session|DELETE /session||*
M
sed -e "s/@CASE@/$CASE/g" -e "s/@MSG@/$MSG/g" -e "s/@HELD@/$HELD/g" "$work/matrix.in" >"$work/matrix"
"$ATTACHE" serve --routes >"$work/routes"
# Every implemented route has a row; planned routes answer 501 to everyone.
while read -r method path planned; do
	if [ -n "$planned" ]; then
		for u in head desk-oc overseer; do
			expect "$method $path as $u (planned)" "$(req "$u" "$method" "${path#/api/v1}" \
				"$([ "$method" = POST ] && echo '{}')")" 501
		done
		continue
	fi
	[ "$method $path" = "POST /api/v1/session" ] && continue # public: the login tests below
	grep -q "^$method|${path#/api/v1}|" "$work/matrix" || fail "route $method $path has no row in the role matrix"
done <"$work/routes"
while IFS='|' read -r method pattern call body allowed; do
	path=${call#* }
	for u in $ROLES; do
		[ "$method $pattern" = "DELETE /session" ] && continue
		code=$(req "$u" "$method" "$path" "$body")
		if [ "$allowed" = "*" ] || [[ " $allowed " == *" $u "* ]]; then
			if [ "$code" = 401 ] || [ "$code" = 403 ] || [ "${code:0:1}" = 5 ]; then
				fail "$method $path as $u: allowed, got $code $(head -c 200 "$work/body")"
			else ok; fi
		else
			if [ "$code" = 403 ] && grep -q '"code":"denied"' "$work/body"; then ok
			else fail "$method $path as $u: denied, got $code $(head -c 200 "$work/body")"; fi
		fi
	done
done <"$work/matrix"
# No role reaches anything without a session.
while IFS='|' read -r method pattern call body allowed; do
	code=$(req - "$method" "${call#* }" "$body")
	expect "$method ${call#* } without a session" "$code" 401
done <"$work/matrix"

# --- CSRF --------------------------------------------------------------------------
expect "POST without X-CSRF-Token" "$(req 'head!nocsrf' POST /staffing '{"level":12}')" 403
expect_match "csrf error code" "$(cat "$work/body")" '"code":"csrf"'
expect "POST with a wrong X-CSRF-Token" "$(req 'head!nocsrf' POST /staffing '{"level":12}' -H "X-CSRF-Token: $(printf '0%.0s' $(seq 64))")" 403
expect "DELETE /session without X-CSRF-Token" "$(req 'head!nocsrf' DELETE /session)" 403
expect "GET needs no X-CSRF-Token" "$(req 'head!nocsrf' GET /staffing)" 200

# --- API tokens ---------------------------------------------------------------------
expect "no token to act as the head" "$(req admin POST /tokens '{"user":"head","label":"x"}')" 403
expect_match "token refusal names the rule" "$(cat "$work/body")" 'partner systems'
expect "no token to act as a desk officer" "$(req admin POST /tokens '{"user":"desk-oc","label":"x"}')" 403
expect "admin's own token" "$(req admin POST /tokens '{"user":"admin","label":"admin scripts","ttl":60}')" 201
expect "admin creates a partner token" "$(req admin POST /tokens '{"user":"partner-interpol","label":"ci system","ttl":2}')" 201
tok=$(jfield token); tokid=$(sed -n 's/.*"id":\([0-9]*\).*/\1/p' "$work/body")
expect_match "token format" "$tok" '^att_[0-9a-f]{64}$'
expect "bearer token GET" "$(req - GET /inbox '' -H "Authorization: Bearer $tok")" 200
expect "bearer token POST needs no CSRF" "$(req - POST /cases '{"field":"organized-crime","title":"by token","purpose":"p","legal_basis":"lb"}' -H "Authorization: Bearer $tok")" 201
expect "malformed bearer token" "$(req - GET /inbox '' -H "Authorization: Bearer att_nope")" 401
expect "other scheme" "$(req - GET /inbox '' -H "Authorization: Basic aGVhZDpwdw==")" 401
sleep 3
expect "expired token" "$(req - GET /inbox '' -H "Authorization: Bearer $tok")" 401
expect_match "expired token message" "$(cat "$work/body")" 'expired'
expect "admin creates a second token" "$(req admin POST /tokens '{"user":"partner-europol","label":"partner feed"}')" 201
tok2=$(jfield token); tok2id=$(sed -n 's/.*"id":\([0-9]*\).*/\1/p' "$work/body")
expect "second token works" "$(req - GET /inbox '' -H "Authorization: Bearer $tok2")" 200
expect "non-admin cannot revoke" "$(req head DELETE "/tokens/$tok2id")" 403
expect "admin revokes" "$(req admin DELETE "/tokens/$tok2id")" 200
expect "revoking twice" "$(req admin DELETE "/tokens/$tok2id")" 409
expect "revoked token" "$(req - GET /inbox '' -H "Authorization: Bearer $tok2")" 401
expect_match "revoked token message" "$(cat "$work/body")" 'revoked'
expect "token list" "$(req admin GET /tokens)" 200
if grep -q "$tok2" "$work/body"; then fail "the token list shows a secret"; else ok; fi
expect "a token for nobody" "$(req admin POST /tokens '{"user":"nobody","label":"x"}')" 404
expect "a token with a bad lifetime" "$(req admin POST /tokens '{"user":"partner-europol","label":"x","ttl":-5}')" 422

# --- limits and malformed input --------------------------------------------------------
big=$(head -c 1100000 /dev/zero | tr '\0' 'A')
printf '{"id":"zz-big","kind":"state","host":"ZZ","city":"X","fields":["terrorism"],"staffing":1,"mission":"%s"}' "$big" >"$work/big.json"
expect "oversized body" "$(req head POST /posts '' --data-binary @"$work/big.json" -H 'Content-Type: application/json')" 413
expect_match "413 error code" "$(cat "$work/body")" '"code":"too_large"'
expect "oversized chunked body" "$(req head POST /posts '' --data-binary @"$work/big.json" -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked')" 413
expect "nothing stored after 413" "$(req head GET /posts/zz-big)" 404
# Request heads: 8 KB of headers are read, 40 KB are refused before any work.
pad8=$(head -c 8000 /dev/zero | tr '\0' 'p')
pad40=$(head -c 40000 /dev/zero | tr '\0' 'p')
expect "8 KB of headers" "$(req head GET /posts '' -H "X-Pad: $pad8")" 200
expect "40 KB of headers" "$(req head GET /posts '' -H "X-Pad: $pad40")" 431
expect "malformed JSON" "$(req head POST /staffing '{"level":')" 400
expect_match "malformed JSON code" "$(cat "$work/body")" '"code":"malformed_json"'
printf '{"id":"zz-utf","kind":"state","host":"ZZ","city":"\xc3\x28","fields":["terrorism"],"staffing":1}' >"$work/bad-utf8.json"
expect "invalid UTF-8" "$(req head POST /posts '' --data-binary @"$work/bad-utf8.json" -H 'Content-Type: application/json')" 400
expect_match "invalid UTF-8 code" "$(cat "$work/body")" '"code":"invalid_utf8"'
expect "nothing stored after invalid UTF-8" "$(req head GET /posts/zz-utf)" 404
deep=$(printf '[%.0s' $(seq 40))$(printf ']%.0s' $(seq 40))
expect "too deep" "$(req head POST /staffing "{\"level\":$deep}")" 400
expect "wrong type" "$(req head POST /staffing '{"level":"twelve"}')" 422
expect_match "wrong type message" "$(cat "$work/body")" "'level' must be a whole number"
expect "negative number" "$(req head POST /posts/fr-paris/staffing '{"staffing":-1}')" 422
expect "array body" "$(req head POST /staffing '[1,2]')" 422
expect "duplicate keys" "$(req head POST /staffing '{"level":12,"level":13}')" 400
expect "not JSON content type" "$(req head POST /staffing '' --data-binary '{"level":12}' -H 'Content-Type: text/plain')" 415
expect "invalid value" "$(req head POST /posts '{"id":"BAD ID","kind":"state","host":"ZZ","city":"X","fields":["terrorism"],"staffing":1}')" 422
expect "unknown field" "$(req head POST /appointments '{"person":"rep-abbasov","post":"fr-paris","field":"espionage"}')" 422
expect "decree limit" "$(req head POST /posts/fr-paris/staffing '{"staffing":0}')" 409
expect "not found" "$(req head GET /appointments/424242)" 404
expect "non-numeric id" "$(req head GET /appointments/abc)" 404
expect "unknown route" "$(req head GET /nothing)" 404
expect "wrong method" "$(req head PUT /posts)" 405
expect_match "Allow header" "$(grep -i '^allow' "$work/hdr")" 'GET, POST'

# --- injection strings are stored and returned inert --------------------------------------
inj="x'); DROP TABLE users; -- <script>alert(\\\"pwn\\\")</script> \\\" OR 1=1"
expect "propose with injection text" "$(req head POST /appointments "{\"person\":\"rep-abbasov\",\"post\":\"tr-ankara\",\"field\":\"terrorism\",\"reason\":\"$inj\"}")" 409
expect "post with injection text" "$(req head POST /posts "{\"id\":\"zz-inj\",\"kind\":\"org\",\"host\":\"<img src=x onerror=alert(1)>\",\"city\":\"'; DELETE FROM posts; --\",\"fields\":[\"terrorism\"],\"staffing\":1}")" 201
expect "read it back" "$(req head GET /posts/zz-inj)" 200
expect_match "host returned as data" "$(cat "$work/body")" '"host":"<img src=x onerror=alert\(1\)>"'
expect_match "city returned as data" "$(cat "$work/body")" "\"city\":\"'; DELETE FROM posts; --\""
expect_match "served as JSON" "$(grep -i '^content-type' "$work/hdr")" 'application/json'
expect "users survive" "$(req admin GET /users)" 200
expect_match "users listed" "$(cat "$work/body")" '"id":"head"'
expect "posts survive" "$(req head GET '/posts?limit=500')" 200
expect_match "posts listed" "$(cat "$work/body")" '"id":"fr-paris"'

# --- the exchange ------------------------------------------------------------------------
# send -> inbox -> show -> ack
ents='[{"type":"iban","value":"GB33 BUKB 2020 1555 5555 55"},{"type":"person","name":"Elchin Mammadov","dob":"1975-03-14","nationality":"AZ"}]'
expect "send a request" "$(req rep-mammadova POST /messages "$(msg "$CASE" '["hq/organized-crime"]' H2 'Accounts of a suspect' "$ents")")" 201
M1=$(num)
expect_match "send result" "$(cat "$work/body")" "^\{\"id\":$M1,\"held\":false,\"reasons\":\[\],\"hits\":[0-9]+\}$"
expect "the desk's inbox" "$(req desk-oc GET /inbox)" 200
expect_match "the request is in it" "$(cat "$work/body")" "\"id\":$M1,.*\"subject\":\"Accounts of a suspect\""
expect "the desk reads it" "$(req desk-oc GET "/messages/$M1")" 200
expect_match "handling, evaluation, entities" "$(cat "$work/body")" '"handling":"H2".*"evaluation":"B2".*"entities":\[\{"type":"iban"'
expect "the desk acknowledges" "$(req desk-oc POST "/messages/$M1/ack" '{}')" 200
req rep-mammadova GET "/messages/$M1" >/dev/null
expect_match "the sender sees the acknowledgement" "$(cat "$work/body")" '"unit":"hq/organized-crime","state":"acknowledged"'
expect "a reply" "$(req desk-oc POST /messages "{\"case\":$CASE,\"type\":\"reply\",\"in_reply_to\":$M1,\"to\":[\"post/gb-london\"],\"field\":\"organized-crime\",\"handling\":\"H1\",\"source\":\"A\",\"information\":1,\"purpose\":\"answer\",\"subject\":\"Re: accounts\",\"body\":\"Account confirmed.\"}")" 201
REPLY=$(num)
expect "the case thread" "$(req rep-mammadova GET "/cases/$CASE")" 200
expect_match "the reply is in the thread" "$(cat "$work/body")" "\"id\":$REPLY,"
expect "a non-recipient may not read" "$(req rep-gasimov GET "/messages/$M1")" 403
expect "nor the head of service" "$(req head GET "/messages/$M1")" 403
expect "inbox paging" "$(req desk-oc GET '/inbox?limit=1')" 200
c=$(jfield next_cursor)
expect_match "an inbox cursor" "$c" '^[0-9]+$'
expect "inbox next page" "$(req desk-oc GET "/inbox?limit=1&cursor=$c")" 200
expect "bad inbox cursor" "$(req desk-oc GET '/inbox?cursor=x')" 422
# a second post names the same IBAN: a hit for both, hit/no-hit
expect "rep-gasimov opens a case" "$(req rep-gasimov POST /cases '{"field":"organized-crime","title":"Diffusion","purpose":"trace assets","legal_basis":"INTERPOL rules"}')" 201
GCASE=$(num)
expect "rep-gasimov names the same IBAN" "$(req rep-gasimov POST /messages "$(msg "$GCASE" '["hq/organized-crime"]' H0 'Funds' '[{"type":"iban","value":"GB33BUKB20201555555555"}]')")" 201
expect_match "a hit recorded" "$(cat "$work/body")" '"hits":[1-9]'
expect "hits of gb-london" "$(req rep-mammadova GET /hits)" 200
expect_match "the hit names interpol, not its content" "$(cat "$work/body")" '"unit":"post/interpol"'
if grep -q '"subject":"Funds"' "$work/body"; then fail "a hit leaks the other message's subject"; else ok; fi
# H2: forwarding refused until the provider permits
expect "H2 forward refused" "$(req desk-oc POST "/messages/$M1/forward" '{"to":"post/interpol"}')" 403
expect "the provider permits" "$(req rep-mammadova POST "/messages/$M1/permit" '{"to":"post/interpol"}')" 200
expect "H2 forward permitted" "$(req desk-oc POST "/messages/$M1/forward" '{"to":"post/interpol"}')" 200
expect "forward needs 'to'" "$(req desk-oc POST "/messages/$M1/forward" '{}')" 422
# a held message: invisible to the recipient until released
expect "a protected person again" "$(req rep-mammadova POST /messages "$(msg "$CASE" '["hq/organized-crime"]' H0 'Second contact' '[{"type":"person","name":"Quliyeva Nargiz"}]')")" 201
HELD2=$(num)
expect_match "held, with reasons" "$(cat "$work/body")" '"held":true,"reasons":\[.+\]'
expect "a held message is not delivered" "$(req desk-oc GET "/messages/$HELD2")" 403
expect_match "not in the desk's inbox" "$(req desk-oc GET /inbox >/dev/null; grep -c "\"id\":$HELD2," "$work/body")" '^0$'
expect "the review queue" "$(req overseer GET /reviews)" 200
expect_match "the held message is queued" "$(cat "$work/body")" "\"id\":$HELD2[,}]"
expect "release needs a reason" "$(req overseer POST "/reviews/$HELD2/release" '{}')" 422
expect "the overseer releases" "$(req overseer POST "/reviews/$HELD2/release" '{"reason":"contact is a witness, not a target"}')" 200
expect "released: the recipient reads it" "$(req desk-oc GET "/messages/$HELD2")" 200
expect "released twice" "$(req overseer POST "/reviews/$HELD2/release" '{"reason":"again"}')" 409
# screening, watchlists, neutrality
expect "screen a name" "$(req desk-oc GET '/screen?name=Elcin%20Mammadov&limit=5')" 200
expect_match "screen result" "$(cat "$work/body")" '"query":"Elcin Mammadov","items":\['
expect "screen without a name" "$(req desk-oc GET '/screen')" 422
csv='name,aliases,dob,nationality,type,id\nIvan Petrov,,1970-01-01,RU,person,T-1\n'
expect "import a list" "$(req desk-oc POST /watchlists "{\"name\":\"test-list\",\"format\":\"csv\",\"data\":\"$csv\"}")" 201
expect_match "import result" "$(cat "$work/body")" '"name":"test-list".*"entries":1'
expect "lists" "$(req desk-oc GET /watchlists)" 200
expect_match "the list is there" "$(cat "$work/body")" '"name":"test-list"'
head -c $((70 * 1024 * 1024)) /dev/zero >"$work/huge"
expect "a list over 64 MiB" "$(req desk-oc POST /watchlists '' --data-binary @"$work/huge" -H 'Content-Type: application/json')" 413
rm -f "$work/huge"
expect "a neutrality term" "$(req overseer POST /neutrality '{"term":"dissident*","lang":"en","category":"politics"}')" 201
expect "a message with it is held" "$(req rep-mammadova POST /messages "$(msg "$CASE" '["hq/organized-crime"]' H0 'A dissident abroad')")" 201
expect_match "the term is named" "$(cat "$work/body")" '"held":true,"reasons":\[.*dissident'
expect "remove the term" "$(req overseer DELETE '/neutrality/dissident*')" 200
expect "remove it again" "$(req overseer DELETE '/neutrality/dissident*')" 404
# refusals, with nothing stored
req desk-oc GET '/inbox?limit=500' >/dev/null; before=$(grep -o '"id":' "$work/body" | wc -l)
big=$(head -c 1100000 /dev/zero | tr '\0' 'A')
printf '%s' "$(msg "$CASE" '["hq/organized-crime"]' H0 "$big")" >"$work/bigmsg.json"
expect "oversized message" "$(req rep-mammadova POST /messages '' --data-binary @"$work/bigmsg.json" -H 'Content-Type: application/json')" 413
expect "malformed message" "$(req rep-mammadova POST /messages '{"case":')" 400
printf '{"case":%s,"type":"request","to":["hq/organized-crime"],"field":"organized-crime","handling":"H0","source":"B","information":2,"purpose":"p","subject":"\xff\xfe","body":"b"}' "$CASE" >"$work/badmsg.json"
expect "invalid UTF-8 message" "$(req rep-mammadova POST /messages '' --data-binary @"$work/badmsg.json" -H 'Content-Type: application/json')" 400
expect "wrong type in a message" "$(req rep-mammadova POST /messages "{\"case\":$CASE,\"type\":\"request\",\"to\":[\"hq/organized-crime\"],\"field\":\"organized-crime\",\"handling\":\"H0\",\"source\":\"B\",\"information\":\"two\",\"purpose\":\"p\",\"subject\":\"s\",\"body\":\"b\"}")" 422
expect_match "the member is named" "$(cat "$work/body")" "'information'"
expect "a message as an array" "$(req rep-mammadova POST /messages '[1]')" 422
expect "an invalid entity" "$(req rep-mammadova POST /messages "$(msg "$CASE" '["hq/organized-crime"]' H0 'x' '[{"type":"iban","value":"not an iban"}]')")" 422
expect "no purpose" "$(req rep-mammadova POST /messages "{\"case\":$CASE,\"type\":\"request\",\"to\":[\"hq/organized-crime\"],\"field\":\"organized-crime\",\"handling\":\"H0\",\"source\":\"B\",\"information\":2,\"subject\":\"s\",\"body\":\"b\"}")" 422
expect "field outside the mandate" "$(req rep-mammadova POST /messages "$(msg "$CASE" '["hq/terrorism"]' H0 'x' | sed 's/organized-crime/terrorism/')")" 403
req desk-oc GET '/inbox?limit=500' >/dev/null; after=$(grep -o '"id":' "$work/body" | wc -l)
expect "nothing stored by the refusals" "$after" "$before"
# injection strings in a message are stored and returned inert
isub="<script>alert(1)</script>'; DROP TABLE messages; -- \\\" OR 1=1"
expect "send with injection text" "$(req rep-mammadova POST /messages "$(msg "$CASE" '["hq/organized-crime"]' H0 "$isub")")" 201
IM=$(num)
expect "read it back" "$(req desk-oc GET "/messages/$IM")" 200
expect_match "subject returned as data" "$(cat "$work/body")" "\"subject\":\"<script>alert\\(1\\)</script>'; DROP TABLE messages; -- \\\\\" OR 1=1\""
expect "messages survive" "$(req desk-oc GET "/messages/$M1")" 200

# --- pagination --------------------------------------------------------------------------
expect "first page" "$(req head GET '/posts?limit=5')" 200
expect_match "five items and a cursor" "$(cat "$work/body")" '"next_cursor":"5"'
n=0; cursor=
while :; do
	req head GET "/posts?limit=4${cursor:+&cursor=$cursor}" >/dev/null
	n=$((n + $(grep -o '"kind":' "$work/body" | wc -l)))
	cursor=$(jfield next_cursor)
	[ -z "$cursor" ] && break
done
expect "walking every page" "$n" 15
expect "bad limit" "$(req head GET '/posts?limit=0')" 422
expect "bad cursor" "$(req head GET '/posts?cursor=zz')" 422
expect "audit page" "$(req overseer GET '/audit?limit=3')" 200
c=$(jfield next_cursor)
expect "audit next page" "$(req overseer GET "/audit?limit=3&cursor=$c")" 200
expect_match "audit continues below the cursor" "$(cat "$work/body")" "\"seq\":$((c - 1))[,}]"

# --- the login rate limit ------------------------------------------------------------------
for i in 1 2 3 4 5; do expect "wrong password $i" "$(login finance wrong-password)" 401; done
expect "sixth attempt rate-limited" "$(login finance wrong-password)" 429
expect_match "Retry-After" "$(grep -i '^retry-after' "$work/hdr")" '[0-9]+'
expect "even the right password waits" "$(login finance)" 429
expect_match "429 code" "$(cat "$work/body")" '"code":"rate_limited"'
expect "other users are not limited" "$(login mfa)" 200
expect "unknown user" "$(login nobody-at-all)" 401

# --- sessions end ----------------------------------------------------------------------------
cp "$work/jar.president" "$work/jar.old"
expect "logout" "$(req president DELETE /session)" 204
expect_match "logout clears the cookie" "$(grep -i '^set-cookie' "$work/hdr")" 'Max-Age=0'
expect "the old cookie is dead" "$(req old GET /staffing)" 401

# --- the rest of the server ----------------------------------------------------------------------
code=$(curl -s -o "$work/body" -D "$work/hdr" -w '%{http_code}' "$B/")
expect "web UI" "$code" 200
hdr=$(cat "$work/hdr")
expect_match "CSP" "$hdr" "Content-Security-Policy: default-src 'self'.*frame-ancestors 'none'"
if grep -qi "unsafe-inline" "$work/hdr"; then fail "CSP allows unsafe-inline"; else ok; fi
expect_match "nosniff" "$hdr" 'X-Content-Type-Options: nosniff'
expect_match "referrer" "$hdr" 'Referrer-Policy: no-referrer'
if grep -qi '<script>' "$work/body" || grep -qi ' style=' "$work/body"; then fail "inline script or style in index.html"; else ok; fi
expect "app module" "$(curl -s -o /dev/null -w '%{http_code} %{content_type}' "$B/app.js")" "200 text/javascript; charset=utf-8"
expect "healthz" "$(curl -s "$B/healthz")" '{"status":"ok"}'
metrics=$(curl -s "$B/metrics")
expect_match "metrics requests" "$metrics" 'attache_http_requests_total\{route="GET /api/v1/posts",status="200"\} [0-9]+'
expect_match "metrics histogram" "$metrics" 'attache_http_request_duration_seconds_bucket\{le="\+Inf"\}'
expect_match "metrics memory" "$metrics" 'attache_resident_memory_bytes [1-9]'

expect "no such message" "$(req desk-oc GET /messages/999999)" 404

# --- graceful shutdown and what the log holds ---------------------------------------------------
kill -TERM "$pid"; wait "$pid"; rc=$?; pid=
expect "exit status after SIGTERM" "$rc" 0
expect_match "stopped" "$(tail -1 "$work/log")" '"event":"stopped"'
for secret in "$PW" "$tok" "$tok2" "$(cat "$work/csrf.head")" "$(grep -o '[0-9a-f]\{64\}' "$work/jar.head" | head -1)" "DROP TABLE"; do
	if grep -qF -- "$secret" "$work/log"; then fail "the access log holds a secret or content: ${secret:0:12}…"; else ok; fi
done
expect_match "access log line" "$(grep '"path":"/api/v1/posts"' "$work/log" | head -1)" '"method":"GET".*"status":200.*"user":"head"'
if "$ATTACHE" --db "$work/node.db" audit verify >/dev/null; then ok; else fail "audit verify after the API tests"; fi

echo "api_server: $checks checks passed, $fails failed"
[ "$fails" -eq 0 ]
