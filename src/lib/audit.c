/* The audit trail: RFC 6962 Merkle-tree log over serialized entries, with a
 * signed tree head per committed transaction. See docs/internals/audit.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "holdings.h"
#include "node_int.h"
#include "store_core.h"
#include "util.h"
#include "banned.h"

#define ENTRY_MAX (64u * 1024u)
#define STH_MAGIC "attache-sth-v1"
#define STH_MSG_LEN (sizeof(STH_MAGIC) - 1 + 16 + ATT_HASH_LEN)

static void leaf_hash(unsigned char out[ATT_HASH_LEN], const void *data, size_t len)
{
	static const unsigned char zero = 0x00;

	att_sha256(out, &zero, 1, data, len, NULL, 0);
}

static void node_hash(unsigned char out[ATT_HASH_LEN], const unsigned char l[ATT_HASH_LEN],
		      const unsigned char r[ATT_HASH_LEN])
{
	static const unsigned char one = 0x01;

	att_sha256(out, &one, 1, l, ATT_HASH_LEN, r, ATT_HASH_LEN);
}

/* Appends a leaf to the frontier; nodes receives the interior nodes the leaf
 * completes (levels 1..k), *nnodes their count. */
static void frontier_push(struct att_audit_frontier *f, const unsigned char leaf[ATT_HASH_LEN],
			  unsigned char nodes[][ATT_HASH_LEN], size_t *nnodes)
{
	unsigned char h[ATT_HASH_LEN];
	unsigned level = 0;

	memcpy(h, leaf, ATT_HASH_LEN);
	*nnodes = 0;
	while (level < ATT_AUDIT_LEVELS - 1 && (f->size >> level) & 1u) {
		node_hash(h, f->hash[level], h);
		if (nodes)
			memcpy(nodes[*nnodes], h, ATT_HASH_LEN);
		(*nnodes)++;
		level++;
	}
	memcpy(f->hash[level], h, ATT_HASH_LEN);
	f->size++;
}

/* RFC 6962 MTH over the frontier's leaves. */
static void frontier_root(const struct att_audit_frontier *f, unsigned char out[ATT_HASH_LEN])
{
	bool have = false;

	if (f->size == 0) {
		att_sha256(out, NULL, 0, NULL, 0, NULL, 0);
		return;
	}
	for (unsigned level = 0; level < ATT_AUDIT_LEVELS; level++) {
		if (!((f->size >> level) & 1u))
			continue;
		if (!have) {
			memcpy(out, f->hash[level], ATT_HASH_LEN);
			have = true;
		} else {
			node_hash(out, f->hash[level], out);
		}
	}
}

static void sth_message(unsigned char msg[STH_MSG_LEN], uint64_t size, int64_t ts,
			const unsigned char root[ATT_HASH_LEN])
{
	size_t o = strlen(STH_MAGIC);

	memcpy(msg, STH_MAGIC, o);
	for (int i = 7; i >= 0; i--)
		msg[o++] = (unsigned char)(size >> (8 * i));
	for (int i = 7; i >= 0; i--)
		msg[o++] = (unsigned char)((uint64_t)ts >> (8 * i));
	memcpy(msg + o, root, ATT_HASH_LEN);
}

enum att_rc att_audit_load(struct att_node *node, struct att_err *err)
{
	struct att_audit_frontier *f = &node->audit;
	uint64_t n, start = 0;
	enum att_rc rc;

	memset(f, 0, sizeof(*f));
	rc = att_store_audit_count(node->store, &n, err);
	if (rc)
		return rc;
	for (int level = ATT_AUDIT_LEVELS - 1; level >= 0; level--) {
		uint64_t span;

		if (!((n >> level) & 1u))
			continue;
		span = (uint64_t)1 << level;
		rc = att_store_audit_node(node->store, start + span - 1, (unsigned)level,
					  f->hash[level], err);
		if (rc)
			return rc;
		start += span;
	}
	f->size = n;
	node->audit_saved = *f;
	node->audit_pending = 0;
	return ATT_OK;
}

/* Writes s with tab, newline and backslash escaped, so fields never mix. */
static enum att_rc add_field(struct att_buf *b, const char *s)
{
	enum att_rc rc = ATT_OK;

