#!/usr/bin/env bash
# End to end through the attache binary: the registry of posts and the
# appointment procedure, every refusal with nothing written, malformed input.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

A() { run "$@"; }

expect_ok "init" init --staffing 3
expect_refused "init refuses an existing node" "exists already" init
expect_ok "version" --version
expect_ok "help" help
expect_ok "help appoint" appoint --help
expect_usage "unknown command" frobnicate
expect_usage "unknown option" post list --bogus

# users of every role
expect_ok "user head" user add head1 --name "Head of the Service" --role head
expect_ok "user head2" user add head2 --name "Deputy head" --role head
expect_ok "user mfa" user add mfa1 --name "MFA" --role mfa
expect_ok "user president" user add pres1 --name "President's office" --role president
expect_ok "user desk" user add desk1 --name "CT desk" --role desk --unit hq/terrorism
for r in rep1 rep2 rep3 rep4; do expect_ok "user $r" user add $r --name "Representative $r" --role rep; done
expect_ok "user overseer" user add over1 --name "Oversight" --role overseer
expect_ok "user with password" user add admin1 --name "Admin" --role admin --password-stdin <<<"correct horse battery"
expect_refused "user exists" "exists already" user add rep1 --name X --role rep
expect_refused "unknown role" "unknown role" user add x1 --name X --role king
expect_refused "desk needs a field unit" "hq/<field>" user add x2 --name X --role desk
expect_refused "bad user id" "not a valid identifier" user add "Robert'); DROP TABLE users;--" --name X --role rep
expect_refused "short password" "at least 8" user add x3 --name X --role rep --password-stdin <<<"short"

# posts
expect_ok "post fr" post add fr-paris --kind state --host FR --city Paris --fields terrorism,organized-crime --staffing 2 --mission "Embassy in France"
expect_ok "post interpol" post add interpol --kind org --host INTERPOL --city Lyon --fields cybercrime,terrorism --staffing 1
expect_ok "post de" post add de-berlin --kind state --host DE --city Berlin --fields cybercrime --staffing 1
expect_refused "post bad country" "ISO 3166-1" post add xx --kind state --host France --city Paris --fields terrorism --staffing 1
expect_refused "post unknown field" "unknown field 'espionage'" post add xx --kind state --host IT --city Rome --fields terrorism,espionage --staffing 1
expect_refused "post repeated field" "given twice" post add xx --kind state --host IT --city Rome --fields terrorism,terrorism --staffing 1
expect_refused "post exists" "exists already" post add fr-paris --kind state --host FR --city Lyon --fields terrorism --staffing 1
expect_refused "post invalid UTF-8 city" "not valid UTF-8" post add xx --kind state --host IT --city $'Rom\xff' --fields terrorism --staffing 1
expect_refused "post oversized mission" "too long" post add xx --kind state --host IT --city Rome --fields terrorism --staffing 1 --mission "$(head -c 5000 /dev/zero | tr '\0' m)"
expect_refused "post control characters" "control character" post add xx --kind state --host IT --city $'Ro\x01me' --fields terrorism --staffing 1
expect_usage "post staffing not a number" post add xx --kind state --host IT --city Rome --fields terrorism --staffing -1
expect_ok "post list" post list
expect_ok "post list json" post list --json
expect_eq "post list json has 3 posts" "$(echo "$OUT" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" 3
A post show interpol --json
expect_eq "post show fields in canonical order" "$(echo "$OUT" | python3 -c 'import json,sys; print(",".join(json.load(sys.stdin)["fields"]))')" "terrorism,cybercrime"

# the full appointment path
A appoint propose --as head1 --person rep1 --post fr-paris --field terrorism --reason "Threats to the embassy"
expect_eq "propose prints the id alone" "$OUT" "1"
expect_refused "wrong order: president before MFA" "awaits the agreement of the Ministry" appoint agree 1 --as pres1
expect_refused "wrong role: desk agrees" "may not appointment.agree" appoint agree 1 --as desk1
expect_refused "self-approval: proposer agrees" "may not agree to or refuse their own proposal" appoint agree 1 --as head1
expect_refused "appointee agrees" "is the appointee and may take no step" appoint agree 1 --as rep1
expect_refused "make before agreement" "needs the agreement" appoint make 1 --as head1
expect_ok "MFA agrees" appoint agree 1 --as mfa1 --reason "Host informed"
expect_refused "MFA agrees twice" "awaits the President" appoint agree 1 --as mfa1
expect_ok "President agrees" appoint agree 1 --as pres1
expect_refused "wrong role: mfa makes" "may not appointment.make" appoint make 1 --as mfa1
expect_ok "head makes" appoint make 1 --as head2
A appoint show 1 --json
expect_eq "appointment 1 status" "$(echo "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["status"], d["active"], [h["step"] for h in d["history"]])')" "appointed True ['propose', 'agree-mfa', 'agree-president', 'make']"
expect_eq "appointment 1 carries person post field" "$(echo "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["id"], d["person"], d["post"], d["field"])')" "1 rep1 fr-paris terrorism"

