/* Parsers of OFAC's legacy SDN CSV (sdn.csv joined with alt.csv on the
 * first column) and of the generic watchlist CSV
 * (name,aliases,dob,nationality,type,id). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "attache/match.h"
#include "wl_int.h"
#include "util.h"
#include "banned.h"

static bool null_field(const char *s)
{
	while (*s == ' ')
		s++;
	return *s == 0 || strncmp(s, "-0-", 3) == 0;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* DOB and nationality from OFAC remarks: "DOB 10 Dec 1948; ... nationality
 * Iran; ..." (also "DOB circa 1960", "DOB 1946 to 1948"). */
static bool remarks_attrs(struct wl_item *it, const char *r)
{
	for (const char *p = r; (p = strstr(p, "DOB ")) != NULL; p += 4) {
		const char *v = p + 4;
		static const size_t lens[] = {11, 8, 4};

		if (strncmp(v, "circa ", 6) == 0)
			v += 6;
		for (size_t k = 0; k < 3; k++) {
			char tmp[12];
			uint32_t d;

			if (strlen(v) < lens[k])
				continue;
			memcpy(tmp, v, lens[k]);
			tmp[lens[k]] = 0;
			if (att_match_dob_parse(tmp, &d)) {
				if (!wl_add_str(&it->dobs, &it->ndobs, &it->cap_dobs, tmp, lens[k]))
					return false;
				break;
			}
		}
	}
	for (const char *p = r; (p = strstr(p, "nationality ")) != NULL; p += 12) {
		const char *v = p + 12;
		size_t n = strcspn(v, ";.");

		if (n > 0 && n < 64 && !wl_add_str(&it->nats, &it->nnats, &it->cap_nats, v, n))
			return false;
	}
	return true;
}

struct byid {
	long num;
	size_t idx;
};

static int cmp_byid(const void *a, const void *b)
{
	const struct byid *x = a, *y = b;

	return x->num < y->num ? -1 : x->num > y->num;
}

enum att_rc att_wl_parse_ofac_csv(const char *sdn, size_t sdn_len, const char *alt,
				  size_t alt_len, size_t max, att_wl_cb cb, void *ctx,
				  struct att_err *err)
{
	struct wl_list l = {0};
	struct csv c;
	struct byid *ids = NULL;
	enum att_rc rc = ATT_OK;
	int r;

