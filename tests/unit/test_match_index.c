/* Tests of the match index: add/remove/update kept consistent with a brute
 * force scan on random data, token postings kept right through removal and
 * reuse of entries, one hit per ref, explanations, identifier lookups with
 * CIDR containment, concurrent queries. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "attache/match.h"
#include "match/match_int.h"

static const char *const given[] = {"Ilham", "Ilqar", "Rashad", "Rəşad", "Elnur", "Tural",
				    "Mehriban", "Leyla", "Murad", "Anar", "Vugar", "Oleg",
				    "Sergey", "Ivan", "Mohammad", "Hossein", "Ali", "John",
				    "Mark", "Ayşe", "Mustafa", "Kamran"};
static const char *const family[] = {"Aliyev", "Əliyev", "Mammadov", "Mamedov", "Huseynov",
				     "Guseynov", "Qasimov", "Jafarov", "Petrov", "Ivanov",
				     "Hosseini", "Rezaei", "Smith", "Yilmaz", "Kaya", "Safarov",
				     "Alizada", "Babayev", "Orujov", "Najafov"};

static unsigned rnd(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return (*s >> 16) & 0x7fff;
}

#define N 600
struct rec {
	bool live;
	char name[96];
};

static void random_name(unsigned *seed, char *buf, size_t n)
{
	snprintf(buf, n, "%s %s%s%s", given[rnd(seed) % 22], rnd(seed) % 4 ? "" : "Heydar ",
		 family[rnd(seed) % 20], rnd(seed) % 7 ? "" : "a");
}

/* Names that may hold a token twice (or two tokens sharing keys:
 * Mammadov and Mamedov), a particle or an initial (not alone with a
 * surname: "O. Alizada" finds no "Orujov Alizada", a recall limit of the
 * blocking, not what these tests are about). */
static void random_name_repeats(unsigned *seed, char *buf, size_t n)
{
	const char *g = given[rnd(seed) % 22], *f = family[rnd(seed) % 20];

	switch (rnd(seed) % 5) {
	case 0:
		snprintf(buf, n, "%s %s %s", g, g, f);
		break;
	case 1:
		snprintf(buf, n, "%s %s %s", g, f, family[rnd(seed) % 20]);
		break;
	case 2:
		snprintf(buf, n, "%s bin %s %s", g, f, f);
		break;
	case 3:
		snprintf(buf, n, "%s %c. %s", g, "KMRZ"[rnd(seed) % 4], f);
		break;
	default:
		snprintf(buf, n, "%s %s", g, f);
		break;
	}
}

/* Short names mixed with names of six to eight tokens (an Arabic nasab
 * chain, with particles), so that freed entries are taken again by names
 * of the other length. */
