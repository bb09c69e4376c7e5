/* The node's match indexes, kept in step with the store. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "holdings.h"
#include "store_exchange.h"
#include "util.h"
#include "banned.h"

#define INBOX_CACHE 512

struct inbox_page {
	char key[320];
	int64_t gen;
	int64_t valid_until;
	json_t *items;
	json_t *next;
};

struct att_holdings {
	pthread_mutex_t mu;
	pthread_mutex_t inbox_mu;
	struct inbox_page inbox[INBOX_CACHE];
	int refs;
	bool loaded;
	struct att_match_index *ix;
	struct att_match_index *prot;
	int64_t last_entity;  /* entities with id <= this are in ix (if delivered) */
	int64_t last_release;
	int64_t wl_gen;
	int64_t prot_max;
	uint64_t *wl_refs;    /* watchlist refs in ix, to drop them on re-import */
	size_t n_wl, cap_wl;
	/* Each indexed entity's home (message, case, kind), by entity id, so
	 * that the hit filter reads no row: 12 bytes an id (ids are dense);
	 * kind 0 where unknown. Its own lock: read by writers' hit filters
	 * while another thread's sync may be adding. */
	pthread_rwlock_t home_lock;
	struct home *home;
	size_t home_cap;
};

struct home {
	uint32_t msg, cas;
	uint8_t kind;
};

/* Ids and homes past these are not kept (the store answers for them). */
#define HOME_ID_MAX (UINT32_C(1) << 30)
#define HOME_SPARSE (UINT32_C(1) << 20)

enum att_rc att_holdings_new(struct att_holdings **out, struct att_err *err)
{
	struct att_holdings *h = calloc(1, sizeof(*h));

	*out = NULL;
	if (!h)
		return att_fail(err, ATT_ENOMEM, "out of memory");
	pthread_mutex_init(&h->mu, NULL);
	pthread_mutex_init(&h->inbox_mu, NULL);
	if (pthread_rwlock_init(&h->home_lock, NULL) != 0) {
		pthread_mutex_destroy(&h->inbox_mu);
		pthread_mutex_destroy(&h->mu);
		free(h);
		return att_fail(err, ATT_ENOMEM, "cannot create a lock");
	}
	h->refs = 1;
	*out = h;
	return ATT_OK;
}

void att_holdings_ref(struct att_holdings *h)
{
	pthread_mutex_lock(&h->mu);
	h->refs++;
	pthread_mutex_unlock(&h->mu);
}

void att_holdings_unref(struct att_holdings *h)
{
	int left;

	if (!h)
		return;
	pthread_mutex_lock(&h->mu);
	left = --h->refs;
	pthread_mutex_unlock(&h->mu);
	if (left)
		return;
	att_match_index_free(h->ix);
	att_match_index_free(h->prot);
	free(h->wl_refs);
	free(h->home);
	pthread_rwlock_destroy(&h->home_lock);
	for (size_t i = 0; i < INBOX_CACHE; i++) {
		json_decref(h->inbox[i].items);
		json_decref(h->inbox[i].next);
	}
	pthread_mutex_destroy(&h->inbox_mu);
	pthread_mutex_destroy(&h->mu);
	free(h);
}

struct att_match_index *att_holdings_index(struct att_node *node)
{
	return node->hold->ix;
}

enum att_rc att_holdings_protected_scope_add(struct att_node *node, int64_t id,
					     const void *value_json, struct att_err *err)
{
	const json_t *v = value_json;
	const char *name = json_string_value(json_object_get(v, "name"));
	const char *dob = json_string_value(json_object_get(v, "dob"));
	struct att_match_attrs attrs = {0, 0};
	enum att_rc rc;

	if (!node->prot_scope && (rc = att_match_index_new(&node->prot_scope, NULL, err)))
		return rc;
	if (dob && !att_match_dob_parse(dob, &attrs.dob))
		attrs.dob = 0;
	if (!name)
		return ATT_OK;
	rc = att_match_index_add(node->prot_scope, (uint64_t)id, name, strlen(name), &attrs, err);
	if (rc == ATT_EINVAL) {
		att_err_clear(err); /* validated when added; nothing to match */
		rc = ATT_OK;
	}
	return rc;
}