	if (!s || !*s)
		return att_buf_adds(b, "-");
	while (*s && !rc) {
		size_t run = strcspn(s, "\t\n\\");

		if (run)
			rc = att_buf_add(b, s, run);
		s += run;
		if (!*s || rc)
			break;
		rc = att_buf_adds(b, *s == '\t' ? "\\t" : *s == '\n' ? "\\n" : "\\\\");
		s++;
	}
	return rc;
}

/* Appends one entry (fields as written) inside the open write transaction. */
static enum att_rc append_fields(struct att_node *node, const char *actor, const char *role,
				 const char *action, const char *object, const char *detail,
				 struct att_err *err)
{
	unsigned char leaf[ATT_HASH_LEN], nodes[ATT_AUDIT_LEVELS][ATT_HASH_LEN];
	struct att_buf b;
	size_t nnodes;
	uint64_t idx = node->audit.size;
	enum att_rc rc;

	att_buf_init(&b, ENTRY_MAX);
	rc = att_buf_addf(&b, "%llu\t%lld\t", (unsigned long long)idx, (long long)att_now());
	if (!rc)
		rc = add_field(&b, actor);
	if (!rc)
		rc = att_buf_adds(&b, "\t");
	if (!rc)
		rc = add_field(&b, role);
	if (!rc)
		rc = att_buf_adds(&b, "\t");
	if (!rc)
		rc = add_field(&b, action);
	if (!rc)
		rc = att_buf_adds(&b, "\t");
	if (!rc)
		rc = add_field(&b, object);
	if (!rc)
		rc = att_buf_adds(&b, "\t");
	if (!rc)
		rc = add_field(&b, detail ? detail : "{}");
	if (rc) {
		att_buf_release(&b);
		return att_fail(err, rc, "audit entry too large");
	}
	leaf_hash(leaf, b.data, b.len);
	frontier_push(&node->audit, leaf, nodes, &nnodes);
	rc = att_store_audit_insert(node->store, idx, b.data, b.len, leaf, &nodes[0][0], nnodes,
				    err);
	att_buf_release(&b);
	if (rc)
		return rc;
	node->audit_pending++;
	return ATT_OK;
}

static void pend_free(struct att_node *node)
{
	for (size_t i = 0; i < node->npend; i++) {
		free((void *)node->pend[i].actor);
		free((void *)node->pend[i].role);
		free((void *)node->pend[i].action);
		free((void *)node->pend[i].object);
		free((void *)node->pend[i].detail);
	}
	node->npend = 0;
}

enum att_rc att_audit_append(struct att_node *node, const struct att_actor *actor,
			     const char *action, const char *object, const char *detail,
			     struct att_err *err)
{
	const char *who = actor ? actor->id : "system";
	const char *role = actor ? att_role_name(actor->role) : "system";

	if (!att_store_in_tx(node->store))
		return att_fail(err, ATT_EDB, "audit entries are written inside a transaction");
	if (node->read_tx) {
		struct att_audit_item *it;

		if (node->npend == node->cappend) {
			size_t cap = node->cappend ? 2 * node->cappend : 4;
			struct att_audit_item *n = realloc(node->pend, cap * sizeof(*n));

			if (!n)
				return att_fail(err, ATT_ENOMEM, "out of memory");
			node->pend = n;
			node->cappend = cap;
		}
		it = &node->pend[node->npend];
		it->actor = att_strdup(who);
		it->role = att_strdup(role);
		it->action = att_strdup(action ? action : "-");
		it->object = att_strdup(object ? object : "-");
		it->detail = detail ? att_strdup(detail) : NULL;
		node->npend++;
		if (!it->actor || !it->role || !it->action || !it->object || (detail && !it->detail))
			return att_fail(err, ATT_ENOMEM, "out of memory");
		return ATT_OK;
	}
	return append_fields(node, who, role, action, object, detail, err);
}

void att_node_set_audit_sink(struct att_node *node, att_audit_sink fn, void *ctx)
{
	node->sink = fn;
	node->sink_ctx = ctx;
}

enum att_rc att_audit_append_items(struct att_node *node, const struct att_audit_item *items,
				   size_t n, struct att_err *err)
{
	enum att_rc rc = att_node_begin(node, err);

	for (size_t i = 0; !rc && i < n; i++)
		rc = append_fields(node, items[i].actor, items[i].role, items[i].action,
				   items[i].object, items[i].detail, err);
	if (rc) {
		att_node_rollback(node);
		return rc;
	}
	return att_node_commit(node, err);
}

