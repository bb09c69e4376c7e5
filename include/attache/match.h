/* Cross-matching engine: multilingual name normalisation and scoring, an
 * in-memory index of names and identifiers keyed by opaque 64-bit references,
 * identifier canonicalisation, and watchlist parsers (UN XML, OFAC CSV,
 * generic CSV). Knows nothing of the store, HTTP or the CLI. */
#ifndef ATTACHE_MATCH_H
#define ATTACHE_MATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attache/common.h"

struct json_t; /* jansson's json_t */

/* ---------------------------------------------------------------- names -- */

/* Calibrated decision threshold: two names (with their attributes) are the
 * same person or organisation when att_match_score() >= this value. How it was
 * calibrated: docs/internals/match.md. */
#define ATT_MATCH_THRESHOLD 0.80

/* Limits of one normalised name. Longer inputs are refused (ATT_ELIMIT);
 * tokens beyond ATT_NAME_MAX_TOKENS are dropped and the name marked
 * `truncated`; a longer token is cut to ATT_NAME_TOKEN_MAX bytes. */
#define ATT_NAME_INPUT_MAX 1024u
#define ATT_NAME_MAX_TOKENS 12u
#define ATT_NAME_TOKEN_MAX 40u

/* Token flags. */
#define ATT_TOK_PATRONYMIC 0x01u /* father's name: -ovich/-ovna/..., or before oğlu/qızı */
#define ATT_TOK_FAMILY 0x02u     /* looks like a family name (-ov, -yev, -zade, -li ...) */
#define ATT_TOK_SKELETON 0x04u   /* from Arabic script: only `skel` is meaningful */
#define ATT_TOK_INITIAL 0x08u    /* a single letter */
#define ATT_TOK_PARTICLE 0x10u   /* al, el, bin, ibn, abu, van, von, de ... */

/* Script a token was written in. */
enum att_script {
	ATT_SCRIPT_LATIN = 0,
	ATT_SCRIPT_CYRILLIC,
	ATT_SCRIPT_AZ_CYRILLIC, /* Cyrillic with any of Ә Ј Һ Ғ Ҝ Ө Ү Ҹ */
	ATT_SCRIPT_ARABIC,      /* Arabic and Persian */
	ATT_SCRIPT_OTHER,       /* transliterated with ICU Any-Latin */
};

/* One normalised token: `text` is folded lowercase ASCII [a-z0-9] (for a
 * patronymic, its stem without -ovich/-ovna...); `skel` its consonant
 * skeleton (the form compared with Arabic-script tokens). */
struct att_name_token {
	char text[ATT_NAME_TOKEN_MAX + 1];
	char skel[ATT_NAME_TOKEN_MAX + 1];
	uint8_t len;
	uint8_t sklen;
	uint8_t flags;  /* ATT_TOK_* */
	uint8_t script; /* enum att_script */
};

/* A normalised name: its tokens in input order, patronymic markers
 * (oğlu/oglu/ogly/qızı/kizi/kyzy) removed after flagging the token before. */
struct att_name {
	size_t ntok;
	bool truncated; /* more than ATT_NAME_MAX_TOKENS tokens: the rest dropped */
	struct att_name_token tok[ATT_NAME_MAX_TOKENS];
};

/* Normalises the UTF-8 name s[0..len): NFKC + casefold, script detection per
 * token, transliteration (Azerbaijani Cyrillic via az_Cyrl-az/BGN, other
 * Cyrillic via Russian-Latin/BGN, Arabic/Persian to a consonant skeleton,
 * other scripts via Any-Latin), folding (ə→a, ı→i, ş→sh, ç→ch, ğ→g, x→kh in
 * Azerbaijani tokens, ö→o, ü→u, then Latin-ASCII), tokenisation and
 * patronymic recognition. Fills *out (caller-owned, no allocation kept).
 * Returns ATT_EINVAL for invalid UTF-8 or a name with no letters, ATT_ELIMIT
 * for one over the limits above. Thread-safe (ICU transliterators are cached
 * per thread; call att_match_thread_release() before a thread exits to free
 * them). */