void att_holdings_protected_unscope(struct att_node *node)
{
	att_match_index_free(node->prot_scope);
	node->prot_scope = NULL;
}

bool att_holdings_protected_any(struct att_node *node)
{
	size_t n;

	if (node->prot_scope)
		return att_match_index_count(node->prot_scope) > 0;
	pthread_mutex_lock(&node->hold->mu);
	n = node->hold->prot ? att_match_index_count(node->hold->prot) : 0;
	pthread_mutex_unlock(&node->hold->mu);
	return n > 0;
}

enum att_token_level att_holdings_protected_token(struct att_node *node,
						  const struct att_name_token *t)
{
	enum att_token_level level = ATT_TOKEN_NONE;

	if (node->prot_scope)
		return att_match_index_token_level(node->prot_scope, t);
	pthread_mutex_lock(&node->hold->mu);
	if (node->hold->prot)
		level = att_match_index_token_level(node->hold->prot, t);
	pthread_mutex_unlock(&node->hold->mu);
	return level;
}

enum att_token_level att_holdings_protected_text(struct att_node *node, const char *t,
						 size_t len, bool near)
{
	enum att_token_level level = ATT_TOKEN_NONE;

	if (node->prot_scope)
		return att_match_index_text_level(node->prot_scope, t, len, near);
	pthread_mutex_lock(&node->hold->mu);
	if (node->hold->prot)
		level = att_match_index_text_level(node->hold->prot, t, len, near);
	pthread_mutex_unlock(&node->hold->mu);
	return level;
}

enum att_rc att_holdings_query_protected(struct att_node *node, const struct att_match_query *q,
					 struct att_match_hit *hits, size_t max, size_t *n,
					 struct att_err *err)
{
	enum att_rc rc;

	if (node->prot_scope)
		return att_match_index_query(node->prot_scope, q, hits, max, n, err);
	/* Under the lock: the register's index is replaced when it changes. */
	pthread_mutex_lock(&node->hold->mu);
	rc = att_match_index_query(node->hold->prot, q, hits, max, n, err);
	pthread_mutex_unlock(&node->hold->mu);
	return rc;
}

bool att_entity_index_form(const void *value_json, const char **name,
			   struct att_match_attrs *attrs, enum att_id_type *idtype,
			   const char **canon)
{
	const json_t *v = value_json;
	const char *type = json_string_value(json_object_get(v, "type"));

	*name = NULL;
	*canon = NULL;
	memset(attrs, 0, sizeof(*attrs));
	if (!type)
		return false;
	if (!strcmp(type, "person") || !strcmp(type, "organization")) {
		const char *dob = json_string_value(json_object_get(v, "dob"));
		const char *nat = json_string_value(json_object_get(v, "nationality"));

		*name = json_string_value(json_object_get(v, "name"));
		if (dob && !att_match_dob_parse(dob, &attrs->dob))
			attrs->dob = 0;
		attrs->nat = att_match_nat_key(nat);
		return *name != NULL;
	}
	*canon = json_string_value(json_object_get(v, "canon"));
	if (!*canon)
		return false;
	if (!strcmp(type, "vehicle")) {
		*idtype = ATT_ID_DOCUMENT; /* canon carries a "V:" prefix */
		return true;
	}
	if (!att_id_type_parse(type, idtype))
		return false;
	if (*idtype == ATT_ID_URL)
		*idtype = ATT_ID_DOMAIN; /* a URL is matched by its registrable domain */
	return true;
}

bool att_entity_form_of(const void *value_json, struct att_entity_form *f)
{
	memset(f, 0, sizeof(*f));
	return att_entity_index_form(value_json, &f->name, &f->attrs, &f->idtype, &f->canon);
}

static enum att_rc track(struct att_node *node, uint64_t ref, struct att_err *err)
{
	if (node->n_tx_refs == node->cap_tx_refs) {
		size_t cap = node->cap_tx_refs ? node->cap_tx_refs * 2 : 64;
		uint64_t *n = realloc(node->tx_refs, cap * sizeof(*n));

		if (!n)
			return att_fail(err, ATT_ENOMEM, "out of memory");
		node->tx_refs = n;
		node->cap_tx_refs = cap;
	}
	node->tx_refs[node->n_tx_refs++] = ref;
	return ATT_OK;
}