	if (sdn_len > max || alt_len > max)
		return att_fail(err, ATT_ELIMIT, "OFAC file is larger than the limit of %zu bytes", max);
	if (!sdn || !att_utf8_valid(sdn, sdn_len))
		return att_fail(err, ATT_EINVAL, "OFAC sdn.csv is missing or not valid UTF-8");
	if (alt && !att_utf8_valid(alt, alt_len))
		return att_fail(err, ATT_EINVAL, "OFAC alt.csv is not valid UTF-8");
	csv_init(&c, sdn, sdn_len);
	while ((r = csv_next(&c, "sdn.csv", err)) == 1) {
		struct wl_item *it;
		const char *type;

		if (c.nf < 3) {
			rc = att_fail(err, ATT_EINVAL, "sdn.csv line %zu: %zu fields, at least 3 expected",
				      c.rec_line, c.nf);
			goto out;
		}
		if (!all_digits(c.fields[0])) {
			rc = att_fail(err, ATT_EINVAL, "sdn.csv line %zu: ent_num '%.20s' is not a number",
				      c.rec_line, c.fields[0]);
			goto out;
		}
		if (null_field(c.fields[1])) {
			rc = att_fail(err, ATT_EINVAL, "sdn.csv line %zu: entry %s has no name",
				      c.rec_line, c.fields[0]);
			goto out;
		}
		if (strlen(c.fields[1]) > ATT_NAME_INPUT_MAX) {
			rc = att_fail(err, ATT_EINVAL, "sdn.csv line %zu: name is too long", c.rec_line);
			goto out;
		}
		if (!(it = wl_new_item(&l)))
			goto oom;
		type = c.fields[2];
		while (*type == ' ')
			type++;
		it->kind = strncasecmp(type, "individual", 10) == 0 ? ATT_WL_PERSON :
			   null_field(type) ? ATT_WL_ORG : ATT_WL_OTHER;
		if (!wl_set(&it->id, c.fields[0], strlen(c.fields[0])) ||
		    !wl_set(&it->name, c.fields[1], strlen(c.fields[1])))
			goto oom;
		if (c.nf > 3 && !null_field(c.fields[3]) &&
		    !wl_set(&it->reference, c.fields[3], strlen(c.fields[3])))
			goto oom;
		if (c.nf > 11 && !null_field(c.fields[11])) {
			if (!wl_set(&it->remarks, c.fields[11], strlen(c.fields[11])) ||
			    !remarks_attrs(it, it->remarks))
				goto oom;
		}
	}
	csv_release(&c);
	if (r < 0)
		goto fail;
	if (alt) {
		ids = malloc((l.n ? l.n : 1) * sizeof(*ids));
		if (!ids)
			goto oom;
		for (size_t i = 0; i < l.n; i++) {
			ids[i].num = strtol(l.items[i].id, NULL, 10);
			ids[i].idx = i;
		}
		qsort(ids, l.n, sizeof(*ids), cmp_byid);
		csv_init(&c, alt, alt_len);
		while ((r = csv_next(&c, "alt.csv", err)) == 1) {
			struct byid key, *hit;

			if (c.nf < 4 || !all_digits(c.fields[0])) {
				rc = att_fail(err, ATT_EINVAL,
					      "alt.csv line %zu: expected ent_num,alt_num,alt_type,alt_name",
					      c.rec_line);
				goto out;
			}
			if (null_field(c.fields[3]))
				continue;
			key.num = strtol(c.fields[0], NULL, 10);
			hit = bsearch(&key, ids, l.n, sizeof(*ids), cmp_byid);
			if (!hit)
				continue; /* an alias of an entry not in this sdn.csv */
			if (strlen(c.fields[3]) > ATT_NAME_INPUT_MAX) {
				rc = att_fail(err, ATT_EINVAL, "alt.csv line %zu: name is too long",
					      c.rec_line);
				goto out;
			}
			if (!wl_add_alias(&l.items[hit->idx], c.fields[3], strlen(c.fields[3]),
					  null_field(c.fields[2]) ? NULL : c.fields[2], false))
				goto oom;
		}
		csv_release(&c);
		if (r < 0)
			goto fail;
	}
	rc = wl_emit(&l, cb, ctx);
	goto out;
oom:
	rc = att_fail(err, ATT_ENOMEM, "out of memory");
	goto out;
fail:
	rc = err ? err->rc : ATT_EINVAL;
	if (rc == ATT_OK)
		rc = ATT_EINVAL;
out:
	csv_release(&c);
	free(ids);
	wl_free(&l);
	return rc;
}

static bool split_add(struct wl_item *it, const char *s)
{
	while (*s) {
		size_t n = strcspn(s, ";");

		if (!wl_add_alias(it, s, n, NULL, false))
			return false;
		s += n;
		if (*s == ';')
			s++;
	}
	return true;
}

enum att_rc att_wl_parse_csv(const char *buf, size_t len, size_t max, att_wl_cb cb, void *ctx,
			     struct att_err *err)
{
	static const char *const hdr[] = {"name", "aliases", "dob", "nationality", "type", "id"};
	struct wl_list l = {0};
	struct csv c;
	enum att_rc rc = ATT_OK;
	int r;