enum att_rc att_name_normalize(const char *s, size_t len, struct att_name *out,
			       struct att_err *err) ATT_WUR;

/* Writes the normalised tokens separated by spaces into buf (always
 * NUL-terminated when n > 0); returns the length it needed. */
size_t att_name_format(const struct att_name *n, char *buf, size_t size);

/* Frees the calling thread's cached ICU transliterators and its index
 * query scratch. Optional (memory otherwise kept until the process ends). */
void att_match_thread_release(void);

/* Attributes that adjust a score when both sides have them. */
struct att_match_attrs {
	uint32_t dob; /* YYYYMMDD; MMDD may be 0000 (year only); 0 = unknown */
	uint32_t nat; /* att_match_nat_key() of the nationality; 0 = unknown */
};

/* Parses "YYYY-MM-DD", "YYYY-MM" or "YYYY" (also "DD Mon YYYY" and
 * "DD.MM.YYYY") into the att_match_attrs.dob encoding; false if malformed. */
bool att_match_dob_parse(const char *s, uint32_t *dob);

/* Key of a nationality (ISO 3166 alpha-2 code or an English country name,
 * case-insensitive, "Azerbaijan" and "AZ" give the same key); 0 for NULL or
 * empty. Unknown names still get a stable non-zero key. */
uint32_t att_match_nat_key(const char *s);

/* Explanation of one score. */
struct att_match_pair_expl {
	uint8_t a, b;  /* token indexes in the two names */
	float sim;     /* token similarity in [0,1] */
	float cost;    /* weighted edit cost */
};
struct att_match_expl {
	struct att_name_token a[ATT_NAME_MAX_TOKENS]; /* copies, for printing */
	struct att_name_token b[ATT_NAME_MAX_TOKENS];
	size_t na, nb;
	size_t npairs;
	struct att_match_pair_expl pairs[ATT_NAME_MAX_TOKENS];
	uint16_t unmatched_a, unmatched_b; /* bit i: token i had no partner */
	uint16_t tolerated;                /* bit i of the longer side: missing middle/patronymic tolerated */
	uint16_t tolerated_a, tolerated_b; /* the same per side (either side may have some) */
	uint16_t joined_a, joined_b;       /* bit i: token i is a join of adjacent input
					      tokens (Abd al-Hamid ~ Abdulhamid), each
					      join costs 0.02 of the name score */
	float name_score;                  /* before adjustments */
	float dob_adj, nat_adj;            /* added by date of birth / nationality */
	float score;                       /* final, in [0,1] */
};

/* Scores two normalised names with their attributes (either attrs may be
 * NULL). Order-free token alignment (each token used once), weighted edit
 * distance with cheap confusions (g/q/h/k/gh, y/i, a/e, c/j/dzh, kh/x/h,
 * ts/c), family-name weight, penalties for unmatched tokens (a missing middle
 * name or patronymic on one side is tolerated), then date of birth / year /
 * nationality adjustments. Result in [0,1], symmetric in its arguments. Fills
 * expl when not NULL. Pure function: thread-safe. */
double att_match_score(const struct att_name *a, const struct att_match_attrs *aa,
		       const struct att_name *b, const struct att_match_attrs *ba,
		       struct att_match_expl *expl);

/* Normalises both UTF-8 names and scores them; *match is set to
 * score >= ATT_MATCH_THRESHOLD. expl may be NULL. Thread-safe. */
enum att_rc att_match_pair(const char *a, const char *b, double *score, bool *match,
			   struct att_match_expl *expl, struct att_err *err) ATT_WUR;

/* Writes a one-line human explanation ("aliyev=aliyev 1.00; ilham~ilqar
 * 0.74; dob +0.05; score 0.52") into buf (NUL-terminated when size > 0);
 * returns the length it needed. */
size_t att_match_expl_text(const struct att_match_expl *e, char *buf, size_t size);

/* Returns a new jansson object describing the explanation ({"score",
 * "name_score","pairs":[{"a","b","sim"}],"unmatched_a":[...],
 * "unmatched_b":[...],"dob_adj","nat_adj"}), owned by the caller (json_decref);
 * NULL when out of memory. */