enum att_rc att_node_begin_read(struct att_node *node, struct att_err *err)
{
	enum att_rc rc = att_store_begin_read(node->store, err);

	if (rc)
		return rc;
	node->read_tx = true;
	node->npend = 0;
	node->tx_epoch++;
	return ATT_OK;
}

enum att_rc att_node_end_read(struct att_node *node, enum att_rc rc, struct att_err *err)
{
	struct att_err ferr = {0};
	enum att_rc frc = ATT_OK;

	/* End the snapshot first: the entries are appended by a writer. */
	att_store_rollback(node->store);
	node->read_tx = false;
	att_holdings_commit(node);
	if (node->npend) {
		if (node->sink)
			frc = node->sink(node->sink_ctx, node->pend, node->npend, &ferr);
		else
			frc = att_audit_append_items(node, node->pend, node->npend, &ferr);
	}
	pend_free(node);
	if (rc)
		return rc;
	if (frc) {
		att_fail(err, frc, "the read could not be audited: %s", ferr.msg);
		return frc;
	}
	return ATT_OK;
}

enum att_rc att_node_begin(struct att_node *node, struct att_err *err)
{
	enum att_rc rc = att_store_begin(node->store, err);
	uint64_t n;

	if (rc)
		return rc;
	/* Another connection to the same file may have appended since we last
	 * looked; the write lock is held now, so the frontier read here stays
	 * true until commit. */
	rc = att_store_audit_count(node->store, &n, err);
	if (!rc && n != node->audit.size)
		rc = att_audit_load(node, err);
	if (rc) {
		att_store_rollback(node->store);
		return rc;
	}
	node->audit_saved = node->audit;
	node->audit_pending = 0;
	node->tx_epoch++;
	return ATT_OK;
}

void att_node_rollback(struct att_node *node)
{
	if (node->read_tx) {
		/* A failed read still leaves the entries it recorded (a refused
		 * attempt is one). */
		(void)!att_node_end_read(node, ATT_EDB, NULL);
		return;
	}
	/* the index first, while the write lock is held: once it is released,
	 * another thread sharing the holdings may take the same entity ids,
	 * and an undo after that would remove its entries */
	att_holdings_rollback(node);
	att_store_rollback(node->store);
	node->audit = node->audit_saved;
	node->audit_pending = 0;
}

enum att_rc att_node_commit(struct att_node *node, struct att_err *err)
{
	enum att_rc rc;

	if (node->read_tx)
		return att_node_end_read(node, ATT_OK, err);
	if (node->audit_pending) {
		unsigned char root[ATT_HASH_LEN], msg[STH_MSG_LEN], sig[ATT_SIG_LEN];
		int64_t ts = att_now();

		frontier_root(&node->audit, root);
		sth_message(msg, node->audit.size, ts, root);
		att_keys_sign(node->keys, msg, sizeof(msg), sig);
		rc = att_store_audit_head_insert(node->store, node->audit.size, ts, root, sig, err);
		if (rc) {
			att_node_rollback(node);
			return rc;
		}
	}
	rc = att_store_commit(node->store, err);
	if (rc) {
		/* the store has rolled back already (a failed COMMIT may end the
		 * transaction by itself): the lock is free before this undo, a
		 * window att_node_rollback does not have */
		node->audit = node->audit_saved;
		node->audit_pending = 0;
		att_holdings_rollback(node);
		return rc;
	}
	att_holdings_commit(node);
	node->audit_saved = node->audit;
	node->audit_pending = 0;
	return ATT_OK;
}

/* --- verification ------------------------------------------------------ */

struct verify_state {
	struct att_audit_frontier f;
	struct att_audit_report *rep;
	const unsigned char *pk;
	/* signed heads, loaded first, checked as the walk reaches their size */
	struct head {
		uint64_t size;
		int64_t ts;
		unsigned char root[ATT_HASH_LEN];
		unsigned char sig[ATT_SIG_LEN];
		bool malformed;
	} *heads;
	size_t nheads, cap, next;
	bool failed;
};