static void random_name_mixed(unsigned *seed, char *buf, size_t n)
{
	if (rnd(seed) % 3) {
		random_name(seed, buf, n);
		return;
	}
	snprintf(buf, n, "%s bin %s bin %s %s%s %s", given[rnd(seed) % 22], given[rnd(seed) % 22],
		 given[rnd(seed) % 22], rnd(seed) % 2 ? "al " : "", family[rnd(seed) % 20],
		 family[rnd(seed) % 20]);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* dense_max 1: the candidates in the hash map a query of an index over
 * 2^21 names uses, with the general walk (no key masks). */
static void consistency(void (*gen)(unsigned *, char *, size_t), unsigned seed,
			size_t dense_max)
{
	struct att_match_index *ix;
	struct att_match_index_opts o = {.posting_cap = 1000000, .verify_max = 1000000,
					 .dense_max = dense_max};
	struct att_err err = {0};
	static struct rec recs[N];
	static struct att_match_hit hits[N];
	size_t live = 0;

	assert_int_equal(att_match_index_new(&ix, &o, &err), ATT_OK);
	for (size_t i = 0; i < N; i++) {
		gen(&seed, recs[i].name, sizeof(recs[i].name));
		assert_int_equal(att_match_index_add(ix, 1000 + i, recs[i].name,
						     strlen(recs[i].name), NULL, &err), ATT_OK);
		recs[i].live = true;
	}
	/* random removals and updates */
	for (size_t k = 0; k < N / 2; k++) {
		size_t i = rnd(&seed) % N;

		if (rnd(&seed) % 2) {
			size_t had = recs[i].live ? 1 : 0;

			assert_int_equal(att_match_index_remove(ix, 1000 + i), had);
			recs[i].live = false;
		} else {
			gen(&seed, recs[i].name, sizeof(recs[i].name));
			assert_int_equal(att_match_index_update(ix, 1000 + i, recs[i].name,
								strlen(recs[i].name), NULL, &err), ATT_OK);
			recs[i].live = true;
		}
	}
	for (size_t i = 0; i < N; i++)
		live += recs[i].live;
	assert_int_equal(att_match_index_count(ix), live);
	assert_true(att_match_index_check(ix));
	/* every query: index hits == brute force over live records */
	for (size_t qi = 0; qi < 60; qi++) {
		char q[96];
		struct att_name qn;
		uint64_t want[N], got[N];
		size_t nw = 0, ng = 0;
		struct att_match_query mq = {0};

		gen(&seed, q, sizeof(q));
		assert_int_equal(att_name_normalize(q, strlen(q), &qn, &err), ATT_OK);
		for (size_t i = 0; i < N; i++) {
			struct att_name rn;

			if (!recs[i].live)
				continue;
			assert_int_equal(att_name_normalize(recs[i].name, strlen(recs[i].name), &rn, &err), ATT_OK);
			if (att_match_score(&qn, NULL, &rn, NULL, NULL) >= ATT_MATCH_THRESHOLD)
				want[nw++] = 1000 + i;
		}
		mq.name = q;
		mq.len = strlen(q);
		assert_int_equal(att_match_index_query(ix, &mq, hits, N, &ng, &err), ATT_OK);
		for (size_t h = 0; h < ng; h++) {
			got[h] = hits[h].ref;
			assert_true(hits[h].score >= ATT_MATCH_THRESHOLD);
			if (h)
				assert_true(hits[h - 1].score >= hits[h].score);
		}
		qsort(want, nw, sizeof(uint64_t), cmp_u64);
		qsort(got, ng, sizeof(uint64_t), cmp_u64);
		if (nw != ng)
			fail_msg("query '%s': index %zu hits, brute force %zu", q, ng, nw);
		assert_memory_equal(want, got, nw * sizeof(uint64_t));
	}
	att_match_index_free(ix);
}

static void test_consistency(void **state)
{
	(void)state;
	consistency(random_name, 42, 0);
}

/* The same through the large-index path (hash map, general walk). */
static void test_consistency_hash_map(void **state)
{
	(void)state;
	consistency(random_name, 42, 1);
	consistency(random_name_repeats, 7, 1);
}

/* The same with long names and short ones taking each other's freed
 * entries, through both walks. */
static void test_consistency_long(void **state)
{
	(void)state;
	consistency(random_name_mixed, 11, 0);
	consistency(random_name_mixed, 12, 1);
}

/* Names as bench_ingest's traffic makes them (Elchin Aliyev Mammadova:
 * common stems and endings), with some surnames one letter off, so that a
 * query's surnames reach keys of all four levels: more than eight
 * (token, level) bits, the two-byte walk; a quarter with a second given
 * name. Every query gives the same hits, scores, ranks and explanations
 * as the general walk, and all three walks are taken. */
static void wide_name(unsigned *seed, char *buf, size_t n)
{
	static const char *const g[] = {"Elchin", "Rauf", "Leyla", "Tural", "Orkhan", "Nigar",
					 "Kamran", "Farid", "Sevinj", "Aysel", "Ivan", "Sergei"};
	static const char *const st[] = {"Aliy", "Mammad", "Huseyn", "Gasim", "Jafar", "Karim",
					  "Ismayil", "Abbas", "Guliy", "Novruz", "Rzay", "Safar",
					  "Nasir", "Hasan", "Valiy", "Musay", "Kazim", "Qadir"};
	static const char *const en[] = {"ov", "ova", "li", "zade", "ev", "eva"};
	char f[2][40];

	for (int k = 0; k < 2; k++) {
		snprintf(f[k], sizeof(f[k]), "%s%s", st[rnd(seed) % 18], en[rnd(seed) % 6]);
		/* one in eight: a letter doubled (Mammmadov) */
		if (rnd(seed) % 8 == 0) {
			size_t l = strlen(f[k]), at = 1 + rnd(seed) % (l - 1);

			memmove(f[k] + at + 1, f[k] + at, l - at + 1);
		}
	}
	/* one in four with a second given name: four tokens, some with more
	 * than 256 combinations (the general walk) and some within */
	if (rnd(seed) % 4 == 0)
		snprintf(buf, n, "%s %s %s %s", g[rnd(seed) % 12], g[rnd(seed) % 12], f[0], f[1]);
	else
		snprintf(buf, n, "%s %s %s", g[rnd(seed) % 12], f[0], f[1]);
}

static void test_wide_walk(void **state)
{
	struct att_match_index *ix;
	struct att_err err = {0};
	struct att_walk_stats st;
	static struct att_match_hit a[16], b[16];
	unsigned seed = 5;
	char name[96];

	(void)state;
	assert_int_equal(att_match_index_new(&ix, NULL, &err), ATT_OK);
	for (size_t i = 0; i < 20000; i++) {
		wide_name(&seed, name, sizeof(name));
		assert_int_equal(att_match_index_add(ix, i, name, strlen(name), NULL, &err), ATT_OK);
	}
	att_match_walk_stats(&st, true);
	for (size_t qi = 0; qi < 400; qi++) {
		struct att_match_query q = {0};
		size_t na = 0, nb = 0;

		wide_name(&seed, name, sizeof(name));
		q.name = name;
		q.len = strlen(name);
		q.explain = true;
		assert_int_equal(att_match_index_query(ix, &q, a, 16, &na, &err), ATT_OK);
		att_match_force_general(true);
		assert_int_equal(att_match_index_query(ix, &q, b, 16, &nb, &err), ATT_OK);
		att_match_force_general(false);
		if (na != nb)
			fail_msg("'%s': %zu hits, the general walk %zu", name, na, nb);
		for (size_t h = 0; h < na; h++) {
			char ea[512], eb[512];

			assert_true(a[h].ref == b[h].ref);
			assert_true(a[h].score == b[h].score);
			assert_true(a[h].rank == b[h].rank);
			att_match_expl_text(&a[h].expl, ea, sizeof(ea));
			att_match_expl_text(&b[h].expl, eb, sizeof(eb));
			assert_string_equal(ea, eb);
		}
	}
	/* 400 forced, and some four-token queries with too many combinations */
	att_match_walk_stats(&st, true);
	if (st.wide < 40 || st.byte < 40 || st.general < 405)
		fail_msg("walks: byte %llu, wide %llu, general %llu", (unsigned long long)st.byte,
			 (unsigned long long)st.wide, (unsigned long long)st.general);
	att_match_index_free(ix);
}

/* The same with repeated tokens, particles and initials, whose entries
 * must be in a token's postings once and leave them whole on removal. */
static void test_consistency_repeats(void **state)
{
	(void)state;
	consistency(random_name_repeats, 7, 0);
}

/* A token shared by many entries: each found once, however many of the
 * query's keys (exact, skeleton, spelling, prefix) reach it, and a ref
 * with two names holding it is one hit. */
static void test_shared_token(void **state)
{
	struct att_match_index *ix;
	struct att_err err = {0};
	static struct att_match_hit hits[1000];
	struct att_match_query q = {.name = "Anar Huseynov"};
	static bool seen[500];
	size_t n;

	(void)state;
	q.len = strlen(q.name);
	assert_int_equal(att_match_index_new(&ix, NULL, &err), ATT_OK);
	for (uint64_t r = 0; r < 400; r++)
		assert_int_equal(att_match_index_add(ix, r, "Anar Huseynov", 13, NULL, &err), ATT_OK);
	/* a second name of ref 0 holding both tokens too */
	assert_int_equal(att_match_index_add(ix, 0, "Anar Huseynov Anar", 18, NULL, &err), ATT_OK);
	/* sharing the skeleton and spelling keys, not the exact one */
	for (uint64_t r = 400; r < 500; r++)
		assert_int_equal(att_match_index_add(ix, r, "Anar Guseynov", 13, NULL, &err), ATT_OK);
	assert_true(att_match_index_check(ix));
	assert_int_equal(att_match_index_query(ix, &q, hits, 1000, &n, &err), ATT_OK);
	assert_int_equal(n, 500);
	for (size_t h = 0; h < n; h++) {
		assert_true(hits[h].ref < 500);
		assert_false(seen[hits[h].ref]);
		seen[hits[h].ref] = true;
		/* the name as written first, then its variant */
		assert_true(h < 400 ? hits[h].score == 1.0 && hits[h].ref < 400 : hits[h].ref >= 400);
	}
	att_match_index_free(ix);
}

/* A name holding a token twice is removed whole, and the entry it leaves
 * (reused by the next name added) is not found through its old tokens. */
static void test_repeated_token_reuse(void **state)
{
	struct att_match_index *ix;
	struct att_err err = {0};
	struct att_match_hit hits[8];
	struct att_match_query q = {.name = "Rashad Rashad Qasimov"};
	size_t n;

	(void)state;
	q.len = strlen(q.name);
	assert_int_equal(att_match_index_new(&ix, NULL, &err), ATT_OK);
	assert_int_equal(att_match_index_add(ix, 1, "Rashad Rashad Qasimov", 21, NULL, &err), ATT_OK);
	assert_int_equal(att_match_index_add(ix, 2, "Rashad Qasimov", 14, NULL, &err), ATT_OK);
	assert_true(att_match_index_check(ix));
	assert_int_equal(att_match_index_query(ix, &q, hits, 8, &n, &err), ATT_OK);
	assert_true(n >= 1);
	assert_int_equal(hits[0].ref, 1);
	assert_int_equal(att_match_index_remove(ix, 1), 1);
	assert_true(att_match_index_check(ix));
	/* entry 0 reused by a name sharing no token with the removed one */
	assert_int_equal(att_match_index_add(ix, 3, "Leyla Smith", 11, NULL, &err), ATT_OK);
	assert_true(att_match_index_check(ix));
	assert_int_equal(att_match_index_query(ix, &q, hits, 8, &n, &err), ATT_OK);
	for (size_t h = 0; h < n; h++)
		assert_int_equal(hits[h].ref, 2);
	/* and by one holding the token twice again */
	assert_int_equal(att_match_index_remove(ix, 3), 1);
	assert_int_equal(att_match_index_add(ix, 4, "Qasimov Qasimov Rashad", 22, NULL, &err), ATT_OK);
	assert_true(att_match_index_check(ix));
	q.name = "Leyla Smith";
	q.len = strlen(q.name);
	assert_int_equal(att_match_index_query(ix, &q, hits, 8, &n, &err), ATT_OK);
	assert_int_equal(n, 0);
	q.name = "Qasimov Qasimov Rashad";
	q.len = strlen(q.name);
	assert_int_equal(att_match_index_query(ix, &q, hits, 8, &n, &err), ATT_OK);
	assert_true(n >= 1);
	assert_int_equal(hits[0].ref, 4);
	att_match_index_free(ix);
}

/* Many removals and re-adds (each reusing a freed entry): the token
 * postings and the keys' entry counts follow, and every live name is
 * found as written. */
static void test_remove_readd(void **state)
{
	struct att_match_index *ix;
	struct att_err err = {0};
	struct att_match_hit hits[64];
	static char names[200][96];
	unsigned seed = 3;

	(void)state;
	assert_int_equal(att_match_index_new(&ix, NULL, &err), ATT_OK);
	for (size_t i = 0; i < 200; i++) {
		random_name_repeats(&seed, names[i], sizeof(names[i]));
		assert_int_equal(att_match_index_add(ix, i, names[i], strlen(names[i]), NULL, &err),
				 ATT_OK);
	}
	for (int round = 0; round < 5; round++) {
		for (size_t i = (size_t)round; i < 200; i += 3)
			assert_int_equal(att_match_index_remove(ix, i), 1);
		assert_true(att_match_index_check(ix));
		for (size_t i = (size_t)round; i < 200; i += 3) {
			random_name_repeats(&seed, names[i], sizeof(names[i]));
			assert_int_equal(att_match_index_add(ix, i, names[i], strlen(names[i]), NULL,
							     &err), ATT_OK);
		}
		assert_true(att_match_index_check(ix));
		assert_int_equal(att_match_index_count(ix), 200);
	}
	for (size_t i = 0; i < 200; i++) {
		struct att_match_query q = {.name = names[i], .len = strlen(names[i])};
		size_t n;
		bool found = false;

		assert_int_equal(att_match_index_query(ix, &q, hits, 64, &n, &err), ATT_OK);
		for (size_t h = 0; h < n; h++)
			found = found || hits[h].ref == i;
		if (!found)
			fail_msg("'%s' (ref %zu) not found", names[i], i);
	}
	att_match_index_free(ix);
}

static void test_hits_and_explain(void **state)
{
	struct att_match_index *ix;
	struct att_err err = {0};
	struct att_match_hit hits[4];
	struct att_match_query q = {.name = "Алиев Ильхам", .explain = true};
	struct att_match_attrs a = {0};
	size_t n;
	char text[512];

	(void)state;
	q.len = strlen(q.name);
	assert_int_equal(att_match_index_new(&ix, NULL, &err), ATT_OK);
	assert_true(att_match_dob_parse("1961-12-24", &a.dob));
	assert_int_equal(att_match_index_add(ix, 7, "Ilham Heydar oglu Aliyev", 24, &a, &err), ATT_OK);
	assert_int_equal(att_match_index_add(ix, 7, "Ilham Aliyev", 12, &a, &err), ATT_OK);
	assert_int_equal(att_match_index_add(ix, 8, "Ilqar Aliyev", 12, NULL, &err), ATT_OK);
	assert_int_equal(att_match_index_add(ix, 9, "George Habash", 13, NULL, &err), ATT_OK);
	assert_int_equal(att_match_index_count(ix), 4);
	assert_int_equal(att_match_index_query(ix, &q, hits, 4, &n, &err), ATT_OK);
	assert_int_equal(n, 1); /* one hit per ref, not Ilqar */
	assert_int_equal(hits[0].ref, 7);
	assert_true(hits[0].score == 1.0);
	att_match_expl_text(&hits[0].expl, text, sizeof(text));
	assert_non_null(strstr(text, "ilkham~ilham"));
	q.name = "George Bush";
	q.len = strlen(q.name);
	assert_int_equal(att_match_index_query(ix, &q, hits, 4, &n, &err), ATT_OK);
	assert_int_equal(n, 0);
	assert_int_equal(att_match_index_remove(ix, 7), 2);
	q.name = "Ilham Aliyev";
	q.len = strlen(q.name);
	assert_int_equal(att_match_index_query(ix, &q, hits, 4, &n, &err), ATT_OK);
	assert_int_equal(n, 0);
	assert_int_equal(att_match_index_remove(ix, 7), 0);
	assert_true(att_match_index_overhead(ix) > 0);
	att_match_index_free(ix);
}

/* Equal scores are ranked by raw token similarity: the name written as
 * queried comes first, though vowel variants also score 1.0. */
static void test_rank_tie_break(void **state)
{
	struct att_match_index *ix;
	struct att_err err = {0};
	struct att_match_hit hits[4];
	struct att_match_query q = {.name = "Fatma Roloturk", .len = 14};
	static const char *const names[] = {"Fatma Roleturk", "Fatma Roliturk", "Fatma Roloturk",
					    "Fatma Reluturk"};
	size_t n;

	(void)state;
	assert_int_equal(att_match_index_new(&ix, NULL, &err), ATT_OK);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(att_match_index_add(ix, 10 + i, names[i], strlen(names[i]), NULL,
						     &err), ATT_OK);
	assert_int_equal(att_match_index_query(ix, &q, hits, 4, &n, &err), ATT_OK);
	assert_int_equal(n, 4);
	assert_int_equal(hits[0].ref, 12);
	assert_true(hits[0].score == 1.0 && hits[1].score == 1.0);
	assert_true(hits[0].rank > hits[1].rank);
	assert_true(hits[1].rank >= hits[2].rank && hits[2].rank >= hits[3].rank);
	att_match_index_free(ix);
}

/* A rare surname with a typo behind a very common given name: the common
 * name's postings (over the cap) only weigh candidates, the rare surname's
 * keys seed them, the cheap rerank puts the right one among the verified. */
static void test_common_given_name(void **state)
{
	struct att_match_index *ix;
	struct att_match_index_opts o = {.posting_cap = 50, .verify_max = 4};
	struct att_err err = {0};
	struct att_match_hit hits[10];
	struct att_match_query q = {.name = "ILHAM NOBEVOA", .len = 13};
	char name[64];
	size_t n;

	(void)state;
	assert_int_equal(att_match_index_new(&ix, &o, &err), ATT_OK);
	for (unsigned i = 0; i < 3000; i++) {
		/* Ilham + 3000 different surnames sharing nothing with Nobeova */
		snprintf(name, sizeof(name), "Ilham %c%c%c%czade", 'b' + i % 7, 'a' + i / 7 % 5,
			 'k' + i / 35 % 9, 'e' + i / 315 % 10);
		assert_int_equal(att_match_index_add(ix, i, name, strlen(name), NULL, &err), ATT_OK);
	}
	for (unsigned i = 0; i < 60; i++) {
		/* vowel variants of the surname, other given names */
		static const char *const g[] = {"Anar", "Tural", "Murad"};
		static const char v[] = "aeiou";

		snprintf(name, sizeof(name), "%s N%cb%cova", g[i % 3], v[i % 5], v[i / 5 % 5]);
		assert_int_equal(att_match_index_add(ix, 5000 + i, name, strlen(name), NULL, &err),
				 ATT_OK);
	}
	assert_int_equal(att_match_index_add(ix, 9999, "Ilham Nobeova", 13, NULL, &err), ATT_OK);
	assert_int_equal(att_match_index_query(ix, &q, hits, 10, &n, &err), ATT_OK);
	assert_true(n >= 1);
	assert_int_equal(hits[0].ref, 9999);
	assert_true(hits[0].score >= ATT_MATCH_THRESHOLD);
	att_match_index_free(ix);
}


/* The spelling key of one token (the last of att_token_keys). */
static uint32_t spelling_key(const char *tok)
{
	struct att_name nm;
	struct att_tokv v[ATT_NAME_MAX_TOKENS];
	uint32_t keys[ATT_TOKEN_KEYS];
	uint8_t kinds[ATT_TOKEN_KEYS];
	size_t nk;

	assert_int_equal(att_name_normalize(tok, strlen(tok), &nm, NULL), ATT_OK);
	assert_int_equal(att_name_views(&nm, v), 1);
	nk = att_token_keys(&v[0], keys, kinds);
	assert_true(nk >= 2);
	assert_int_equal(kinds[0], ATT_KEY_EXACT);
	assert_int_equal(kinds[nk - 1], ATT_KEY_SPELLING);
	return keys[nk - 1];
}

/* Transliterations of one name share the spelling key (consonant classes,
 * vowels in three classes); other names do not, vowels included. */
static void test_spelling_key(void **state)
{
	static const char *const same[][2] = {
		{"Mammadov", "Mamedov"}, {"Qasımov", "Gasymov"}, {"Jafarov", "Djafarov"},
		{"Huseynov", "Guseynov"}, {"Aliyev", "Aliev"}, {"Maxaov", "Makhaov"},
		{"Chaqakaya", "Chagakaya"}, {"Cəfərov", "Jafarov"},
	};
	static const char *const other[][2] = {
		{"Mammadov", "Mahmudov"}, {"Laloav", "Lalaov"}, {"Ilham", "Ilqar"},
		{"Roloturk", "Rolitark"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++)
		assert_true(spelling_key(same[i][0]) == spelling_key(same[i][1]));
	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++)
		assert_true(spelling_key(other[i][0]) != spelling_key(other[i][1]));
}

/* A swap of two adjacent letters that breaks a digraph (sh) changes the
 * token's skeleton, prefix and spelling keys; the given name is over the
 * cap and only weighs, and the query's prefix key seeds other names. The
 * query's typo neighbour Fashasison (its exact key) seeds the name. */
static void test_typo_neighbour(void **state)
{
	struct att_match_index *ix;
	struct att_match_index_opts o = {.posting_cap = 40, .verify_max = 4};
	struct att_err err = {0};
	struct att_match_hit hits[10];
	struct att_match_query q = {.name = "James Fahsasison", .len = 16};
	static const char cons[] = "bdlmnr", vow[] = "aeiou";
	char name[64];
	size_t n;

	(void)state;
	assert_int_equal(att_match_index_new(&ix, &o, &err), ATT_OK);
	for (unsigned i = 0; i < 300; i++) {
		/* James + surnames sharing nothing with Fashasison */
		snprintf(name, sizeof(name), "James %c%c%c%c%cov", cons[i % 6] - 32,
			 vow[i / 6 % 5], cons[i / 30 % 6], vow[i / 180 % 5], cons[i % 5]);
		assert_int_equal(att_match_index_add(ix, i, name, strlen(name), NULL, &err), ATT_OK);
	}
	for (unsigned i = 0; i < 20; i++) {
		/* the query's coarse prefix (f a h s), other given names */
		snprintf(name, sizeof(name), "Tural Fahsab%c%cv", vow[i % 5], vow[i / 5 % 5]);
		assert_int_equal(att_match_index_add(ix, 1000 + i, name, strlen(name), NULL, &err),
				 ATT_OK);
	}
	assert_int_equal(att_match_index_add(ix, 9999, "James Fashasison", 16, NULL, &err), ATT_OK);
	assert_int_equal(att_match_index_query(ix, &q, hits, 10, &n, &err), ATT_OK);
	assert_true(n >= 1);
	assert_int_equal(hits[0].ref, 9999);
	assert_true(hits[0].score >= ATT_MATCH_THRESHOLD);
	att_match_index_free(ix);
}

/* A crowd of namesakes scoring 1.0 (Anar Laloav, as queried) and the name
 * sought, which has a middle name and scores less: with more hits asked
 * for than verify_max (16), the verifier goes as deep as the hits asked
 * for, so every hit above the threshold is returned, the original too. */
static void test_crowd_verify(void **state)
{
	struct att_match_index *ix;
	struct att_err err = {0};
	struct att_match_hit hits[50];
	struct att_match_query q = {.name = "Anar Laloav", .len = 11};
	char name[64];
	size_t n;
	bool found = false;

	(void)state;
	assert_int_equal(att_match_index_new(&ix, NULL, &err), ATT_OK);
	for (unsigned i = 0; i < 40; i++)
		assert_int_equal(att_match_index_add(ix, i, "Anar Laloav", 11, NULL, &err), ATT_OK);
	for (unsigned i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "Anar Ba%c%cov", "bdgklmnrst"[i % 10],
			 "aeiou"[i / 10 % 5]);
		assert_int_equal(att_match_index_add(ix, 1000 + i, name, strlen(name), NULL, &err),
				 ATT_OK);
	}
	assert_int_equal(att_match_index_add(ix, 9999, "Anar Sabina Lalaov", 18, NULL, &err),
			 ATT_OK);
	assert_int_equal(att_match_index_query(ix, &q, hits, 50, &n, &err), ATT_OK);
	assert_int_equal(n, 41);
	for (size_t i = 0; i < n; i++) {
		assert_true(hits[i].score >= ATT_MATCH_THRESHOLD);
		found = found || hits[i].ref == 9999;
	}
	assert_true(found);
	assert_int_equal(hits[40].ref, 9999); /* the namesakes score 1.0, it less */
	/* ten asked for: the ten best, all namesakes */
	assert_int_equal(att_match_index_query(ix, &q, hits, 10, &n, &err), ATT_OK);
	assert_int_equal(n, 10);
	for (size_t i = 0; i < n; i++)
		assert_true(hits[i].ref < 40);
	att_match_index_free(ix);
}