# refusals at proposal
expect_refused "field not in post" "is not one of post interpol's fields" appoint propose --as head1 --person rep2 --post interpol --field organized-crime
expect_refused "person not a rep" "only a user with role rep" appoint propose --as head1 --person desk1 --post interpol --field terrorism
expect_refused "second active appointment" "at most one active appointment" appoint propose --as head1 --person rep1 --post interpol --field terrorism
expect_refused "wrong role proposes" "may not appointment.propose" appoint propose --as mfa1 --person rep2 --post interpol --field terrorism
expect_refused "unknown post" "no such post" appoint propose --as head1 --person rep2 --post nowhere --field terrorism
expect_refused "unknown field" "unknown field" appoint propose --as head1 --person rep2 --post interpol --field gossip
expect_refused "bad date" "not a valid date" appoint propose --as head1 --person rep2 --post interpol --field terrorism --start 2026-02-30
expect_refused "end before start" "not after the start" appoint propose --as head1 --person rep2 --post interpol --field terrorism --start 2027-01-01 --end 2026-01-01
expect_refused "unknown user acts" "no such user" appoint propose --as ghost --person rep2 --post interpol --field terrorism
expect_refused "SQL in an id" "not a valid identifier" appoint propose --as head1 --person "rep2' OR '1'='1" --post interpol --field terrorism
expect_usage "propose without --as" appoint propose --person rep2 --post interpol --field terrorism
expect_usage "not an appointment number" appoint agree x1 --as mfa1
expect_usage "refuse without reason" appoint refuse 1 --as mfa1

walk() { # person post field -> id made (or refused at make)
	A appoint propose --as head1 --person "$1" --post "$2" --field "$3"
	local id=$OUT
	"$ATTACHE" appoint agree "$id" --as mfa1 >/dev/null
	"$ATTACHE" appoint agree "$id" --as pres1 >/dev/null
	echo "$id"
}

# post limit: fr-paris has 2 places; rep1 holds one
id2=$(walk rep2 fr-paris organized-crime)
expect_ok "second appointment at fr-paris" appoint make "$id2" --as head1
id3=$(walk rep3 fr-paris terrorism)
expect_refused "post limit" "post fr-paris is at its approved staffing number: 2 of 2" appoint make "$id3" --as head1
expect_refused "lowering a post below its count" "it has 2 active appointments" post staffing fr-paris 1 --as head1
expect_ok "raising the post's number" post staffing fr-paris 3 --as head1
expect_ok "third at fr-paris" appoint make "$id3" --as head1
# service limit: the level is 3 and 3 are active
id4=$(walk rep4 de-berlin cybercrime)
expect_refused "service limit" "service-wide approved staffing level is reached: 3 of 3" appoint make "$id4" --as head1
expect_refused "lowering the service level below its count" "there are 3 active appointments" staffing 2 --as head1
expect_refused "staffing set by wrong role" "may not staffing.set" staffing 5 --as mfa1
expect_ok "raise the service level" staffing 4 --as head1
A staffing --json
expect_eq "staffing shows level and use" "$OUT" '{"level":4,"used":3}'
expect_ok "fourth appointment" appoint make "$id4" --as head1

