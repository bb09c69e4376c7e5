#!/usr/bin/env bash
# `attache serve` over TLS: the real server with certificates made here by
# openssl, driven by curl and openssl s_client on loopback. What a client
# meets (the API, the Secure cookie, HSTS), what the server refuses (plain
# HTTP, TLS 1.0 and 1.1, ciphers without forward secrecy or AEAD), and the
# clear error for a certificate or key it cannot use.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY
PW=demo-pass-2026
work=$T_DIR
pid=
trap 'if [ -n "$pid" ]; then kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi; rm -rf "$T_DIR"' EXIT

cert() { # cert NAME NEWKEY-ARGS...: NAME.pem and NAME.key, self-signed for 127.0.0.1
	local name=$1
	shift
	openssl req -x509 -newkey "$@" -nodes -keyout "$work/$name.key" -out "$work/$name.pem" \
		-days 2 -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null ||
		{ echo "openssl could not make a certificate" >&2; exit 1; }
}
cert ec ec -pkeyopt ec_paramgen_curve:prime256v1
cert rsa rsa:2048

"$ATTACHE" demo >/dev/null || { echo "demo failed" >&2; exit 1; }

# --- refused at start, with the reason --------------------------------------------
refused() { # refused WHAT RC REGEX serve-args...
	local what=$1 want=$2 re=$3 rc
	shift 3
	timeout 10 "$ATTACHE" serve --listen 127.0.0.1:0 "$@" \
		>"$work/r.out" 2>"$work/r.err"
	rc=$?
	expect_eq "$what: exit code" "$rc" "$want"
	expect_match "$what: message" "$(cat "$work/r.err")" "$re"
	if grep -q serving "$work/r.out"; then not_ok "$what: it served"; else ok "$what: nothing served"; fi
}
printf 'not a certificate\n' >"$work/garbage.pem"
head -c 1100000 /dev/zero | tr '\0' A >"$work/huge.pem"
refused "certificate without key" 2 'needs both --tls-cert and --tls-key' --tls-cert "$work/ec.pem"
refused "missing key file" 1 'cannot open .*nope\.key' --tls-cert "$work/ec.pem" --tls-key "$work/nope.key"
refused "garbage certificate" 1 'GnuTLS failed to setup x509 certificate/key' \
	--tls-cert "$work/garbage.pem" --tls-key "$work/ec.key"
refused "garbage key" 1 'GnuTLS failed to setup x509 certificate/key' \
	--tls-cert "$work/ec.pem" --tls-key "$work/garbage.pem"
refused "key of another certificate" 1 'do not match' --tls-cert "$work/ec.pem" --tls-key "$work/rsa.key"
refused "oversized certificate" 1 'too large' --tls-cert "$work/huge.pem" --tls-key "$work/ec.key"

# --- serving over TLS ------------------------------------------------------------------
start() { # start CERT KEY
	"$ATTACHE" serve --listen 127.0.0.1:0 --threads 2 --tls-cert "$1" \
		--tls-key "$2" >"$work/out" 2>"$work/log" &
	pid=$!
	for _ in $(seq 100); do grep -q serving "$work/out" 2>/dev/null && break; sleep 0.05; done
	port=$(grep -o ':[0-9]\+/' "$work/out" | tr -d ':/')
	[ -n "$port" ] || { echo "the server did not start" >&2; cat "$work/log" >&2; exit 1; }
}
stop() {
	kill "$pid"
	wait "$pid"
	expect_eq "the server stops cleanly" "$?" 0
	pid=
}
handshake() { # handshake S_CLIENT-ARGS...: the protocol agreed, or NONE
	local out
	out=$(echo | timeout 10 openssl s_client -connect "127.0.0.1:$port" "$@" 2>&1)
	case "$(grep -m1 '^New,' <<<"$out")" in
	*"(NONE)"* | "") echo NONE ;;
	*) # the session's protocol; a TLS 1.3 session may be printed
		# without it, and its suites are 1.3's alone
		local p
		p=$(sed -n 's/^ *Protocol *: *//p; s/^New, \(TLSv1\.3\),.*/\1/p' <<<"$out")
		echo "${p%%$'\n'*}" ;;
	esac
}

start "$work/ec.pem" "$work/ec.key"
expect_match "it says https" "$(cat "$work/out")" '^attache: serving https://127\.0\.0\.1:[0-9]+/'
B="https://127.0.0.1:$port"
TLS=(--cacert "$work/ec.pem")
expect_eq "healthz over TLS" "$(curl -s "${TLS[@]}" "$B/healthz")" '{"status":"ok"}'
curl -s "${TLS[@]}" -o /dev/null -D "$work/hdr" "$B/"
expect_match "HSTS" "$(cat "$work/hdr")" 'Strict-Transport-Security: max-age=31536000'
curl -s -o /dev/null "$B/healthz"
expect_eq "an unknown certificate is not trusted" "$?" 60
code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz")
expect_eq "plain HTTP gets no answer" "$code" 000

# login, a Secure cookie, the API
code=$(curl -s "${TLS[@]}" -o "$work/body" -D "$work/hdr" -w '%{http_code}' -c "$work/jar" \
	-H 'Content-Type: application/json' \
	--data-binary "{\"user\":\"desk-oc\",\"password\":\"$PW\"}" "$B/api/v1/session")
expect_eq "login over TLS" "$code" 200
expect_match "the session cookie is Secure" "$(grep -i '^set-cookie' "$work/hdr")" \
	'attache_session=[0-9a-f]{64}; Path=/; HttpOnly; SameSite=Strict.*; Secure'
code=$(curl -s "${TLS[@]}" -o "$work/body" -w '%{http_code}' -b "$work/jar" "$B/api/v1/inbox")
expect_eq "inbox over TLS" "$code" 200
expect_match "the inbox has the demo traffic" "$(cat "$work/body")" '"items":\[\{'

# what the server agrees to
expect_eq "TLS 1.3" "$(handshake -tls1_3)" TLSv1.3
expect_eq "TLS 1.2 with ECDHE and AES-GCM" "$(handshake -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256)" TLSv1.2
expect_eq "TLS 1.2 with CBC refused" "$(handshake -tls1_2 -cipher ECDHE-ECDSA-AES128-SHA)" NONE
expect_eq "TLS 1.1 refused" "$(handshake -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0')" NONE
expect_eq "TLS 1.0 refused" "$(handshake -tls1 -cipher 'DEFAULT:@SECLEVEL=0')" NONE
stop

# an RSA certificate: ECDHE-RSA, and no key exchange by the RSA key itself
start "$work/rsa.pem" "$work/rsa.key"
expect_eq "RSA certificate: healthz" "$(curl -s --cacert "$work/rsa.pem" "https://127.0.0.1:$port/healthz")" \
	'{"status":"ok"}'
expect_eq "RSA certificate: ECDHE-RSA" "$(handshake -tls1_2 -cipher ECDHE-RSA-AES256-GCM-SHA384)" TLSv1.2
expect_eq "RSA certificate: static RSA refused" "$(handshake -tls1_2 -cipher AES256-GCM-SHA384)" NONE
stop

out=$("$ATTACHE" audit verify 2>&1)
expect_match "audit verify after it all" "$out" '^audit log intact'

finish
