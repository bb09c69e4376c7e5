#!/usr/bin/env bash
# cmake --install lays out the binary, man page, headers, library and a
# pkg-config file with which a program builds against libattache.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
P=$T_DIR/prefix
if cmake --install "${ATT_BUILDDIR:?}" --prefix "$P" >"$T_DIR/install.log" 2>&1; then ok "cmake --install"; else not_ok "install: $(tail -3 "$T_DIR/install.log")"; finish; fi
for f in bin/attache share/man/man1/attache.1 include/attache/registry.h lib/libattache.a lib/pkgconfig/attache.pc; do
	[ -e "$P/$f" ] && ok "installed $f" || not_ok "missing $f"
done
cat >"$T_DIR/use.c" <<'C'
#include <stdio.h>
#include <attache/node.h>
#include <attache/registry.h>
int main(int argc, char **argv)
{
	struct att_err err = {0};
	if (argc < 2 || att_node_init(argv[1], 3, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	puts("ok");
	return 0;
}
C
flags=$(PKG_CONFIG_PATH="$P/lib/pkgconfig" pkg-config --cflags --libs attache)
# A sanitizer build's library needs the sanitizer runtime in the program too.
if grep -q '^ATT_SANITIZE:BOOL=ON' "$ATT_BUILDDIR/CMakeCache.txt" 2>/dev/null; then
	flags="$flags -fsanitize=address,undefined"
fi
if cc -o "$T_DIR/use" "$T_DIR/use.c" $flags 2>"$T_DIR/cc.log"; then ok "a program builds with pkg-config attache"; else not_ok "cc: $(head -5 "$T_DIR/cc.log")"; fi
[ -x "$T_DIR/use" ] && expect_eq "and runs" "$("$T_DIR/use" "$T_DIR/n.db")" "ok"
run --db "$T_DIR/n.db" audit verify
expect_eq "its node verifies with the installed command" "$RC" "0"
finish