static int collect_head(const struct att_head_row *h, void *arg)
{
	struct verify_state *v = arg;
	struct head *e;

	if (v->nheads == v->cap) {
		size_t ncap = v->cap ? v->cap * 2 : 64;
		struct head *nh = realloc(v->heads, ncap * sizeof(*nh));

		if (!nh)
			return 1;
		v->heads = nh;
		v->cap = ncap;
	}
	e = &v->heads[v->nheads++];
	memset(e, 0, sizeof(*e));
	e->size = h->size;
	e->ts = h->ts;
	if (!h->root || h->rootlen != ATT_HASH_LEN || !h->sig || h->siglen != ATT_SIG_LEN) {
		e->malformed = true;
	} else {
		memcpy(e->root, h->root, ATT_HASH_LEN);
		memcpy(e->sig, h->sig, ATT_SIG_LEN);
	}
	return 0;
}

static int bad(struct verify_state *v, int64_t entry, int64_t head, const char *fmt, ...)
	ATT_PRINTF(4, 5);
static int bad(struct verify_state *v, int64_t entry, int64_t head, const char *fmt, ...)
{
	va_list ap;

	v->failed = true;
	v->rep->ok = false;
	v->rep->bad_entry = entry;
	v->rep->bad_head = head;
	va_start(ap, fmt);
	vsnprintf(v->rep->reason, sizeof(v->rep->reason), fmt, ap);
	va_end(ap);
	return 1;
}

static int check_heads_at(struct verify_state *v)
{
	while (v->next < v->nheads && v->heads[v->next].size <= v->f.size) {
		struct head *h = &v->heads[v->next];
		unsigned char root[ATT_HASH_LEN], msg[STH_MSG_LEN];

		if (h->size < v->f.size || h->size == 0)
			return bad(v, (int64_t)h->size, (int64_t)h->size,
				   "signed tree head at size %llu does not match the log",
				   (unsigned long long)h->size);
		if (h->malformed)
			return bad(v, (int64_t)h->size - 1, (int64_t)h->size,
				   "signed tree head at size %llu is damaged",
				   (unsigned long long)h->size);
		frontier_root(&v->f, root);
		if (memcmp(root, h->root, ATT_HASH_LEN))
			return bad(v, (int64_t)h->size - 1, (int64_t)h->size,
				   "the tree of entries 0..%llu does not give the root of the signed "
				   "head at size %llu",
				   (unsigned long long)h->size - 1, (unsigned long long)h->size);
		sth_message(msg, h->size, h->ts, h->root);
		if (!att_sig_verify(v->pk, msg, sizeof(msg), h->sig))
			return bad(v, (int64_t)h->size - 1, (int64_t)h->size,
				   "the signature of the tree head at size %llu is not valid",
				   (unsigned long long)h->size);
		v->rep->heads++;
		v->next++;
	}
	return 0;
}

static int verify_row(const struct att_audit_row *r, void *arg)
{
	struct verify_state *v = arg;
	unsigned char leaf[ATT_HASH_LEN], nodes[ATT_AUDIT_LEVELS][ATT_HASH_LEN];
	size_t nnodes;
	uint64_t idx = v->f.size;
	char prefix[24];
	int plen;

	if (r->idx != idx)
		return bad(v, (int64_t)idx, -1, "audit entry %llu is missing (next stored is %llu)",
			   (unsigned long long)idx, (unsigned long long)r->idx);
	plen = snprintf(prefix, sizeof(prefix), "%llu\t", (unsigned long long)idx);
	if (r->len < (size_t)plen || memcmp(r->data, prefix, (size_t)plen))
		return bad(v, (int64_t)idx, -1,
			   "audit entry %llu is out of order (its content names another position)",
			   (unsigned long long)idx);
	leaf_hash(leaf, r->data, r->len);
	if (!r->leaf || r->leaflen != ATT_HASH_LEN || memcmp(leaf, r->leaf, ATT_HASH_LEN))
		return bad(v, (int64_t)idx, -1,
			   "audit entry %llu was altered (its content does not match its leaf hash)",
			   (unsigned long long)idx);
	frontier_push(&v->f, leaf, nodes, &nnodes);
	if (r->nodeslen != nnodes * ATT_HASH_LEN ||
	    (nnodes && memcmp(nodes, r->nodes, nnodes * ATT_HASH_LEN)))
		return bad(v, (int64_t)idx, -1,
			   "audit entry %llu: a stored tree node was altered",
			   (unsigned long long)idx);
	v->rep->entries++;
	return check_heads_at(v);
}