struct json_t *att_match_expl_json(const struct att_match_expl *e);

/* Writes the explanation as json_dumps(att_match_expl_json(e), JSON_COMPACT)
 * would (the same members in the same order, the same escaping), without
 * building it; a number reads back as the same double, written with only
 * the digits its rounding kept ("0.84", where json_dumps writes
 * "0.83999999999999997"). NUL-terminated when size > 0; returns the length
 * it needed, or 0 (and an empty buf) when a number is not finite. */
size_t att_match_expl_json_text(const struct att_match_expl *e, char *buf, size_t size);

/* ---------------------------------------------------------- identifiers -- */

enum att_id_type {
	ATT_ID_PHONE = 0,
	ATT_ID_IBAN,
	ATT_ID_EMAIL,
	ATT_ID_IP,
	ATT_ID_CIDR,
	ATT_ID_DOMAIN,
	ATT_ID_URL,
	ATT_ID_BTC,
	ATT_ID_ETH,
	ATT_ID_DOCUMENT,
	ATT_ID__COUNT
};

/* Largest canonical form, including the NUL. */
#define ATT_ID_CANON_MAX 256u
/* Largest identifier input accepted. */
#define ATT_ID_INPUT_MAX 2048u

/* "phone", "iban", ... → type; false when unknown. */
bool att_id_type_parse(const char *s, enum att_id_type *t);
/* Type → "phone", "iban", ... */
const char *att_id_type_name(enum att_id_type t);

/* Options of att_id_canon. */
struct att_id_opts {
	const char *default_country; /* ISO alpha-2 for national phone numbers; NULL = "AZ" */
};

/* Canonical form of an identifier, or a refusal with a reason in err:
 *  phone    E.164 "+994501234567" (national formats of AZ RU TR GE IR UA GB
 *           DE FR US with their trunk prefixes; 00/+ international)
 *  iban     "GB82WEST12345698765432" (mod-97, per-country length)
 *  email    "user@xn--domain.example" (lowercase, IDNA domain)
 *  ip       "192.0.2.1", "2001:db8::1" (RFC 5952; v4-mapped v6 → v4)
 *  cidr     "192.0.2.0/24" (host bits cleared)
 *  domain   registrable domain, lowercase A-labels ("www.bbc.co.uk" → "bbc.co.uk")
 *  url      the registrable domain of its host (an IP host gives the IP)
 *  btc      base58check (P2PKH/P2SH) as given, bech32/bech32m lowercase
 *  eth      "0x" + EIP-55 checksummed hex (mixed case input must check)
 *  document uppercase alphanumerics, separators removed
 * in[0..len) is UTF-8; out has outsz bytes (ATT_ID_CANON_MAX suffices).
 * Thread-safe. */
enum att_rc att_id_canon(enum att_id_type t, const char *in, size_t len,
			 const struct att_id_opts *opts, char *out, size_t outsz,
			 struct att_err *err) ATT_WUR;

/* Keccak-256 (the original Keccak padding used by Ethereum, not SHA3-256). */
void att_keccak256(const void *data, size_t len, unsigned char out[32]);

/* ---------------------------------------------------------------- index -- */

/* An in-memory index of names and identifiers, each attached to a 64-bit
 * reference chosen by the caller (who maps refs to records). One ref may have
 * several names (aliases) and identifiers. Adding costs O(tokens of the name),
 * never O(matches). Thread safety: all functions may be called concurrently;
 * queries share a read lock, changes take a write lock. */
struct att_match_index;

struct att_match_index_opts {
	size_t posting_cap; /* a blocking key with more postings only weighs the
			       candidates of rarer keys at query time; 0 = grows
			       with the index: max(4000, names/250) */
	size_t verify_max;  /* candidates verified by the full scorer per query
			       (8x as many get a cheap rerank); 0 = 16. A query
			       asking for more hits verifies deeper (see
			       att_match_index_query) */
	size_t dense_max;   /* up to this many names, a query's candidates are
			       kept in a dense map by entry number, beyond it in
			       a hash map; 0 = 2^21. A small value tests the
			       large-index path on a small index */
};

