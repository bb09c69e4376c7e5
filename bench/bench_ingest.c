/* Benchmark: ingest of messages with 5 entities each through the service path
 * (validate, safeguards, matching, encrypt, store, audit) with group commit
 * and synchronous=FULL on one thread, with 100k messages already held;
 * beside raw SQLite inserts of the same rows and libsodium's seal and
 * sign/verify rates in the same run.
 *
 *   bench_ingest [--dir D] [--held N] [--measure M] [--batch B] [--protected P] [--keep]
 *                (last: the cost of putting a person on the register with all
 *                 that traffic held: each delivered message naming them is
 *                 found and held again)
 *   bench_ingest --text-worst [--protected P]   (the protected-persons check of
 *                the text on crafted 255 KiB bodies; P 200 unless given)
 *                (--keep: leave D/bench-ingest.db and its node files for a look;
 *                 --protected: P names in the protected-persons register, none
 *                 of them in the traffic, so that every message's text is read
 *                 for them and none is held)
 *   bench_ingest --crash-child DB   (used by tests/integration/crash_ingest.sh:
 *                                    sends batches forever, printing "ack ID"
 *                                    after each commit) */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>
#include <sqlite3.h>

#include "attache/registry.h"
#include "attache/users.h"
#include "attache/exchange.h"
#include "attache/node.h"
#include "match/match_int.h"
#include "util.h"

/* Seconds on clock c: CLOCK_MONOTONIC for wall time; the process's CPU
 * time (ingest runs on this thread alone) beside it tells what the send
 * path waits for (the disk). */