/* Stage 1 ranks by the query tokens a candidate comes near, each once: a
 * crowd that has the given name and one of the surnames exactly (Elchin
 * Aliyev X, Elchin Mammadov X) ranks below the variant near all three
 * tokens (Elchin Aliyeva Mammadon: Aliyeva shares Aliyev's skeleton and
 * prefix keys, Mammadon only Mammadov's prefix key). Summing the keys'
 * weights put the crowd first, and with a rerank of 20 (verify_max 2,
 * four hits asked for) the variant was never scored. */
static void test_token_coverage(void **state)
{
	struct att_match_index *ix;
	struct att_match_index_opts o = {.verify_max = 2};
	struct att_err err = {0};
	struct att_match_hit hits[4];
	struct att_match_query q = {.name = "Elchin Aliyev Mammadov", .len = 22};
	static const char cons[] = "bdfkprt", vow[] = "aeiou";
	char name[64];
	size_t n;

	(void)state;
	assert_int_equal(att_match_index_new(&ix, &o, &err), ATT_OK);
	for (unsigned i = 0; i < 60; i++) {
		/* third tokens sharing nothing with the query's */
		snprintf(name, sizeof(name), "Elchin %s %c%c%c%cuk", i % 2 ? "Aliyev" : "Mammadov",
			 cons[i / 2 % 7] - 32, vow[i / 14 % 5], cons[(i / 2 + 3) % 7],
			 vow[(i / 2 + 1) % 5]);
		assert_int_equal(att_match_index_add(ix, i, name, strlen(name), NULL, &err), ATT_OK);
	}
	assert_int_equal(att_match_index_add(ix, 9999, "Elchin Aliyeva Mammadon", 23, NULL, &err),
			 ATT_OK);
	assert_int_equal(att_match_index_query(ix, &q, hits, 4, &n, &err), ATT_OK);
	assert_true(n >= 1);
	assert_int_equal(hits[0].ref, 9999);
	assert_true(hits[0].score >= ATT_MATCH_THRESHOLD);
	att_match_index_free(ix);
}