enum att_rc att_audit_verify(struct att_node *node, struct att_audit_report *report,
			     struct att_err *err)
{
	struct verify_state v;
	struct att_keys *keys = NULL;
	char *kpath;
	enum att_rc rc;

	memset(report, 0, sizeof(*report));
	report->ok = true;
	report->bad_entry = report->bad_head = -1;
	memset(&v, 0, sizeof(v));
	v.rep = report;
	/* The public key comes from the key file, not from the database that is
	 * being checked. */
	kpath = att_node_key_path(node->db_path);
	if (!kpath)
		return att_fail(err, ATT_ENOMEM, "out of memory");
	rc = att_keys_load(kpath, &keys, err);
	free(kpath);
	if (rc)
		return rc;
	v.pk = att_keys_public(keys);
	/* One snapshot for heads and entries: a writer appending meanwhile must
	 * not make the log look truncated. */
	rc = att_store_begin_read(node->store, err);
	if (rc)
		goto out;
	rc = att_store_audit_heads_each(node->store, collect_head, &v, err);
	if (!rc)
		rc = att_store_audit_each(node->store, 0, 0, false, 0, verify_row, &v, err);
	att_store_rollback(node->store);
	if (rc)
		goto out;
	if (!v.failed && v.next < v.nheads)
		bad(&v, (int64_t)v.f.size, (int64_t)v.heads[v.next].size,
		    "audit entries from %llu on are missing (a signed tree head covers %llu "
		    "entries, the log holds %llu)",
		    (unsigned long long)v.f.size, (unsigned long long)v.heads[v.next].size,
		    (unsigned long long)v.f.size);
	if (!v.failed && v.f.size > 0 && (v.nheads == 0 || v.heads[v.nheads - 1].size != v.f.size))
		bad(&v, (int64_t)(v.nheads ? v.heads[v.nheads - 1].size : 0), -1,
		    "audit entries from %llu on are not covered by a signed tree head",
		    (unsigned long long)(v.nheads ? v.heads[v.nheads - 1].size : 0));
	if (v.failed) {
		rc = att_fail(err, ATT_ETAMPER, "%s", report->reason);
		goto out;
	}
	frontier_root(&v.f, report->root);
out:
	free(v.heads);
	att_keys_free(keys);
	return rc;
}

/* --- listing ------------------------------------------------------------ */

static char *unescape_field(const char *s, size_t n)
{
	char *o = malloc(n + 1);
	size_t j = 0;

	if (!o)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n) {
			i++;
			o[j++] = s[i] == 't' ? '\t' : s[i] == 'n' ? '\n' : s[i];
		} else {
			o[j++] = s[i];
		}
	}
	o[j] = '\0';
	return o;
}

/* Parses a serialized entry into a JSON object. */
static json_t *entry_json(const char *data, size_t len)
{
	static const char *const names[] = {"seq", "ts", "actor", "role", "action", "object",
					    "detail"};
	json_t *o = json_object();
	size_t start = 0, field = 0;

	if (!o)
		return NULL;
	for (size_t i = 0; i <= len && field < 7; i++) {
		if (i < len && (data[i] != '\t' || field == 6))
			continue;
		{
			char *v = unescape_field(data + start, i - start);

			if (!v)
				break;
			if (field == 0) {
				json_object_set_new(o, names[field], json_integer(strtoll(v, NULL, 10)));
			} else if (field == 1) {
				char t[32];

				att_time_fmt(strtoll(v, NULL, 10), t);
				json_object_set_new(o, names[field], json_string(t));
			} else if (field == 6) {
				json_t *d = json_loads(v, 0, NULL);

				json_object_set_new(o, names[field], d ? d : json_string(v));
			} else {
				json_object_set_new(o, names[field],
						    json_stringn_nocheck(v, strlen(v)));
			}
			free(v);
		}
		start = i + 1;
		field++;
	}
	return o;
}

struct list_ctx {
	json_t *arr;
	const struct att_keys *open_with; /* the overseer's view opens sealed members */
};