# refusal at each agreement step, and ending
A appoint propose --as head1 --person rep4 --post interpol --field cybercrime
expect_refused "propose for someone appointed" "at most one active appointment" appoint propose --as head1 --person rep4 --post interpol --field cybercrime
expect_ok "end an appointment" appoint end "$id4" --as head1 --reason "Recalled"
expect_refused "end twice" "only an appointment that was made can be ended" appoint end "$id4" --as head1 --reason again
A appoint propose --as head1 --person rep4 --post interpol --field cybercrime
id5=$OUT
expect_ok "MFA refuses" appoint refuse "$id5" --as mfa1 --reason "Not now"
expect_refused "agree after refusal" "is refused" appoint agree "$id5" --as pres1
A appoint propose --as head1 --person rep4 --post interpol --field cybercrime
id6=$OUT
expect_ok "MFA agrees 6" appoint agree "$id6" --as mfa1
expect_ok "President refuses" appoint refuse "$id6" --as pres1 --reason "Not of special importance"
A appoint list --status refused --json
expect_eq "two refused" "$(echo "$OUT" | python3 -c 'import json,sys; print(sorted(a["id"] for a in json.load(sys.stdin)))')" "[$id5, $id6]"
A appoint list --post fr-paris --json
expect_eq "three at fr-paris" "$(echo "$OUT" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" 3
expect_refused "unknown status filter" "unknown status" appoint list --status nonsense

# the audit log
expect_ok "audit verify" audit verify
case "$OUT" in "audit log intact: "*) ok "verify says intact";; *) not_ok "verify output: $OUT";; esac
A audit log --json --as over1
expect_eq "audit log lists appointment steps" "$(echo "$OUT" | python3 -c 'import json,sys; print(sum(1 for e in json.load(sys.stdin) if e["action"]=="appointment.make"))')" 4
expect_refused "audit log by a rep" "may not audit.read" audit log --as rep1
# reads are audited too: who looked at which post, staffing, appointment
expect_ok "a rep reads a post" post show fr-paris --as rep1
expect_ok "the MFA reads the staffing" staffing --as mfa1
A audit log --json --as over1
expect_eq "the post read is in the log" "$(echo "$OUT" | python3 -c 'import json,sys; print(sum(1 for e in json.load(sys.stdin) if e["action"]=="post.read" and e["actor"]=="rep1" and e["object"]=="post/fr-paris"))')" 1
expect_eq "the staffing read is in the log" "$(echo "$OUT" | python3 -c 'import json,sys; print(sum(1 for e in json.load(sys.stdin) if e["action"]=="staffing.read" and e["actor"]=="mfa1"))')" 1

tamper() { # sql: alter the file as an attacker with the file would
	cp "$ATTACHE_DB" "$T_DIR/t.db"; cp "$ATTACHE_DB.key" "$T_DIR/t.db.key"
	sqlite3 "$T_DIR/t.db" "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete; DROP TRIGGER audit_heads_no_update; DROP TRIGGER audit_heads_no_delete; $1"
	run --db "$T_DIR/t.db" audit verify
}
tamper "UPDATE audit_log SET data=CAST(replace(CAST(data AS TEXT),'rep2','rep9') AS BLOB) WHERE idx=(SELECT min(idx) FROM audit_log WHERE CAST(data AS TEXT) LIKE '%rep2%')"
[ "$RC" -eq 1 ] && [[ "$ERR" == *"was altered"* ]] && ok "verify finds an altered leaf: $ERR" || not_ok "altered leaf: $RC $ERR"
tamper "UPDATE audit_log SET nodes=zeroblob(length(nodes)) WHERE idx=15"
[ "$RC" -eq 1 ] && [[ "$ERR" == *"audit entry 15: a stored tree node was altered"* ]] && ok "verify finds an altered node" || not_ok "altered node: $RC $ERR"
tamper "UPDATE audit_heads SET sig=zeroblob(64) WHERE size=(SELECT max(size) FROM audit_heads)"
[ "$RC" -eq 1 ] && [[ "$ERR" == *"signature of the tree head"* ]] && ok "verify finds an altered signed head" || not_ok "altered head: $RC $ERR"
tamper "UPDATE audit_log SET idx=-1 WHERE idx=20; UPDATE audit_log SET idx=20 WHERE idx=21; UPDATE audit_log SET idx=21 WHERE idx=-1"
[ "$RC" -eq 1 ] && [[ "$ERR" == *"audit entry 20 is out of order"* ]] && ok "verify finds reordered entries" || not_ok "reordered: $RC $ERR"
tamper "DELETE FROM audit_log WHERE idx=30"
[ "$RC" -eq 1 ] && [[ "$ERR" == *"audit entry 30 is missing"* ]] && ok "verify finds a removed entry" || not_ok "removed: $RC $ERR"
expect_ok "the real node still verifies" audit verify

# the database file carries no password in clear
if grep -q "correct horse" "$ATTACHE_DB" "$ATTACHE_DB-wal" 2>/dev/null; then not_ok "password in clear"; else ok "password stored hashed"; fi
finish