/* A name of twelve tokens, each with typo neighbours in the index (about
 * ten keys per token in use: the general walk, past 32 bits), queried
 * exactly, with a crowd sharing its first seven tokens: every token counts
 * in the pre-score, so the name itself is found. (With a bit per key, the
 * keys past the 64th, those of the last tokens, were left out; the crowd
 * tied with the name and took the rerank by lower id.) */
static unsigned lcg = 99;

static void word(char *w, int l)
{
	for (int i = 0; i < l; i++) {
		lcg = lcg * 1103515245u + 12345u;
		w[i] = (char)(i % 3 == 1 ? "aeiou"[(lcg >> 8) % 5] : "bdfklmnprstvz"[(lcg >> 8) % 13]);
	}
	w[l] = 0;
}

static void test_long_name_every_token(void **state)
{
	struct att_match_index *ix;
	struct att_match_index_opts o = {.verify_max = 2};
	struct att_err err = {0};
	struct att_match_hit hits[4];
	char t[12][16], name[512], b[16];
	uint64_t id = 0;
	size_t n;

	(void)state;
	assert_int_equal(att_match_index_new(&ix, &o, &err), ATT_OK);
	for (int i = 0; i < 12; i++)
		word(t[i], 9);
	for (int i = 0; i < 12; i++) {
		size_t len = strlen(t[i]);

		for (size_t k = 0; k < len; k++) { /* one letter dropped */
			memcpy(b, t[i], k);
			memcpy(b + k, t[i] + k + 1, len - k);
			assert_int_equal(att_match_index_add(ix, id++, b, strlen(b), NULL, &err), ATT_OK);
		}
		for (size_t k = 0; k + 1 < len; k++) { /* two swapped */
			char c;

			snprintf(b, sizeof(b), "%s", t[i]);
			c = b[k];
			b[k] = b[k + 1];
			b[k + 1] = c;
			assert_int_equal(att_match_index_add(ix, id++, b, strlen(b), NULL, &err), ATT_OK);
		}
	}
	for (int c = 0; c < 200; c++) {
		size_t len = 0;

		for (int i = 0; i < 7; i++)
			len += (size_t)snprintf(name + len, sizeof(name) - len, "%s ", t[i]);
		for (int i = 0; i < 5; i++) {
			word(b, 7);
			len += (size_t)snprintf(name + len, sizeof(name) - len, i < 4 ? "%s " : "%s", b);
		}
		assert_int_equal(att_match_index_add(ix, id++, name, strlen(name), NULL, &err), ATT_OK);
	}
	for (size_t i = 0, len = 0; i < 12; i++)
		len += (size_t)snprintf(name + len, sizeof(name) - len, i < 11 ? "%s " : "%s", t[i]);
	assert_int_equal(att_match_index_add(ix, 99999, name, strlen(name), NULL, &err), ATT_OK);
	{
		struct att_match_query q = {.name = name, .len = strlen(name)};

		assert_int_equal(att_match_index_query(ix, &q, hits, 4, &n, &err), ATT_OK);
	}
	assert_true(n >= 1);
	assert_int_equal(hits[0].ref, 99999);
	assert_true(hits[0].score > 0.99);
	att_match_index_free(ix);
}

