#!/usr/bin/env bash
# Installs the Debian 12 packages attache needs, when they are missing.
# usage: scripts/deps.sh [build|test|bench]...   (default: build)
# Runs apt-get only if something is missing; needs root for that (or sudo).
set -euo pipefail

build_pkgs=(gcc make cmake ninja-build pkg-config
	libsqlite3-dev libsodium-dev nettle-dev libjansson-dev libicu-dev icu-devtools libxml2-dev
	libidn2-dev libpsl-dev libmicrohttpd-dev libgnutls28-dev libcmocka-dev)
test_pkgs=(sqlite3 curl openssl python3 clang libclang-rt-14-dev chromium nodejs npm)
bench_pkgs=(wrk nginx-light postgresql hyperfine)

want=()
for group in "${@:-build}"; do
	case "$group" in
	build) want+=("${build_pkgs[@]}") ;;
	test) want+=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
	bench) want+=("${build_pkgs[@]}" "${bench_pkgs[@]}") ;;
	*) echo "deps.sh: unknown group '$group' (build, test, bench)" >&2; exit 2 ;;
	esac
done

missing=()
for p in "${want[@]}"; do
	# node and npm may come from outside Debian on some images; accept the commands.
	case "$p" in
	nodejs) command -v node >/dev/null 2>&1 && continue ;;
	npm) command -v npm >/dev/null 2>&1 && continue ;;
	esac
	if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps.sh: installing ${missing[*]}" >&2
SUDO=
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null 2>&1 || { echo "deps.sh: need root to install: ${missing[*]}" >&2; exit 1; }
	SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