/* Members named <x>_sealed hold base64 ciphertext (sealed with associated
 * data "audit"): the overseer sees <x> in clear, others see them sealed. */
static void open_sealed(json_t *detail, const struct att_keys *keys)
{
	const char *k;
	json_t *v;
	void *tmp;

	if (!json_is_object(detail) || !keys)
		return;
	json_object_foreach_safe(detail, tmp, k, v) {
		size_t kl = strlen(k), bl;
		unsigned char *bin, *pt = NULL;
		size_t ptlen = 0;
		const char *b64 = json_string_value(v);
		char name[64];

		if (kl < 8 || strcmp(k + kl - 7, "_sealed") || !b64 || kl - 7 >= sizeof(name))
			continue;
		bl = strlen(b64);
		bin = malloc(bl + 1);
		if (!bin)
			continue;
		if (sodium_base642bin(bin, bl, b64, bl, NULL, &bl, NULL,
				      sodium_base64_VARIANT_ORIGINAL) == 0 &&
		    att_keys_open(keys, bin, bl, "audit", &pt, &ptlen, NULL) == ATT_OK) {
			memcpy(name, k, kl - 7);
			name[kl - 7] = '\0';
			json_object_set_new(detail, name, json_stringn((const char *)pt, ptlen));
			json_object_del(detail, k);
		}
		free(pt);
		free(bin);
	}
}

static int list_row(const struct att_audit_row *r, void *arg)
{
	struct list_ctx *c = arg;
	json_t *e = entry_json(r->data, r->len);

	if (e) {
		open_sealed(json_object_get(e, "detail"), c->open_with);
		json_array_append_new(c->arr, e);
	}
	return 0;
}

enum att_rc att_audit_list(struct att_node *node, const char *actor_id, uint64_t before,
			   size_t limit, void **out_json, struct att_err *err)
{
	struct att_actor actor;
	json_t *arr;
	enum att_rc rc;

	*out_json = NULL;
	rc = att_actor_load(node, actor_id, &actor, err);
	if (rc)
		return rc;
	rc = att_authz(&actor, ATT_ACT_AUDIT_READ, NULL, err);
	if (rc)
		return rc;
	if (limit == 0 || limit > 10000)
		limit = limit ? 10000 : 100;
	arr = json_array();
	if (!arr)
		return att_fail(err, ATT_ENOMEM, "out of memory");
	rc = att_node_begin_read(node, err);
	if (rc)
		goto fail;
	{
		struct list_ctx lc = {arr, actor.role == ATT_ROLE_OVERSEER ? node->keys : NULL};

		rc = att_store_audit_each(node->store, 0, before, true, limit, list_row, &lc, err);
	}
	if (!rc) {
		char detail[96];

		snprintf(detail, sizeof(detail), "{\"count\":%zu}", json_array_size(arr));
		rc = att_audit_append(node, &actor, "audit.read", "audit", detail, err);
	}
	if (rc) {
		att_node_rollback(node);
		goto fail;
	}
	rc = att_node_commit(node, err);
	if (rc)
		goto fail;
	*out_json = arr;
	return ATT_OK;
fail:
	json_decref(arr);
	return rc;
}

enum att_rc att_audit_head(struct att_node *node, void **out_json, struct att_err *err)
{
	unsigned char root[ATT_HASH_LEN], sig[ATT_SIG_LEN];
	char rhex[2 * ATT_HASH_LEN + 1], shex[2 * ATT_SIG_LEN + 1], khex[2 * ATT_PK_LEN + 1];
	char t[32];
	uint64_t size;
	int64_t ts;
	enum att_rc rc;

	*out_json = NULL;
	rc = att_store_audit_head_last(node->store, &size, &ts, root, sig, err);
	if (rc == ATT_ENOTFOUND)
		return att_fail(err, ATT_ENOTFOUND, "the audit log has no signed head yet");
	if (rc)
		return rc;
	att_hex(root, ATT_HASH_LEN, rhex);
	att_hex(sig, ATT_SIG_LEN, shex);
	att_hex(att_keys_public(node->keys), ATT_PK_LEN, khex);
	att_time_fmt(ts, t);
	*out_json = json_pack("{s:I,s:s,s:s,s:s,s:s}", "size", (json_int_t)size, "root", rhex,
			      "ts", t, "signature", shex, "key", khex);
	return *out_json ? ATT_OK : att_fail(err, ATT_ENOMEM, "out of memory");
}