/* Names made of common tokens only (a given name and two family names from
 * short lists, as in bench_ingest): the query memoises token similarities
 * (the same pairs recur from candidate to candidate) and the scorer's edit
 * distance stops early below the credit window. Neither may change a
 * result: every hit's score, rank and explanation equal those of
 * att_match_score on the same pair, and known pairs keep their values. */
static void test_common_tokens_memo(void **state)
{
	static const char *const g[] = {"Rauf", "Leyla", "Tural", "Nigar"};
	static const char *const st[] = {"Huseyn", "Mubariz", "Mammad", "Aliy", "Gasim"};
	static const char *const en[] = {"ov", "ova", "ev", "eva", "li", "zade"};
	struct att_match_index *ix;
	struct att_err err = {0};
	struct att_match_attrs at = {19750000, 0};
	static char names[600][64];
	struct att_match_hit hits[16];
	struct att_match_query q = {.name = "Rauf Huseynev Mubarizev"};
	struct att_memo_stats ms;
	struct att_name qn;
	unsigned seed = 7;
	bool found = false;
	size_t n;

	(void)state;
	assert_int_equal(att_match_index_new(&ix, NULL, &err), ATT_OK);
	for (size_t i = 0; i < 600; i++) {
		snprintf(names[i], sizeof(names[i]), "%s %s%s %s%s", g[rnd(&seed) % 4],
			 st[rnd(&seed) % 5], en[rnd(&seed) % 6], st[rnd(&seed) % 5],
			 en[rnd(&seed) % 6]);
		assert_int_equal(att_match_index_add(ix, i, names[i], strlen(names[i]), &at, &err),
				 ATT_OK);
	}
	assert_int_equal(att_match_index_add(ix, 1000, "Rauf Huseyneva Mubarizeva", 25, &at, &err),
			 ATT_OK);
	q.len = strlen(q.name);
	q.attrs = at;
	q.explain = true;
	assert_int_equal(att_name_normalize(q.name, q.len, &qn, &err), ATT_OK);
	att_memo_stats(&ms, true);
	assert_int_equal(att_match_index_query(ix, &q, hits, 16, &n, &err), ATT_OK);
	att_memo_stats(&ms, true);
	assert_true(n >= 2);
	/* the memo answered most of the scorer's token pairs */
	assert_true(ms.hits > ms.computed);
	assert_int_equal(ms.full, 0);
	for (size_t h = 0; h < n; h++) {
		struct att_name cn;
		struct att_match_expl ex;
		const char *nm = hits[h].ref == 1000 ? "Rauf Huseyneva Mubarizeva" : names[hits[h].ref];
		double s;

		assert_int_equal(att_name_normalize(nm, strlen(nm), &cn, &err), ATT_OK);
		s = att_match_score(&qn, &at, &cn, &at, &ex);
		assert_true(s == hits[h].score);
		assert_true(ex.name_score == hits[h].expl.name_score);
		assert_int_equal(ex.npairs, hits[h].expl.npairs);
		for (size_t k = 0; k < ex.npairs; k++) {
			assert_int_equal(ex.pairs[k].b, hits[h].expl.pairs[k].b);
			assert_true(ex.pairs[k].sim == hits[h].expl.pairs[k].sim);
			assert_true(ex.pairs[k].cost == hits[h].expl.pairs[k].cost);
		}
		assert_int_equal(ex.unmatched_a, hits[h].expl.unmatched_a);
		assert_int_equal(ex.unmatched_b, hits[h].expl.unmatched_b);
	}
	/* the planted variant: a vowel deleted at the end of both family
	 * names (cost 0.5 each), the same year of birth (+0.03) */
	for (size_t h = 0; h < n; h++) {
		if (hits[h].ref != 1000)
			continue;
		found = true;
		assert_true(hits[h].score == 1.0);
		assert_int_equal(hits[h].expl.npairs, 3);
		assert_float_equal(hits[h].expl.pairs[0].sim, 1.0, 1e-7);
		assert_float_equal(hits[h].expl.pairs[1].sim, 1.0 - 0.5 / 9, 1e-6);
		assert_float_equal(hits[h].expl.pairs[1].cost, 0.5, 1e-7);
		assert_float_equal(hits[h].expl.pairs[2].sim, 1.0 - 0.5 / 10, 1e-6);
		assert_float_equal(hits[h].expl.dob_adj, 0.03, 1e-7);
	}
	assert_true(found);
	/* the memo is off outside a query: att_match_score computes */
	{
		struct att_name a, b;

		assert_int_equal(att_name_normalize("Mammadov", 8, &a, &err), ATT_OK);
		assert_int_equal(att_name_normalize("Aliyeva", 7, &b, &err), ATT_OK);
		assert_true(att_match_score(&a, NULL, &b, NULL, NULL) == 0.0);
		att_memo_stats(&ms, true);
		assert_int_equal(ms.hits + ms.computed, 0);
	}
	att_match_index_free(ix);
}