	if (len > max)
		return att_fail(err, ATT_ELIMIT, "CSV is larger than the limit of %zu bytes", max);
	if (!buf || !att_utf8_valid(buf, len))
		return att_fail(err, ATT_EINVAL, "CSV is missing or not valid UTF-8");
	if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
		buf += 3, len -= 3;
	csv_init(&c, buf, len);
	r = csv_next(&c, "CSV", err);
	if (r == 0) {
		rc = att_fail(err, ATT_EINVAL, "CSV is empty: the header name,aliases,dob,nationality,type,id is required");
		goto out;
	}
	if (r < 0)
		goto fail;
	if (c.nf != 6) {
		rc = att_fail(err, ATT_EINVAL, "CSV line 1: header must be name,aliases,dob,nationality,type,id");
		goto out;
	}
	for (size_t i = 0; i < 6; i++) {
		const char *f = c.fields[i];
		size_t n = strlen(f);

		while (*f == ' ')
			f++, n--;
		while (n && f[n - 1] == ' ')
			n--;
		if (n != strlen(hdr[i]) || strncasecmp(f, hdr[i], n) != 0) {
			rc = att_fail(err, ATT_EINVAL, "CSV line 1: column %zu must be '%s'", i + 1, hdr[i]);
			goto out;
		}
	}
	while ((r = csv_next(&c, "CSV", err)) == 1) {
		struct wl_item *it;
		const char *type = c.fields[c.nf > 4 ? 4 : 0];
		uint32_t d;

		if (c.nf != 6) {
			rc = att_fail(err, ATT_EINVAL, "CSV line %zu: %zu fields, 6 expected", c.rec_line, c.nf);
			goto out;
		}
		if (null_field(c.fields[0]) || strlen(c.fields[0]) > ATT_NAME_INPUT_MAX) {
			rc = att_fail(err, ATT_EINVAL, "CSV line %zu: name is empty or too long", c.rec_line);
			goto out;
		}
		if (c.fields[2][0] && !att_match_dob_parse(c.fields[2], &d)) {
			rc = att_fail(err, ATT_EINVAL, "CSV line %zu: dob '%.40s' is not YYYY-MM-DD or YYYY",
				      c.rec_line, c.fields[2]);
			goto out;
		}
		while (*type == ' ')
			type++;
		if (!(it = wl_new_item(&l)))
			goto oom;
		if (!type[0] || strcasecmp(type, "person") == 0 || strcasecmp(type, "individual") == 0)
			it->kind = ATT_WL_PERSON;
		else if (strcasecmp(type, "org") == 0 || strcasecmp(type, "organization") == 0 ||
			 strcasecmp(type, "entity") == 0)
			it->kind = ATT_WL_ORG;
		else {
			rc = att_fail(err, ATT_EINVAL, "CSV line %zu: type '%.20s' is not person or org",
				      c.rec_line, type);
			goto out;
		}
		if (c.fields[5][0]) {
			if (!wl_set(&it->id, c.fields[5], strlen(c.fields[5])))
				goto oom;
		} else {
			char num[32];
			int w = snprintf(num, sizeof(num), "line-%zu", c.rec_line);

			if (w < 0 || !wl_set(&it->id, num, (size_t)w))
				goto oom;
		}
		if (!wl_set(&it->name, c.fields[0], strlen(c.fields[0])) ||
		    !split_add(it, c.fields[1]) ||
		    !wl_add_str(&it->dobs, &it->ndobs, &it->cap_dobs, c.fields[2], strlen(c.fields[2])) ||
		    !wl_add_str(&it->nats, &it->nnats, &it->cap_nats, c.fields[3], strlen(c.fields[3])))
			goto oom;
	}
	if (r < 0)
		goto fail;
	rc = wl_emit(&l, cb, ctx);
	goto out;
oom:
	rc = att_fail(err, ATT_ENOMEM, "out of memory");
	goto out;
fail:
	rc = err ? err->rc : ATT_EINVAL;
	if (rc == ATT_OK)
		rc = ATT_EINVAL;
out:
	csv_release(&c);
	wl_free(&l);
	return rc;
}