static enum att_rc index_form(struct att_match_index *ix, uint64_t ref,
			      const struct att_entity_form *f, struct att_err *err)
{
	if (f->name) {
		enum att_rc rc = f->norm ? att_match_index_add_norm(ix, ref, f->norm, &f->attrs, err)
					 : att_match_index_add(ix, ref, f->name, strlen(f->name),
							       &f->attrs, err);

		/* A name with no letters cannot be matched; it was validated when the
		 * message was sent, so this is not an error here. */
		if (rc == ATT_EINVAL) {
			att_err_clear(err);
			return ATT_OK;
		}
		return rc;
	}
	return att_match_index_add_id(ix, ref, f->idtype, f->canon, err);
}

static enum att_rc index_value(struct att_match_index *ix, uint64_t ref, const json_t *v,
			       struct att_err *err)
{
	struct att_entity_form f;

	if (!att_entity_form_of(v, &f))
		return ATT_OK;
	return index_form(ix, ref, &f, err);
}

enum att_entity_kind att_entity_kind_of(const char *type)
{
	if (!type)
		return ATT_EK_UNKNOWN;
	if (!strcmp(type, "person"))
		return ATT_EK_PERSON;
	if (!strcmp(type, "organization"))
		return ATT_EK_ORGANIZATION;
	return ATT_EK_IDENTIFIER;
}

/* Remembers (or with home NULL forgets) an entity's home. Out of memory or
 * past the bounds it is simply not kept: the store still answers. */
static void home_set(struct att_holdings *h, int64_t id, const struct att_entity_home *home)
{
	pthread_rwlock_wrlock(&h->home_lock);
	if (id > 0 && (uint64_t)id < HOME_ID_MAX) {
		size_t need = (size_t)id + 1;

		if (home && need > h->home_cap && need <= h->home_cap * 2 + HOME_SPARSE) {
			size_t nc = need + need / 2 + 1024;
			struct home *n = realloc(h->home, nc * sizeof(*n));

			if (n) {
				memset(n + h->home_cap, 0, (nc - h->home_cap) * sizeof(*n));
				h->home = n;
				h->home_cap = nc;
			}
		}
		if ((size_t)id < h->home_cap) {
			struct home *e = &h->home[id];

			memset(e, 0, sizeof(*e));
			if (home && home->msg_id > 0 && (uint64_t)home->msg_id <= UINT32_MAX &&
			    home->case_id > 0 && (uint64_t)home->case_id <= UINT32_MAX) {
				e->msg = (uint32_t)home->msg_id;
				e->cas = (uint32_t)home->case_id;
				e->kind = (uint8_t)home->kind;
			}
		}
	}
	pthread_rwlock_unlock(&h->home_lock);
}

bool att_holdings_home(struct att_node *node, int64_t entity_id, struct att_entity_home *out)
{
	struct att_holdings *h = node->hold;
	bool known = false;

	pthread_rwlock_rdlock(&h->home_lock);
	if (entity_id > 0 && (uint64_t)entity_id < h->home_cap && h->home[entity_id].kind) {
		const struct home *e = &h->home[entity_id];

		out->msg_id = e->msg;
		out->case_id = e->cas;
		out->kind = (enum att_entity_kind)e->kind;
		known = true;
	}
	pthread_rwlock_unlock(&h->home_lock);
	return known;
}

enum att_rc att_holdings_add_form(struct att_node *node, int64_t entity_id,
				  const struct att_entity_home *home,
				  const struct att_entity_form *f, struct att_err *err)
{
	enum att_rc rc = track(node, (uint64_t)entity_id, err);

	if (!rc)
		rc = index_form(node->hold->ix, (uint64_t)entity_id, f, err);
	if (!rc)
		home_set(node->hold, entity_id, home);
	return rc;
}