static double clock_s(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds spent inside the service calls (not making the messages). */
static double cpu_spent;

static double now_s(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

static void die(const char *what, const struct att_err *err)
{
	fprintf(stderr, "bench_ingest: %s: %s\n", what, err ? err->msg : "");
	exit(1);
}

static const char *const given[] = {"Elchin", "Rauf", "Leyla", "Tural", "Orkhan", "Nigar",
				    "Kamran", "Farid", "Sevinj", "Aysel", "Ivan", "Sergei",
				    "Olga", "Dmitri", "John", "Michael", "Sarah", "Ali",
				    "Hassan", "Reza", "Mehmet", "Ayse", "Emre", "Zeynep"};
/* Family names are made of a stem and an ending, so that the traffic names
 * many different people, as real traffic does (a few thousand distinct
 * names would make every message hit dozens of others). */
static const char *const stems[] = {"Aliy", "Mammad", "Huseyn", "Gasim", "Jafar", "Karim",
				    "Ismayil", "Abbas", "Guliy", "Novruz", "Rzay", "Safar",
				    "Nasir", "Hasan", "Valiy", "Musay", "Isay", "Babay",
				    "Aghay", "Bagir", "Zeynal", "Rahim", "Salim", "Tahir",
				    "Yusif", "Kazim", "Latif", "Mehdi", "Nadir", "Qadir",
				    "Rasul", "Sabir", "Talib", "Vahid", "Zakir", "Arif",
				    "Elchin", "Farhad", "Ilgar", "Javid", "Kamal", "Mubariz"};
static const char *const endings[] = {"ov", "ova", "li", "zade", "ev", "eva"};

static unsigned long long rng = 88172645463325252ull;
static char last_name[96]; /* the person of the last message made */
static bool no_names; /* --no-names: a document number instead of the person */
static unsigned long long xr(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* A valid GB IBAN with 14 random digits. */
static void make_iban(char out[32])
{
	char digits[15], tmp[64];
	unsigned long long rem = 0;

	for (int i = 0; i < 14; i++)
		digits[i] = (char)('0' + xr() % 10);
	digits[14] = '\0';
	/* BBAN WEST + digits, then GB00 moved to the end, letters as numbers */
	snprintf(tmp, sizeof(tmp), "%d%d%d%d%s%d%d00", 'W' - 55, 'E' - 55, 'S' - 55, 'T' - 55,
		 digits, 'G' - 55, 'B' - 55);
	for (const char *p = tmp; *p; p++)
		rem = (rem * 10 + (unsigned long long)(*p - '0')) % 97;
	snprintf(out, 32, "GB%02lluWEST%s", 98 - rem, digits);
}

/* The traffic goes to NCASES cases (the post's caseload), one chosen at
 * random per message: a hit against another case is recorded, one within
 * the same case is not (its own thread), as in real work. */
#define NCASES 100
static int64_t cases[NCASES];
static size_t hits_recorded;

/* One realistic message with 5 entities. */
static char *make_message(size_t i)
{
	char iban[32], phone[32], email[64], domain[64];
	json_t *m;
	char *text;

	make_iban(iban);
	snprintf(phone, sizeof(phone), "+99450%07llu", xr() % 10000000ull);
	snprintf(email, sizeof(email), "user%llu@mail%llu.az", xr() % 100000, xr() % 1000);
	snprintf(domain, sizeof(domain), "shop%llu.com.az", xr() % 1000000);
	m = json_pack("{s:I,s:s,s:[s],s:s,s:s,s:s,s:i,s:s,s:s,s:s,s:s,s:[{s:s,s:s,s:s},{s:s,s:s},"
		      "{s:s,s:s},{s:s,s:s},{s:s,s:s}]}",
		      "case", (json_int_t)cases[xr() % NCASES], "type", "information", "to", "hq/organized-crime",
		      "field", "organized-crime", "handling", "H0", "source", "B", "information",
		      2, "priority", "routine", "purpose", "Report transfers linked to the case",
		      "subject", "Transfers reported by a bank", "body",
		      "The bank reports transfers from the account below to two companies; the "
		      "holder and his contacts are named.",
		      "entities", "type", "person", "name",
		      given[xr() % (sizeof(given) / sizeof(given[0]))], "dob", "1975", "type",
		      "iban", "value", iban, "type", "phone", "value", phone, "type", "email",
		      "value", email, "type", "domain", "value", domain);
	/* the person's full name */
	{
		json_t *p = json_array_get(json_object_get(m, "entities"), 0);
		char name[96];

		(void)i;
		snprintf(name, sizeof(name), "%s %s%s %s%s",
			 given[xr() % (sizeof(given) / sizeof(given[0]))],
			 stems[xr() % (sizeof(stems) / sizeof(stems[0]))],
			 endings[xr() % (sizeof(endings) / sizeof(endings[0]))],
			 stems[xr() % (sizeof(stems) / sizeof(stems[0]))],
			 endings[xr() % (sizeof(endings) / sizeof(endings[0]))]);
		json_object_set_new(p, "name", json_string(name));
		memcpy(last_name, name, sizeof(name));
	}
	if (no_names) {
		char doc[32];

		snprintf(doc, sizeof(doc), "C%08llu", xr() % 100000000ull);
		json_array_set_new(json_object_get(m, "entities"), 0,
				   json_pack("{s:s,s:s}", "type", "document", "value", doc));
	}
	text = json_dumps(m, JSON_COMPACT);
	json_decref(m);
	return text;
}

/* Sends n messages in batches; returns the seconds spent in the service call
 * (the client's making of each message text is not timed) and per-batch
 * durations in lat[]. */
static double ingest(struct att_node *node, size_t n, size_t batch,
		   double *lat, size_t *nlat, FILE *acks)
{
	const char **actors = calloc(batch, sizeof(*actors));
	char **texts = calloc(batch, sizeof(*texts));
	size_t *lens = calloc(batch, sizeof(*lens));
	struct att_send_result *res = calloc(batch, sizeof(*res));
	enum att_rc *rcs = calloc(batch, sizeof(*rcs));
	struct att_err *errs = calloc(batch, sizeof(*errs));
	struct att_err err = {0};
	double spent = 0;

	if (!actors || !texts || !lens || !res || !rcs || !errs)
		die("out of memory", NULL);
	for (size_t done = 0; done < n;) {
		size_t k = n - done < batch ? n - done : batch;
		double t0, c0;

		for (size_t i = 0; i < k; i++) {
			actors[i] = "rep-mammadova";
			texts[i] = make_message(done + i);
			lens[i] = strlen(texts[i]);
		}
		c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
		t0 = now_s();
		if (att_msg_send_many(node, actors, (const char *const *)texts, lens, k, res, rcs,
				      errs, &err))
			die("send_many", &err);
		t0 = now_s() - t0;
		cpu_spent += clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
		spent += t0;
		if (lat)
			lat[(*nlat)++] = t0;
		for (size_t i = 0; i < k; i++) {
			if (rcs[i])
				die("a message was refused", &errs[i]);
			hits_recorded += res[i].hits;
			if (acks)
				fprintf(acks, "ack %lld\n", (long long)res[i].id);
			att_send_result_release(&res[i]);
			free(texts[i]);
		}
		if (acks)
			fflush(acks);
		done += k;
	}
	free(actors);
	free(texts);
	free(lens);
	free(res);
	free(rcs);
	free(errs);
	return spent;
}

/* A node with what ingest needs: a post, a representative appointed to it,
 * the organized-crime desk, and a case (no passwords: no Argon2 work). */
static void setup_node(const char *path)
{
	struct att_user_spec users[] = {
		{"head", "Head", "head", NULL, NULL},          {"mfa", "MFA", "mfa", NULL, NULL},
		{"president", "President", "president", NULL, NULL},
		{"desk-oc", "Desk", "desk", "hq/organized-crime", NULL},
		{"rep-mammadova", "Leyla Mammadova", "rep", NULL, NULL},
		{"over", "Oversight", "overseer", NULL, NULL},
	};
	struct att_post_spec post = {"gb-london", "state", "GB", "London", NULL,
				     "terrorism,organized-crime", 2};
	struct att_appt_spec appt = {"rep-mammadova", "gb-london", "organized-crime", NULL, NULL,
				     NULL};
	struct att_node *node = NULL;
	struct att_err err = {0};
	int64_t id = 0;

	if (att_node_init(path, 5, &err) || att_node_open(path, &node, &err))
		die("init", &err);
	for (size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++)
		if (att_user_add(node, NULL, &users[i], &err))
			die("user", &err);
	if (att_post_add(node, "head", &post, &err) ||
	    att_appt_propose(node, "head", &appt, &id, &err) ||
	    att_appt_agree(node, "mfa", id, NULL, &err) ||
	    att_appt_agree(node, "president", id, NULL, &err) || att_appt_make(node, "head", id, &err))
		die("registry", &err);
	att_node_close(node);
}

static void open_cases(struct att_node *node)
{
	struct att_case_spec spec = {"organized-crime", "Bulk reports from banks",
				     "Cross-match bank reports", "Law on the SSS, art. 12", NULL,
				     NULL};
	struct att_err err = {0};

	for (size_t i = 0; i < NCASES; i++)
		if (att_case_open(node, "rep-mammadova", &spec, &cases[i], &err))
			die("case", &err);
}

/* The register's family names: none of them in the traffic. */
static const char *const fam[] = {"Hajili",   "Qurbanli", "Mirzali",  "Bakhishli",
				  "Shirinli", "Dadashli", "Pashayli", "Tagizade"};

/* P register entries: the traffic's given names with those family names
 * (192 different names, then again). */
static void protect(struct att_node *node, size_t p)
{
	size_t ng = sizeof(given) / sizeof(given[0]), nf = sizeof(fam) / sizeof(fam[0]);
	struct att_err err = {0};

	for (size_t i = 0; i < p; i++) {
		char name[96];
		struct att_protect_spec spec = {name, NULL, "journalist", NULL};
		int64_t id;

		snprintf(name, sizeof(name), "%s %s", given[i % ng], fam[i / ng % nf]);
		if (att_protect_add(node, "over", &spec, &id, NULL, &err))
			die("protect", &err);
	}
}

/* A person put on the register with everything already held: the whole
 * use case (the register, then every delivered message naming them found,
 * confirmed and held again), beside its part without the search (a name
 * the holdings do not have). */
static void register_late(struct att_node *node, size_t held)
{
	struct att_protect_spec in = {last_name, NULL, "journalist", NULL};
	struct att_protect_spec out = {"Xoshqadam Zulfuqarzade", NULL, "journalist", NULL};
	struct att_protect_spec warm = {"Vagif Bakhishli", NULL, "journalist", NULL};
	/* two of the three names most of the traffic has: a crowd */
	struct att_protect_spec crowd = {"Elchin Aliyov", NULL, "journalist", NULL};
	struct att_protect_result r1, r2, r3;
	struct att_err err = {0};
	double t1, t2, t3;
	int64_t id;

	/* the first register change of the run pays for cold caches: not timed */
	if (att_protect_add(node, "over", &warm, &id, &r2, &err))
		die("protect", &err);
	att_protect_result_release(&r2);
	t2 = now_s();
	if (att_protect_add(node, "over", &out, &id, &r2, &err))
		die("protect", &err);
	t2 = now_s() - t2;
	t1 = now_s();
	if (att_protect_add(node, "over", &in, &id, &r1, &err))
		die("protect", &err);
	t1 = now_s() - t1;
	t3 = now_s();
	if (att_protect_add(node, "over", &crowd, &id, &r3, &err))
		die("protect", &err);
	t3 = now_s() - t3;
	printf("a person registered after the fact, %zu+ messages held:\n", held);
	printf("  named in the traffic  %7.1f ms  (%zu delivered message(s) held again, %zu "
	       "flagged)\n",
	       1000 * t1, r1.nheld, r1.nflagged);
	printf("  named nowhere         %7.1f ms  (%zu held: the register and the search alone)\n",
	       1000 * t2, r2.nheld);
	printf("  a crowd's name        %7.1f ms  (%zu delivered message(s) held again)\n",
	       1000 * t3, r3.nheld);
	att_protect_result_release(&r1);
	att_protect_result_release(&r2);
	att_protect_result_release(&r3);
	/* then the text of everything sent before: for the four together (the
	 * jobs protect add leaves, at one place: one walk), then for a fifth
	 * person alone (in steps, each committed) */
	for (int round = 0; round < 2; round++) {
		struct att_protect_spec fifth = {"Gulnara Mehdiyeva", NULL, "journalist", NULL};
		struct att_protect_result r4 = {NULL, 0, NULL, 0};
		double c0, t4;

		if (round && att_protect_add(node, "over", &fifth, &id, NULL, &err))
			die("protect", &err);
		c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
		t4 = now_s();
		if (att_protect_rescan(node, "over", 0, NULL, NULL, &r4, NULL, &err))
			die("rescan", &err);
		t4 = now_s() - t4;
		c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
		printf("  then the text sent before, read for %s: %.2f s (%.0f messages/s, %.0f us "
		       "of CPU a message; %zu held again)\n",
		       round ? "a fifth person alone" : "the 4 together", t4, (double)held / t4,
		       1e6 * c0 / (double)held, r4.nheld);
		att_protect_result_release(&r4);
	}
}

/* A body of about ATT_MSG_BODY_MAX - 1024 bytes made of piece(i, buf)
 * for i = 0, 1, ... */
static char *crafted(void (*piece)(size_t i, char *out, size_t n))
{
	size_t cap = ATT_MSG_BODY_MAX - 1024, len = 0;
	char *b = malloc(cap + 1), one[128];

	if (!b)
		die("out of memory", NULL);
	for (size_t i = 0;; i++) {
		size_t n;

		piece(i, one, sizeof(one));
		n = strlen(one);
		if (len + n > cap)
			break;
		memcpy(b + len, one, n);
		len += n;
	}
	b[len] = '\0';
	return b;
}

#define NGIVEN (sizeof(given) / sizeof(given[0]))
#define NFAM (sizeof(fam) / sizeof(fam[0]))

static void ordinary(size_t i, char *o, size_t n)
{
	snprintf(o, n, "%s ", i % 2 ? "The bank reports transfers from the account below."
				   : "Two companies received them on the same day.");
}

static void quads(size_t i, char *o, size_t n) /* Ali-Olga-Ivan-Emre ... */
{
	snprintf(o, n, "%s-%s-%s-%s ", given[i % NGIVEN], given[(i * 7 + 3) % NGIVEN],
		 given[(i * 11 + 5) % NGIVEN], given[(i * 13 + 1) % NGIVEN]);
}

static void glued(size_t i, char *o, size_t n) /* ELCHINHAJILI ... */
{
	char w[96];

	snprintf(w, sizeof(w), "%s%s", given[i % NGIVEN], fam[i / NGIVEN % NFAM]);
	for (char *c = w; *c; c++)
		if (*c >= 'a' && *c <= 'z')
			*c = (char)(*c - 32);
	snprintf(o, n, "%s ", w);
}

static void initials(size_t i, char *o, size_t n) /* A. B. Elchin ... */
{
	snprintf(o, n, "%c. %c. %s ", (int)('A' + i % 26), (int)('A' + i / 26 % 26),
		 given[i % NGIVEN]);
}

static void letters(size_t i, char *o, size_t n) /* one word of 256 KiB */
{
	(void)i;
	snprintf(o, n, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
}

static void cjk(size_t i, char *o, size_t n) /* words of 12 CJK ideographs */
{
	size_t k = 0;

	for (size_t c = 0; c < 12 && k + 4 < n; c++) {
		unsigned cp = 0x4E00 + (unsigned)((i * 12 + c) * 2654435761u % 500u);

		o[k++] = (char)(0xE0 | (cp >> 12));
		o[k++] = (char)(0x80 | ((cp >> 6) & 0x3F));
		o[k++] = (char)(0x80 | (cp & 0x3F));
	}
	o[k++] = ' ';
	o[k] = '\0';
}

/* CPU seconds to send one message with the body b; whether it was held. */
/* Sends one message of the traffic with member key set to v (stolen);
 * returns the CPU seconds of the send. */
static double send_with(struct att_node *node, const char *key, json_t *v, bool *held)
{
	char *m = make_message(0), *t;
	json_t *o = json_loads(m, 0, NULL);
	struct att_send_result res;
	struct att_err err = {0};
	double t0;

	free(m);
	json_object_set_new(o, key, v);
	t = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	t0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	if (att_msg_send(node, "rep-mammadova", t, strlen(t), &res, &err))
		die("send", &err);
	t0 = clock_s(CLOCK_PROCESS_CPUTIME_ID) - t0;
	*held = res.held;
	att_send_result_release(&res);
	free(t);
	return t0;
}

static double send_body(struct att_node *node, const char *b, bool *held)
{
	return send_with(node, "body", json_string(b), held);
}

/* The most addresses a message may hold, each made of register words
 * (given.familyN@mail.az): every run of them a possible name. */
static double send_addresses(struct att_node *node, bool *held)
{
	json_t *ents = json_array();

	for (size_t i = 0; i < ATT_MSG_ENTITIES_MAX; i++) {
		char v[96];

		snprintf(v, sizeof(v), "%s.%s%zu@mail.az", given[i % NGIVEN],
			 fam[(i * 3 + 1) % NFAM], i);
		json_array_append_new(ents, json_pack("{s:s,s:s}", "type", "email", "value", v));
	}
	return send_with(node, "entities", ents, held);
}

/* The protected-persons check of the text on bodies of the largest size
 * made to cost it most, each sent with the register empty and then with P
 * names (the check's worst case; it runs inside the write transaction). */
static void text_worst(struct att_node *node, size_t p)
{
	static const struct {
		const char *what;
		void (*piece)(size_t, char *, size_t);
	} kinds[] = {{"ordinary sentences", ordinary},
		     {"given names hyphenated in fours", quads},
		     {"given and family names glued, upper case", glued},
		     {"two initials and a given name", initials},
		     {"one run of letters", letters},
		     {"words of 12 CJK ideographs", cjk}};
	double empty[sizeof(kinds) / sizeof(kinds[0])], empty_addr, s;
	bool held;

	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		char *b = crafted(kinds[k].piece);

		empty[k] = send_body(node, b, &held);
		free(b);
	}
	empty_addr = send_addresses(node, &held);
	protect(node, p);
	printf("one message of %u KiB, CPU of the send, register empty | %zu names:\n",
	       (ATT_MSG_BODY_MAX - 1024) / 1024, p);
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		char *b = crafted(kinds[k].piece);

		s = send_body(node, b, &held);
		printf("  %-42s %7.3f s | %7.3f s%s\n", kinds[k].what, empty[k], s,
		       held ? " (held)" : "");
		free(b);
	}
	s = send_addresses(node, &held);
	printf("  %-42s %7.3f s | %7.3f s%s\n", "200 e-mail addresses of register words",
	       empty_addr, s, held ? " (held)" : "");
	/* a person registered after them: the text of those messages read
	 * again, step by step (each step one transaction, the write lock held
	 * through it) */
	{
		struct att_protect_spec late = {"Vagif Bakhishli", NULL, "journalist", NULL};
		struct att_rescan_state st;
		struct att_err err = {0};
		double longest = 0, total = now_s();
		size_t steps = 0;
		int64_t id;

		if (att_protect_add(node, "over", &late, &id, NULL, &err))
			die("protect", &err);
		do {
			double t = now_s();

			if (att_protect_rescan_step(node, "over", 0, 0, &st, NULL, &err))
				die("rescan", &err);
			t = now_s() - t;
			longest = t > longest ? t : longest;
			steps += st.reg != 0;
		} while (st.reg);
		printf("a person registered after them: their text read again in %.2f s, %zu "
		       "steps, the longest (the write lock held) %.3f s\n",
		       now_s() - total, steps, longest);
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The same rows as a message costs (message, recipient, 5 entities, audit
 * entry), inserted raw with the same batch size and durability. */
static double raw_rate(const char *dir, size_t n, size_t batch)
{
	char path[4096], blob[600];
	sqlite3 *db;
	sqlite3_stmt *m, *r, *e, *a;
	double t0;

	snprintf(path, sizeof(path), "%s/bench-ingest-raw.db", dir);
	unlink(path);
	if (sqlite3_open(path, &db))
		die("raw open", NULL);
	sqlite3_exec(db,
		     "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
		     "CREATE TABLE m(id INTEGER PRIMARY KEY, case_id INT, type TEXT, sender TEXT,"
		     " unit TEXT, field TEXT, h TEXT, created INT, content BLOB);"
		     "CREATE TABLE r(msg INT, unit TEXT, state TEXT, PRIMARY KEY(msg,unit)) WITHOUT ROWID;"
		     "CREATE TABLE e(id INTEGER PRIMARY KEY, msg INT, type TEXT, value BLOB);"
		     "CREATE INDEX e_msg ON e(msg);"
		     "CREATE TABLE a(idx INTEGER PRIMARY KEY, data BLOB, leaf BLOB, nodes BLOB);",
		     NULL, NULL, NULL);
	sqlite3_prepare_v2(db, "INSERT INTO m VALUES(NULL,1,'information','rep','post/x','oc','H0',?,?)",
			   -1, &m, NULL);
	sqlite3_prepare_v2(db, "INSERT INTO r VALUES(?,'hq/organized-crime','delivered')", -1, &r,
			   NULL);
	sqlite3_prepare_v2(db, "INSERT INTO e VALUES(NULL,?,'person',?)", -1, &e, NULL);
	sqlite3_prepare_v2(db, "INSERT INTO a VALUES(NULL,?,?,?)", -1, &a, NULL);
	randombytes_buf(blob, sizeof(blob));
	t0 = now_s();
	for (size_t done = 0; done < n; done += batch) {
		sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
		for (size_t i = 0; i < batch; i++) {
			sqlite3_int64 id;

			sqlite3_bind_int64(m, 1, (sqlite3_int64)time(NULL));
			sqlite3_bind_blob(m, 2, blob, 400, SQLITE_STATIC);
			sqlite3_step(m);
			sqlite3_reset(m);
			id = sqlite3_last_insert_rowid(db);
			sqlite3_bind_int64(r, 1, id);
			sqlite3_step(r);
			sqlite3_reset(r);
			for (int k = 0; k < 5; k++) {
				sqlite3_bind_int64(e, 1, id);
				sqlite3_bind_blob(e, 2, blob, 100, SQLITE_STATIC);
				sqlite3_step(e);
				sqlite3_reset(e);
			}
			sqlite3_bind_blob(a, 1, blob, 200, SQLITE_STATIC);
			sqlite3_bind_blob(a, 2, blob, 32, SQLITE_STATIC);
			sqlite3_bind_blob(a, 3, blob, 32, SQLITE_STATIC);
			sqlite3_step(a);
			sqlite3_reset(a);
		}
		if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL))
			die("raw commit", NULL);
	}
	t0 = now_s() - t0;
	sqlite3_finalize(m);
	sqlite3_finalize(r);
	sqlite3_finalize(e);
	sqlite3_finalize(a);
	sqlite3_close(db);
	unlink(path);
	return (double)n / t0;
}

/* Which stage-1 walk the name queries since the last reset took (this
 * thread's: the holdings' and the protected register's); resets. */
static void print_walks(const char *what)
{
	struct att_walk_stats w;
	double n;

	att_match_walk_stats(&w, true);
	n = (double)(w.byte + w.wide + w.general);
	if (n > 0)
		printf("%s name queries: %.0f, walks %.1f %% one byte, %.1f %% two bytes, "
		       "%.1f %% general\n",
		       what, n, 100.0 * (double)w.byte / n, 100.0 * (double)w.wide / n,
		       100.0 * (double)w.general / n);
}

static void crypto_rates(void)
{
	unsigned char key[32], nonce[24], msg[400], ct[400 + 16], pk[32], sk[64], sig[64];
	unsigned long long clen;
	const int n = 200000, ns = 20000;
	double t0, seal, sign, verify;

	if (sodium_init() < 0)
		die("sodium", NULL);
	randombytes_buf(key, sizeof(key));
	randombytes_buf(nonce, sizeof(nonce));
	randombytes_buf(msg, sizeof(msg));
	t0 = now_s();
	for (int i = 0; i < n; i++)
		crypto_aead_xchacha20poly1305_ietf_encrypt(ct, &clen, msg, sizeof(msg), NULL, 0, NULL,
							   nonce, key);
	seal = n / (now_s() - t0);
	crypto_sign_keypair(pk, sk);
	t0 = now_s();
	for (int i = 0; i < ns; i++)
		crypto_sign_detached(sig, NULL, msg, 62, sk);
	sign = ns / (now_s() - t0);
	t0 = now_s();
	for (int i = 0; i < ns; i++)
		if (crypto_sign_verify_detached(sig, msg, 62, pk))
			die("verify", NULL);
	verify = ns / (now_s() - t0);
	printf("libsodium: seal (XChaCha20-Poly1305, 400 B) %.0f/s, Ed25519 sign %.0f/s, "
	       "verify %.0f/s\n",
	       seal, sign, verify);
}

static void rm_node(const char *path)
{
	char p[4200];

	unlink(path);
	snprintf(p, sizeof(p), "%s.key", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
}

int main(int argc, char **argv)
{
	const char *dir = "/tmp";
	bool keep = false;
	size_t held = 100000, measure = 20000, batch = 64, nlat = 0, protected = 0;
	bool text_only = false;
	struct att_node *node = NULL;
	struct att_err err = {0};
	char path[4096];
	double secs, cpu, *lat;
	struct att_walk_stats walks;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--crash-child") && i + 1 < argc) {
			/* Open (or create) the node and send until killed. */
			const char *db = argv[++i];

			if (access(db, F_OK) != 0)
				setup_node(db);
			if (att_node_open(db, &node, &err))
				die("open", &err);
			open_cases(node);
			rng ^= (unsigned long long)getpid() << 20;
			for (;;)
				ingest(node, 10, 10, NULL, NULL, stdout);
		} else if (!strcmp(argv[i], "--keep")) {
			keep = true;
		} else if (!strcmp(argv[i], "--no-names")) {
			no_names = true;
		} else if (!strcmp(argv[i], "--dir") && i + 1 < argc) {
			dir = argv[++i];
		} else if (!strcmp(argv[i], "--held") && i + 1 < argc) {
			held = (size_t)strtoull(argv[++i], NULL, 10);
		} else if (!strcmp(argv[i], "--measure") && i + 1 < argc) {
			measure = (size_t)strtoull(argv[++i], NULL, 10);
		} else if (!strcmp(argv[i], "--text-worst")) {
			text_only = true;
		} else if (!strcmp(argv[i], "--protected") && i + 1 < argc) {
			protected = (size_t)strtoull(argv[++i], NULL, 10);
		} else if (!strcmp(argv[i], "--batch") && i + 1 < argc) {
			batch = (size_t)strtoull(argv[++i], NULL, 10);
		} else {
			fprintf(stderr, "usage: bench_ingest [--dir D] [--held N] [--measure M] "
					"[--batch B] [--protected P] [--keep]\n"
					"       bench_ingest --text-worst [--protected P]\n");
			return 2;
		}
	}
	if (!batch)
		batch = 1;
	snprintf(path, sizeof(path), "%s/bench-ingest.db", dir);
	rm_node(path);
	setup_node(path);
	if (att_node_open(path, &node, &err))
		die("open", &err);
	open_cases(node);
	if (text_only) {
		text_worst(node, protected ? protected : 200);
		att_node_close(node);
		rm_node(path);
		return 0;
	}
	protect(node, protected);
	att_match_walk_stats(&walks, true);
	secs = ingest(node, held, 500, NULL, NULL, NULL);
	printf("preload: %zu messages (5 entities each) in %.1f s (%.0f msg/s, batches of 500)\n",
	       held, secs, (double)held / secs);
	print_walks("preload");
	lat = calloc(measure / batch + 2, sizeof(*lat));
	if (!lat)
		die("out of memory", NULL);
	hits_recorded = 0;
	cpu_spent = 0;
	secs = ingest(node, measure, batch, lat, &nlat, NULL);
	cpu = cpu_spent;
	qsort(lat, nlat, sizeof(*lat), cmp_double);
	printf("ingest through the service path, 1 thread, group commit of %zu, synchronous=FULL, "
	       "%zu already held, %zu protected persons:\n",
	       batch, held, protected);
	printf("  attache   %8.0f msg/s   latency p50 %.1f ms  p99 %.1f ms (submit to durable "
	       "commit)\n",
	       (double)measure / secs, 1000 * lat[nlat / 2], 1000 * lat[nlat * 99 / 100]);
	printf("                per message: %.0f us of CPU, %.0f us waiting (the commits' "
	       "fsync)\n",
	       1e6 * cpu / (double)measure, 1e6 * (secs - cpu) / (double)measure);
	printf("                hits recorded: %.2f per message (%zu cases)\n",
	       (double)hits_recorded / (double)measure, (size_t)NCASES);
	print_walks("               ");
	printf("  raw SQLite %7.0f msg/s   (the same 8 rows per message, same batch and "
	       "durability)\n",
	       raw_rate(dir, measure, batch));
	crypto_rates();
	register_late(node, held + measure);
	printf("target: >= 5000 msg/s with 100k held\n");
	att_node_close(node);
	if (!keep)
		rm_node(path);
	free(lat);
	return 0;
}