/* Token interning and the cross-query pair cache: records hold token ids,
 * and similarities of (query token, candidate token) pairs found in one
 * query are reused by the next one, by id. A second identical query
 * computes nothing and returns the same values; two indexes whose tokens
 * got the same ids never share cache entries (the index serial is part of
 * the key); removal and re-adding keep results exact. */
static void test_token_ids_pair_cache(void **state)
{
	struct att_match_index *ix, *ix2;
	struct att_err err = {0};
	struct att_match_attrs at = {19750000, 0};
	struct att_match_hit h1[4], h2[4];
	struct att_match_query q = {.name = "Rauf Huseynev Mubarizev", .explain = true};
	struct att_memo_stats ms;
	size_t n1, n2;

	(void)state;
	q.len = strlen(q.name);
	q.attrs = at;
	assert_int_equal(att_match_index_new(&ix, NULL, &err), ATT_OK);
	assert_int_equal(att_match_index_new(&ix2, NULL, &err), ATT_OK);
	/* the same names in another order: the same tokens get other ids */
	assert_int_equal(att_match_index_add(ix, 1, "Rauf Huseyneva Mubarizeva", 25, &at, &err),
			 ATT_OK);
	assert_int_equal(att_match_index_add(ix, 2, "Rauf Gasimov", 12, &at, &err), ATT_OK);
	assert_int_equal(att_match_index_add(ix, 4, "Tural Huseynev Mubarizev", 24, &at, &err),
			 ATT_OK);
	assert_int_equal(att_match_index_add(ix2, 4, "Tural Huseynev Mubarizev", 24, &at, &err),
			 ATT_OK);
	assert_int_equal(att_match_index_add(ix2, 1, "Rauf Huseyneva Mubarizeva", 25, &at, &err),
			 ATT_OK);
	att_memo_stats(&ms, true);
	assert_int_equal(att_match_index_query(ix, &q, h1, 4, &n1, &err), ATT_OK);
	att_memo_stats(&ms, true);
	assert_int_equal(n1, 1);
	assert_true(ms.computed > 0);
	assert_int_equal(ms.pair_hits, 0);
	assert_int_equal(h1[0].ref, 1);
	assert_true(h1[0].score == 1.0);
	assert_float_equal(h1[0].expl.pairs[1].sim, 1.0 - 0.5 / 9, 1e-6);
	assert_float_equal(h1[0].expl.pairs[1].cost, 0.5, 1e-7);
	assert_float_equal(h1[0].expl.pairs[2].sim, 1.0 - 0.5 / 10, 1e-6);
	/* the same query again: every pair from the cache, the same values */
	assert_int_equal(att_match_index_query(ix, &q, h2, 4, &n2, &err), ATT_OK);
	att_memo_stats(&ms, true);
	assert_int_equal(n2, n1);
	assert_int_equal(ms.computed, 0);
	assert_true(ms.pair_hits > 0);
	assert_true(h2[0].score == h1[0].score && h2[0].rank == h1[0].rank);
	assert_memory_equal(&h2[0].expl, &h1[0].expl, sizeof(h1[0].expl));
	/* the other index: the ids of ix name other tokens there; nothing is
	 * taken from ix's entries, and the values are the same */
	assert_int_equal(att_match_index_query(ix2, &q, h2, 4, &n2, &err), ATT_OK);
	att_memo_stats(&ms, true);
	assert_int_equal(ms.pair_hits, 0);
	assert_int_equal(n2, 1);
	assert_int_equal(h2[0].ref, 1);
	assert_true(h2[0].score == h1[0].score && h2[0].rank == h1[0].rank);
	assert_memory_equal(&h2[0].expl, &h1[0].expl, sizeof(h1[0].expl));
	/* removed and added again: the tokens keep their ids, results stay */
	assert_int_equal(att_match_index_remove(ix, 1), 1);
	assert_int_equal(att_match_index_query(ix, &q, h2, 4, &n2, &err), ATT_OK);
	assert_int_equal(n2, 0);
	assert_int_equal(att_match_index_add(ix, 3, "Rauf Huseyneva Mubarizeva", 25, &at, &err),
			 ATT_OK);
	assert_int_equal(att_match_index_query(ix, &q, h2, 4, &n2, &err), ATT_OK);
	att_memo_stats(&ms, true);
	assert_int_equal(n2, 1);
	assert_int_equal(h2[0].ref, 3);
	assert_int_equal(ms.computed, 0);
	assert_true(h2[0].score == h1[0].score && h2[0].rank == h1[0].rank);
	assert_memory_equal(&h2[0].expl, &h1[0].expl, sizeof(h1[0].expl));
	att_match_index_free(ix);
	att_match_index_free(ix2);
}