enum att_rc att_holdings_add_protected(struct att_node *node, int64_t id,
				       const void *value_json, struct att_err *err)
{
	const json_t *v = value_json;
	const char *name = json_string_value(json_object_get(v, "name"));
	const char *dob = json_string_value(json_object_get(v, "dob"));
	struct att_match_attrs attrs = {0, 0};

	if (!name)
		return ATT_OK;
	if (dob && !att_match_dob_parse(dob, &attrs.dob))
		attrs.dob = 0;
	node->tx_refs_protected_dirty = true;
	return att_match_index_add(node->hold->prot, (uint64_t)id, name, strlen(name), &attrs,
				   err);
}

static size_t inbox_slot(const char *key)
{
	uint32_t h = 2166136261u;

	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h % INBOX_CACHE;
}

bool att_holdings_inbox_get(struct att_node *node, const char *key, int64_t gen, int64_t now,
			    void **items, void **next)
{
	struct att_holdings *h = node->hold;
	struct inbox_page *p = &h->inbox[inbox_slot(key)];
	bool hit;

	pthread_mutex_lock(&h->inbox_mu);
	hit = p->items && p->gen == gen && now < p->valid_until && !strcmp(p->key, key);
	if (hit) {
		*items = json_incref(p->items);
		*next = json_incref(p->next);
	}
	pthread_mutex_unlock(&h->inbox_mu);
	return hit;
}

void att_holdings_inbox_put(struct att_node *node, const char *key, int64_t gen,
			    int64_t valid_until, void *items, void *next)
{
	struct att_holdings *h = node->hold;
	struct inbox_page *p = &h->inbox[inbox_slot(key)];
	json_t *old_items, *old_next;

	if (strlen(key) >= sizeof(p->key))
		return;
	pthread_mutex_lock(&h->inbox_mu);
	old_items = p->items;
	old_next = p->next;
	snprintf(p->key, sizeof(p->key), "%s", key);
	p->gen = gen;
	p->valid_until = valid_until;
	p->items = json_incref(items);
	p->next = json_incref(next);
	pthread_mutex_unlock(&h->inbox_mu);
	json_decref(old_items);
	json_decref(old_next);
}

size_t att_holdings_mark(struct att_node *node)
{
	return node->n_tx_refs;
}

void att_holdings_undo(struct att_node *node, size_t mark)
{
	while (node->n_tx_refs > mark) {
		uint64_t ref = node->tx_refs[--node->n_tx_refs];

		att_match_index_remove(node->hold->ix, ref);
		home_set(node->hold, (int64_t)ref, NULL);
	}
}

void att_holdings_commit(struct att_node *node)
{
	uint64_t max = 0;

	for (size_t i = 0; i < node->n_tx_refs; i++)
		if (node->tx_refs[i] > max)
			max = node->tx_refs[i];
	if (node->hold && max) {
		/* What this transaction added needs no reload at the next sync. */
		pthread_mutex_lock(&node->hold->mu);
		if (node->hold->loaded && (int64_t)max > node->hold->last_entity)
			node->hold->last_entity = (int64_t)max;
		pthread_mutex_unlock(&node->hold->mu);
	}
	node->n_tx_refs = 0;
	node->tx_refs_protected_dirty = false;
	node->tx_wl_loaded = false;
}

void att_holdings_rollback(struct att_node *node)
{
	if (!node->hold)
		return;
	att_holdings_undo(node, 0);
	if (node->tx_refs_protected_dirty) {
		/* Rebuild the register's index at the next sync. */
		pthread_mutex_lock(&node->hold->mu);
		node->hold->prot_max = -1;
		pthread_mutex_unlock(&node->hold->mu);
		node->tx_refs_protected_dirty = false;
	}
	if (node->tx_wl_loaded) {
		/* loaded from what is rolled back (an import): load again */
		pthread_mutex_lock(&node->hold->mu);
		node->hold->wl_gen = -1;
		pthread_mutex_unlock(&node->hold->mu);
		node->tx_wl_loaded = false;
	}
}

/* --- loading from the store --------------------------------------------- */

struct load_ctx {
	struct att_node *node;
	struct att_err *err;
	enum att_rc rc;
	int64_t max_id;
	bool replace; /* entities may be indexed already (released here) */
};

