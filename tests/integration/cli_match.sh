#!/usr/bin/env bash
# The cross-matching CLI: identifiers, name pairs, watchlist import (all three
# formats, malformed input refused with nothing half-imported, versions),
# screening single and batch.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
FX=${ATT_SRCDIR:?}/tests/fixtures
A() { run "$@"; }
jq_() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# identifiers
A id iban "GB82 WEST 1234 5698 7654 32"; expect_eq "IBAN canonical" "$OUT" "GB82WEST12345698765432"
expect_refused_nodb() { # what needle args (no database involved)
	local what=$1 needle=$2; shift 2
	run "$@"
	if [ "$RC" -eq 1 ] && [[ "$ERR" == *"$needle"* ]]; then ok "$what"; else not_ok "$what (exit $RC: $ERR)"; fi
}
expect_refused_nodb "IBAN with a bad check" "" id iban GB00WEST12345698765432
A id phone "+994 50 123 45 67"; expect_eq "phone E.164" "$OUT" "+994501234567"
A id email "Ali@Bücher.Example"; expect_eq "email with IDNA domain" "$OUT" "ali@xn--bcher-kva.example"
A id domain "www.bbc.co.uk"; expect_eq "registrable domain" "$OUT" "bbc.co.uk"
A id url "https://mail.example.co.uk/path?q=1"; expect_eq "URL to domain" "$OUT" "example.co.uk"
A id cidr "192.0.2.77/24"; expect_eq "CIDR host bits cleared" "$OUT" "192.0.2.0/24"
A id eth "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"; expect_eq "EIP-55 wallet" "$OUT" "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
expect_refused_nodb "EIP-55 checksum mismatch" "" id eth 0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed
A id btc "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"; expect_eq "bitcoin base58check" "$OUT" "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"
A id document "c-091 2345"; expect_eq "document number" "$OUT" "C0912345"
expect_usage "unknown identifier type" id horoscope leo

# names
A match pair "Əliyev Elçin" "Алиев Эльчин" --json
expect_eq "Azerbaijani Latin vs Russian Cyrillic match" "$(echo "$OUT" | jq_ 'd["match"]')" "True"
A match pair "Ilham Aliyev" "Ilqar Aliyev" --json
expect_eq "different given names do not" "$(echo "$OUT" | jq_ 'd["match"]')" "False"
A match pair "George Bush" "George Habash" --json
expect_eq "Bush is not Habash" "$(echo "$OUT" | jq_ 'd["match"]')" "False"
printf 'Məmmədov Rəşad\tMamedov Rashad\nCəfərov Orxan\tДжафаров Орхан\nJohn Smith\tJuan Perez\n' >"$T_DIR/pairs.tsv"
A match pairs "$T_DIR/pairs.tsv"
expect_eq "pairs: TSV out, one line per pair" "$(echo "$OUT" | cut -f2 | tr '\n' ' ')" "1 1 0 "
printf 'no tab here\n' >"$T_DIR/bad.tsv"
expect_usage "pairs: a line without a tab" match pairs "$T_DIR/bad.tsv"

# watchlists
expect_ok "init" init
expect_ok "UN XML import" watchlist import un "$FX/un_small.xml" --format un-xml
expect_ok "OFAC CSV import (alt file found beside it)" watchlist import ofac "$FX/ofac_sdn_small.csv" --format ofac-csv
expect_ok "generic CSV import" watchlist import local "$FX/list.csv" --format csv
A watchlist list --json
expect_eq "three lists, version 1, entry counts" "$(echo "$OUT" | jq_ '[(l["name"], l["version"], l["entries"]) for l in d]')" "[('local', 1, 2), ('ofac', 1, 2), ('un', 1, 3)]"
expect_refused "malformed XML refused" "" watchlist import un "$FX/un_broken.xml" --format un-xml
expect_refused "XML with a DOCTYPE refused" "" watchlist import un "$FX/un_entity.xml" --format un-xml
expect_refused "malformed CSV refused" "" watchlist import ofac "$FX/ofac_broken.csv" --format ofac-csv
expect_refused "unknown format" "format must be" watchlist import x "$FX/list.csv" --format pdf
A watchlist list --json
expect_eq "nothing half-imported: still version 1" "$(echo "$OUT" | jq_ '[(l["name"], l["version"]) for l in d]')" "[('local', 1), ('ofac', 1), ('un', 1)]"
expect_ok "re-import replaces the list atomically" watchlist import un "$FX/un_small.xml" --format un-xml
A watchlist list --json
expect_eq "version 2 with the same entries" "$(echo "$OUT" | jq_ '[(l["version"], l["entries"]) for l in d if l["name"]=="un"]')" "[(2, 3)]"

# screening
A screen "Rustam Guliyev" --json
expect_eq "screen finds the UN entry" "$(echo "$OUT" | jq_ 'd["hits"][0]["list"], d["hits"][0]["entry"]')" "un 900001"
A screen "Гулиев Рустам" --json --dob 1979-04-12
expect_eq "across scripts and order, with date of birth" "$(echo "$OUT" | jq_ 'd["hits"][0]["entry"]')" "900001"
A screen "Tahir Qurbanov" --list ofac --json
expect_eq "OFAC alias joined from alt.csv" "$(echo "$OUT" | jq_ 'd["hits"][0]["entry"]')" "9001"
A screen "Tahir Qurbanov" --list un --json
expect_eq "--list restricts to one list" "$(echo "$OUT" | jq_ 'len(d["hits"])')" "0"
A screen "Рустам Гулиев" --json
expect_eq "every hit carries its explanation" "$(echo "$OUT" | jq_ 'all("explanation" in h for h in d["hits"])')" "True"
printf 'Ruslan Magomedov\nNobody Atall Xyzzy\n\nNorthwind Shipping Co\n' >"$T_DIR/batch.txt"
A screen --batch "$T_DIR/batch.txt" --json
expect_eq "batch: one JSON line per query" "$(echo "$OUT" | wc -l)" "3"
expect_eq "batch: hits per line" "$(echo "$OUT" | python3 -c 'import json,sys; print([len(json.loads(l)["hits"])>0 for l in sys.stdin])')" "[True, False, True]"

# the real lists, when the shared test data is there
TD=${ATT_TESTDATA:-}
if [ -n "$TD" ] && [ -f "$TD/un_consolidated.xml" ]; then
	expect_ok "the real UN consolidated list imports" watchlist import un-sc "$TD/un_consolidated.xml" --format un-xml
	expect_ok "the real OFAC SDN list imports with its aliases" watchlist import ofac-sdn "$TD/ofac_sdn_2019.csv" --format ofac-csv
	A watchlist list --json
	expect_eq "real list sizes" "$(echo "$OUT" | jq_ '[(l["name"], l["entries"]) for l in d if l["name"] in ("un-sc","ofac-sdn")]')" "[('ofac-sdn', 7379), ('un-sc', 1003)]"
	A screen "BANCO NACIONAL DE CUBA" --list ofac-sdn --json
	expect_eq "a known OFAC entry" "$(echo "$OUT" | jq_ 'd["hits"][0]["entry"]')" "306"
fi
expect_ok "audit verify" audit verify
finish