static void test_ids(void **state)
{
	struct att_match_index *ix;
	struct att_err err = {0};
	uint64_t refs[8];
	size_t n;

	(void)state;
	assert_int_equal(att_match_index_new(&ix, NULL, &err), ATT_OK);
	assert_int_equal(att_match_index_add_id(ix, 1, ATT_ID_PHONE, "+994501234567", &err), ATT_OK);
	assert_int_equal(att_match_index_add_id(ix, 2, ATT_ID_PHONE, "+994501234567", &err), ATT_OK);
	assert_int_equal(att_match_index_add_id(ix, 2, ATT_ID_PHONE, "+994501234567", &err), ATT_OK);
	assert_int_equal(att_match_index_add_id(ix, 3, ATT_ID_CIDR, "192.0.2.0/24", &err), ATT_OK);
	assert_int_equal(att_match_index_add_id(ix, 4, ATT_ID_CIDR, "2001:db8::/32", &err), ATT_OK);
	assert_int_equal(att_match_index_add_id(ix, 5, ATT_ID_IP, "192.0.2.77", &err), ATT_OK);
	assert_int_equal(att_match_index_query_id(ix, ATT_ID_PHONE, "+994501234567", refs, 8, &n, &err), ATT_OK);
	assert_int_equal(n, 2);
	assert_int_equal(att_match_index_query_id(ix, ATT_ID_IBAN, "+994501234567", refs, 8, &n, &err), ATT_OK);
	assert_int_equal(n, 0); /* the type is part of the key */
	assert_int_equal(att_match_index_query_id(ix, ATT_ID_IP, "192.0.2.77", refs, 8, &n, &err), ATT_OK);
	assert_int_equal(n, 2); /* exact 5 and range 3 */
	assert_int_equal(att_match_index_query_id(ix, ATT_ID_IP, "192.0.3.1", refs, 8, &n, &err), ATT_OK);
	assert_int_equal(n, 0);
	assert_int_equal(att_match_index_query_id(ix, ATT_ID_IP, "2001:db8:1::5", refs, 8, &n, &err), ATT_OK);
	assert_int_equal(n, 1);
	assert_int_equal(refs[0], 4);
	assert_int_equal(att_match_index_remove(ix, 2), 1);
	assert_int_equal(att_match_index_query_id(ix, ATT_ID_PHONE, "+994501234567", refs, 8, &n, &err), ATT_OK);
	assert_int_equal(n, 1);
	assert_int_equal(refs[0], 1);
	att_match_index_free(ix);
}