void att_audit_mth(const void *const *data, const size_t *lens, size_t n,
		   unsigned char out[ATT_HASH_LEN])
{
	struct att_audit_frontier f;
	unsigned char leaf[ATT_HASH_LEN];
	size_t nn;

	memset(&f, 0, sizeof(f));
	for (size_t i = 0; i < n; i++) {
		leaf_hash(leaf, data[i], lens[i]);
		frontier_push(&f, leaf, NULL, &nn);
	}
	frontier_root(&f, out);
}

/* --- the end of a use case ------------------------------------------------ */

enum att_rc att_audit_json(struct att_node *node, const struct att_actor *actor,
			   const char *action, const char *object, json_t *detail,
			   struct att_err *err)
{
	char *ds = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	enum att_rc rc;

	json_decref(detail);
	if (detail && !ds)
		return att_fail(err, ATT_ENOMEM, "out of memory");
	rc = att_audit_append(node, actor, action, object, ds, err);
	free(ds);
	return rc;
}

enum att_rc att_node_done(struct att_node *node, enum att_rc rc, struct att_err *err)
{
	if (rc) {
		att_node_rollback(node);
		return rc;
	}
	return att_node_commit(node, err);
}

enum att_rc att_node_done_json(struct att_node *node, enum att_rc rc, json_t *v, void **out_json,
			       struct att_err *err)
{
	rc = att_node_done(node, rc, err);
	if (rc) {
		json_decref(v);
		return rc;
	}
	*out_json = v;
	return ATT_OK;
}

/* Ends a read: audits it (action on object with detail, stolen) when rc is
 * ATT_OK, ends the transaction, and hands v to *out_json, or frees it when
 * rc or the end fails. */
static enum att_rc read_done(struct att_node *node, const struct att_actor *actor,
			     const char *action, const char *object, json_t *detail,
			     enum att_rc rc, json_t *v, void **out_json, struct att_err *err)
{
	if (!rc)
		rc = att_audit_json(node, actor, action, object, detail, err);
	else
		json_decref(detail);
	return att_node_done_json(node, rc, v, out_json, err);
}

enum att_rc att_node_list_done(struct att_node *node, const struct att_actor *actor,
			       const char *action, const char *object, enum att_rc rc,
			       json_t *arr, void **out_json, struct att_err *err)
{
	return read_done(node, actor, action, object,
			 rc ? NULL : json_pack("{s:I}", "count", (json_int_t)json_array_size(arr)),
			 rc, arr, out_json, err);
}

/* att_node_list and att_node_show; list: *v starts as an empty array and
 * the entry has its count. */
static enum att_rc node_read(struct att_node *node, const char *actor_id, enum att_action act,
			     const char *action, const char *object, bool list,
			     att_make_fn make, void *ctx, void **out_json, struct att_err *err)
{
	struct att_actor actor;
	json_t *v = NULL;
	enum att_rc rc;

	*out_json = NULL;
	rc = att_node_begin_read(node, err);
	if (rc)
		return rc;
	rc = att_actor_authz(node, actor_id, act, &actor, err);
	if (!rc && list && !(v = json_array()))
		rc = att_fail(err, ATT_ENOMEM, "out of memory");
	if (!rc)
		rc = make(node, &actor, ctx, &v, err);
	if (list)
		return att_node_list_done(node, &actor, action, object, rc, v, out_json, err);
	return read_done(node, &actor, action, object, NULL, rc, v, out_json, err);
}

enum att_rc att_node_list(struct att_node *node, const char *actor_id, enum att_action act,
			  const char *action, const char *object, att_make_fn fill, void *ctx,
			  void **out_json, struct att_err *err)
{
	return node_read(node, actor_id, act, action, object, true, fill, ctx, out_json, err);
}

enum att_rc att_node_show(struct att_node *node, const char *actor_id, enum att_action act,
			  const char *action, const char *object, att_make_fn make, void *ctx,
			  void **out_json, struct att_err *err)
{
	return node_read(node, actor_id, act, action, object, false, make, ctx, out_json, err);
}