/* Creates an empty index (opts may be NULL). */
enum att_rc att_match_index_new(struct att_match_index **out,
				const struct att_match_index_opts *opts,
				struct att_err *err) ATT_WUR;
/* Frees the index; NULL is a no-op. Not concurrently with other calls. */
void att_match_index_free(struct att_match_index *ix);

/* Adds one name of ref (UTF-8, normalised here). attrs may be NULL. */
enum att_rc att_match_index_add(struct att_match_index *ix, uint64_t ref,
				const char *name, size_t len,
				const struct att_match_attrs *attrs,
				struct att_err *err) ATT_WUR;
/* Same with an already normalised name (bulk loads normalise in parallel). */
enum att_rc att_match_index_add_norm(struct att_match_index *ix, uint64_t ref,
				     const struct att_name *name,
				     const struct att_match_attrs *attrs,
				     struct att_err *err) ATT_WUR;
/* Adds an identifier of ref; canon must already be att_id_canon()'s output
 * for type. An ATT_ID_CIDR value is found by addresses it contains. */
enum att_rc att_match_index_add_id(struct att_match_index *ix, uint64_t ref,
				   enum att_id_type type, const char *canon,
				   struct att_err *err) ATT_WUR;
/* Removes every name and identifier of ref; returns how many were removed. */
size_t att_match_index_remove(struct att_match_index *ix, uint64_t ref);
/* Replaces all names of ref by one name (identifiers are kept). */
enum att_rc att_match_index_update(struct att_match_index *ix, uint64_t ref,
				   const char *name, size_t len,
				   const struct att_match_attrs *attrs,
				   struct att_err *err) ATT_WUR;
/* Number of names indexed. */
size_t att_match_index_count(struct att_match_index *ix);
/* Bytes allocated by the index beyond its stored normalised names. */
size_t att_match_index_overhead(struct att_match_index *ix);

/* A name query. */
struct att_match_query {
	const char *name;   /* UTF-8 */
	size_t len;
	const struct att_name *norm; /* or an already normalised name (name ignored) */
	struct att_match_attrs attrs;
	double min_score;   /* 0 = ATT_MATCH_THRESHOLD */
	bool explain;       /* fill hits[].expl */
	/* Exhaustive: every key of the query seeds, none is capped, and every
	 * candidate is verified; each name scoring >= min_score is passed to
	 * each (a ref once per such name), and hits gets at most max as
	 * usual. Costs what the candidates cost: for a rare search over what
	 * is held (a person newly protected), not for traffic. */
	bool exhaustive;
	void (*each)(uint64_t ref, double score, void *arg);
	void *each_arg;
};

struct att_match_hit {
	uint64_t ref;
	double score;
	double rank; /* tie-break among equal scores: the name score from raw
			token similarities (Roloturk ranks above Roleturk for a
			query Roloturk though both score 1.0) */
	struct att_match_expl expl; /* when query.explain */
};

/* Finds the names scoring >= min_score against the query; writes at most max
 * hits, best first (by score, then rank; one per ref: its best name), into
 * hits, the count into *n. Candidates come from blocking keys (rarest first,
 * capped postings, pre-scored by shared keys), are reranked cheaply token by
 * token, and the best verify_max are verified by att_match_score(); when max
 * is larger, up to max candidates are, in batches of verify_max for as long
 * as the last batch found a hit (a crowd of namesakes does not hide a name
 * that scores less than they do but is above min_score). Takes
 * the read lock only; no allocation once the calling thread's scratch is
 * warm. Thread-safe, concurrent with other queries. */
enum att_rc att_match_index_query(struct att_match_index *ix,
				  const struct att_match_query *q,
				  struct att_match_hit *hits, size_t max, size_t *n,
				  struct att_err *err) ATT_WUR;

/* How a name holding token t could match a name in ix: ATT_TOKEN_EXACT when
 * one there shares its exact key, ATT_TOKEN_NEAR its skeleton or spelling
 * key (the keys a query seeds from, less prefixes and typos), else
 * ATT_TOKEN_NONE. The cheap test before querying a run of words of free
 * text. Thread-safe. */