struct thr {
	struct att_match_index *ix;
	int found;
};

static void *query_thread(void *p)
{
	struct thr *t = p;
	struct att_match_hit *hits = malloc(4 * sizeof(*hits));
	struct att_match_query q = {.name = "Rashad Mamedov"};
	size_t n;

	q.len = strlen(q.name);
	for (int i = 0; i < 200 && hits; i++)
		if (att_match_index_query(t->ix, &q, hits, 4, &n, NULL) == ATT_OK && n >= 1)
			t->found++;
	free(hits);
	att_match_thread_release();
	return NULL;
}

static void test_concurrent(void **state)
{
	struct att_match_index *ix;
	struct att_err err = {0};
	pthread_t th[3];
	struct thr t[3] = {{0}};

	(void)state;
	assert_int_equal(att_match_index_new(&ix, NULL, &err), ATT_OK);
	assert_int_equal(att_match_index_add(ix, 1, "Rəşad Məmmədov", strlen("Rəşad Məmmədov"), NULL, &err), ATT_OK);
	for (int i = 0; i < 3; i++) {
		t[i].ix = ix;
		assert_int_equal(pthread_create(&th[i], NULL, query_thread, &t[i]), 0);
	}
	for (int i = 0; i < 300; i++) {
		char nm[32];

		snprintf(nm, sizeof(nm), "Person%d Somebody", i);
		assert_int_equal(att_match_index_add(ix, 100 + (uint64_t)i, nm, strlen(nm), NULL, &err), ATT_OK);
	}
	for (int i = 0; i < 3; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(t[i].found, 200);
	}
	att_match_index_free(ix);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_consistency), cmocka_unit_test(test_consistency_repeats),
		cmocka_unit_test(test_consistency_hash_map), cmocka_unit_test(test_consistency_long),
		cmocka_unit_test(test_wide_walk),
		cmocka_unit_test(test_shared_token), cmocka_unit_test(test_repeated_token_reuse),
		cmocka_unit_test(test_remove_readd), cmocka_unit_test(test_hits_and_explain),
		cmocka_unit_test(test_ids), cmocka_unit_test(test_concurrent),
		cmocka_unit_test(test_rank_tie_break), cmocka_unit_test(test_common_given_name),
		cmocka_unit_test(test_common_tokens_memo),
		cmocka_unit_test(test_token_ids_pair_cache),
		cmocka_unit_test(test_spelling_key), cmocka_unit_test(test_typo_neighbour),
		cmocka_unit_test(test_crowd_verify), cmocka_unit_test(test_token_coverage),
		cmocka_unit_test(test_long_name_every_token),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	att_match_thread_release();
	return rc;
}