static int load_entity(const struct att_entity_row *e, void *arg)
{
	struct load_ctx *c = arg;
	unsigned char *pt = NULL;
	size_t ptlen;
	char ad[48];
	json_t *v;

	snprintf(ad, sizeof(ad), "entity:%lld", (long long)e->msg_id);
	c->rc = att_keys_open(c->node->keys, e->value, e->value_len, ad, &pt, &ptlen, c->err);
	if (c->rc)
		return 1;
	v = json_loadb((const char *)pt, ptlen, 0, NULL);
	free(pt);
	if (!v) {
		c->rc = att_fail(c->err, ATT_ETAMPER, "entity %lld is damaged", (long long)e->id);
		return 1;
	}
	if (c->replace)
		att_match_index_remove(c->node->hold->ix, (uint64_t)e->id);
	c->rc = index_value(c->node->hold->ix, (uint64_t)e->id, v, c->err);
	json_decref(v);
	if (!c->rc) {
		struct att_entity_home home = {e->msg_id, e->case_id, att_entity_kind_of(e->type)};

		home_set(c->node->hold, e->id, &home);
	}
	if (e->id > c->max_id)
		c->max_id = e->id;
	return c->rc != ATT_OK;
}

/* An entity of a message held again: out of the index and its home gone. */
static int drop_entity(const struct att_entity_row *e, void *arg)
{
	struct load_ctx *c = arg;

	att_match_index_remove(c->node->hold->ix, (uint64_t)e->id);
	home_set(c->node->hold, e->id, NULL);
	return 0;
}

static int load_released(int64_t seq, int64_t msg_id, bool withdraw, void *arg)
{
	struct load_ctx *c = arg;

	(void)seq;
	if (att_store_entity_each_of(c->node->store, msg_id, withdraw ? drop_entity : load_entity,
				     c, c->err))
		c->rc = c->rc ? c->rc : ATT_EDB;
	return c->rc != ATT_OK;
}

static int load_wl(int64_t id, const char *list, const char *entry_id, const char *kind,
		   const char *data_json, void *arg)
{
	struct load_ctx *c = arg;
	struct att_holdings *h = c->node->hold;
	uint64_t ref = ATT_REF_WL | (uint64_t)id;
	json_t *d = json_loads(data_json, 0, NULL), *a;
	struct att_match_attrs attrs = {0, 0};
	const char *dob, *nat;
	size_t i;

	(void)list;
	(void)entry_id;
	(void)kind;
	if (!d)
		return 0;
	dob = json_string_value(json_array_get(json_object_get(d, "dobs"), 0));
	nat = json_string_value(json_array_get(json_object_get(d, "nationalities"), 0));
	if (dob && !att_match_dob_parse(dob, &attrs.dob))
		attrs.dob = 0;
	attrs.nat = att_match_nat_key(nat);
	if (h->n_wl == h->cap_wl) {
		size_t cap = h->cap_wl ? h->cap_wl * 2 : 1024;
		uint64_t *n = realloc(h->wl_refs, cap * sizeof(*n));

		if (!n) {
			json_decref(d);
			c->rc = att_fail(c->err, ATT_ENOMEM, "out of memory");
			return 1;
		}
		h->wl_refs = n;
		h->cap_wl = cap;
	}
	h->wl_refs[h->n_wl++] = ref;
	{
		const char *name = json_string_value(json_object_get(d, "name"));
		struct att_err ignored = {0};

		if (name && att_match_index_add(h->ix, ref, name, strlen(name), &attrs, &ignored) ==
				    ATT_ENOMEM) {
			c->rc = att_fail(c->err, ATT_ENOMEM, "out of memory");
			json_decref(d);
			return 1;
		}
	}
	json_array_foreach(json_object_get(d, "aliases"), i, a) {
		const char *name = json_string_value(json_object_get(a, "name"));
		struct att_err ignored = {0};

		if (name && att_match_index_add(h->ix, ref, name, strlen(name), &attrs, &ignored))
			att_err_clear(&ignored); /* an alias without letters is skipped */
	}
	json_decref(d);
	return 0;
}