enum att_token_level { ATT_TOKEN_NONE, ATT_TOKEN_NEAR, ATT_TOKEN_EXACT };
enum att_token_level att_match_index_token_level(struct att_match_index *ix,
						 const struct att_name_token *t);
/* att_match_index_token_level for the folded Latin text t[0..len) (a
 * part of a token); with near false, only ATT_TOKEN_EXACT or
 * ATT_TOKEN_NONE (one hash, no skeleton). Thread-safe. */
enum att_token_level att_match_index_text_level(struct att_match_index *ix, const char *t,
						size_t len, bool near);

/* Exact identifier lookup: refs holding (type, canon). For ATT_ID_IP it also
 * returns refs holding a CIDR that contains the address. Writes at most max
 * refs, the number found (may exceed max) into *n. Thread-safe. */
enum att_rc att_match_index_query_id(struct att_match_index *ix, enum att_id_type type,
				     const char *canon, uint64_t *refs, size_t max,
				     size_t *n, struct att_err *err) ATT_WUR;

/* ----------------------------------------------------------- watchlists -- */

enum att_wl_kind { ATT_WL_PERSON = 0, ATT_WL_ORG, ATT_WL_OTHER };

struct att_wl_name {
	const char *name;
	const char *quality; /* "good", "low", "a.k.a.", "f.k.a." ...; NULL unknown */
	bool original_script; /* a NAME_ORIGINAL_SCRIPT */
};

/* One list entry, as handed to the callback. Every pointer is owned by the
 * parser and valid only during the callback. */
struct att_wl_entry {
	const char *id; /* list-local: UN DATAID, OFAC ent_num, CSV id */
	const char *reference; /* UN REFERENCE_NUMBER, OFAC program; may be NULL */
	enum att_wl_kind kind;
	const char *name; /* primary name */
	const struct att_wl_name *aliases;
	size_t naliases;
	const char *const *dobs; /* "YYYY-MM-DD", "YYYY-MM" or "YYYY" */
	size_t ndobs;
	const char *const *nationalities;
	size_t nnationalities;
	const char *const *documents; /* "TYPE NUMBER" as listed */
	size_t ndocuments;
	const char *remarks; /* may be NULL */
};

/* Called once per entry; a non-ATT_OK result stops the parse and is
 * returned. */
typedef enum att_rc (*att_wl_cb)(void *ctx, const struct att_wl_entry *e);

/* The three parsers share one contract: the input buf[0..len) is checked
 * against max (ATT_ELIMIT when larger), then parsed and validated COMPLETELY
 * before the first callback, so malformed input (ATT_EINVAL, with a message
 * naming the line or element) emits nothing. Only a callback failure can stop
 * emission half-way; then the caller discards what it received. Thread-safe
 * (no shared state). */

/* UN Security Council consolidated list XML (INDIVIDUAL / ENTITY). A DOCTYPE
 * is refused (no entity expansion, no network). */
enum att_rc att_wl_parse_un_xml(const char *buf, size_t len, size_t max,
				att_wl_cb cb, void *ctx, struct att_err *err) ATT_WUR;

/* OFAC SDN legacy CSV: sdn.csv (ent_num, name, type, program, ..., remarks)
 * joined with alt.csv (ent_num, alt_num, alt_type, alt_name, remarks) on the
 * first column; alt may be NULL. DOB and nationality are taken from remarks
 * ("DOB 01 Jan 1960", "nationality Iran"). */
enum att_rc att_wl_parse_ofac_csv(const char *sdn, size_t sdn_len, const char *alt,
				  size_t alt_len, size_t max, att_wl_cb cb, void *ctx,
				  struct att_err *err) ATT_WUR;

/* Generic CSV with the header "name,aliases,dob,nationality,type,id";
 * aliases are ';'-separated, type is "person" or "org" (empty = person). */
enum att_rc att_wl_parse_csv(const char *buf, size_t len, size_t max, att_wl_cb cb,
			     void *ctx, struct att_err *err) ATT_WUR;

#endif