static int load_prot(int64_t id, const unsigned char *sealed, size_t len, const char *by,
		     int64_t at, void *arg)
{
	struct load_ctx *c = arg;
	unsigned char *pt = NULL;
	size_t ptlen;
	json_t *v;

	(void)by;
	(void)at;
	c->rc = att_keys_open(c->node->keys, sealed, len, "protected", &pt, &ptlen, c->err);
	if (c->rc)
		return 1;
	v = json_loadb((const char *)pt, ptlen, 0, NULL);
	free(pt);
	if (v) {
		const char *name = json_string_value(json_object_get(v, "name"));
		const char *dob = json_string_value(json_object_get(v, "dob"));
		struct att_match_attrs attrs = {0, 0};
		struct att_err ignored = {0};

		if (dob && !att_match_dob_parse(dob, &attrs.dob))
			attrs.dob = 0;
		if (name && att_match_index_add(c->node->hold->prot, (uint64_t)id, name,
						strlen(name), &attrs, &ignored))
			att_err_clear(&ignored); /* validated when added; nothing to match */
		json_decref(v);
	}
	if (id > c->max_id)
		c->max_id = id;
	return 0;
}

enum att_rc att_holdings_sync(struct att_node *node, struct att_err *err)
{
	struct att_holdings *h = node->hold;
	struct load_ctx c = {node, err, ATT_OK, 0, false};
	int64_t max_entity, releases, gen, prot_max = 0;
	enum att_rc rc;

	rc = att_store_entity_watermark(node->store, &max_entity, &releases, err);
	if (!rc)
		rc = att_store_wl_generation(node->store, &gen, err);
	if (rc)
		return rc;
	pthread_mutex_lock(&h->mu);
	if (!h->ix) {
		rc = att_match_index_new(&h->ix, NULL, err);
		if (!rc)
			rc = att_match_index_new(&h->prot, NULL, err);
		if (rc)
			goto out;
	}
	/* New entities of delivered messages, then, since the last look, the
	 * entities of messages released from review (in) and of delivered
	 * messages held again (out), in the order it happened. */
	if (!h->loaded || max_entity > h->last_entity) {
		c.max_id = h->last_entity;
		/* After the first load an entity may be indexed already (added by
		 * this process's own transaction): re-adding replaces it. */
		c.replace = h->loaded;
		rc = att_store_entity_each_since(node->store, h->loaded ? h->last_entity : 0,
						 load_entity, &c, err);
		if (!rc)
			rc = c.rc;
		if (rc)
			goto out;
		h->last_entity = max_entity;
	}
	if (h->loaded && releases > h->last_release) {
		c.max_id = 0;
		c.replace = true;
		rc = att_store_release_each_since(node->store, h->last_release, load_released, &c,
						  err);
		if (!rc)
			rc = c.rc;
		if (rc)
			goto out;
		c.replace = false;
	}
	/* never back: a thread whose read began before another's sync must not
	 * replay releases without the withdrawals after them */
	if (releases > h->last_release)
		h->last_release = releases;
	/* the generation and the register's last id only grow: a thread on
	 * an older read must not load what another thread has moved past */
	if (!h->loaded || gen > h->wl_gen) {
		for (size_t i = 0; i < h->n_wl; i++)
			att_match_index_remove(h->ix, h->wl_refs[i]);
		h->n_wl = 0;
		rc = att_store_wl_entry_each(node->store, NULL, 0, load_wl, &c, err);
		if (!rc)
			rc = c.rc;
		if (rc)
			goto out;
		h->wl_gen = gen;
		node->tx_wl_loaded = true;
	}
	/* The register is small: its index is rebuilt whenever it changed. */
	rc = att_store_protected_max(node->store, &prot_max, err);
	if (rc)
		goto out;
	if (!h->loaded || prot_max > h->prot_max) {
		struct att_match_index *fresh = NULL;

		rc = att_match_index_new(&fresh, NULL, err);
		if (rc)
			goto out;
		att_match_index_free(h->prot);
		h->prot = fresh;
		rc = att_store_protected_each(node->store, load_prot, &c, err);
		if (!rc)
			rc = c.rc;
		if (rc)
			goto out;
		h->prot_max = prot_max;
	}
	h->loaded = true;
out:
	pthread_mutex_unlock(&h->mu);
	return rc;
}
