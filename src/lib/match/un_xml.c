/* Parser of the UN Security Council consolidated list XML (libxml2): every
 * INDIVIDUAL and ENTITY with all name parts, aliases and their quality,
 * original-script names, dates of birth, nationalities and documents. */
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "attache/match.h"
#include "wl_int.h"
#include "util.h"
#include "banned.h"

static bool is(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

/* Text of the first child element called name, or NULL; caller frees with
 * xmlFree. */
static xmlChar *child_text(const xmlNode *n, const char *name)
{
	for (const xmlNode *c = n->children; c; c = c->next)
		if (is(c, name))
			return xmlNodeGetContent(c);
	return NULL;
}

static bool add_text(char ***arr, size_t *cnt, size_t *cap, const xmlChar *t)
{
	return !t || wl_add_str(arr, cnt, cap, (const char *)t, strlen((const char *)t));
}

/* One ALIAS_NAME may hold several names: "Qasim Soleimani; Qasem
 * Sulaimani" or "Mohammad Sabet b) M. Javad Sabet". Each becomes an alias. */
static bool add_aliases(struct wl_item *it, const char *s, const char *quality)
{
	size_t n = strlen(s), start = 0;

	for (size_t i = 0; i <= n; i++) {
		bool cut = i == n || s[i] == ';';
		size_t skip = 1;

		/* an enumeration "b) " after a space */
		if (!cut && i > start && s[i - 1] == ' ' && i + 2 < n &&
		    ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')) &&
		    s[i + 1] == ')' && s[i + 2] == ' ') {
			cut = true;
			skip = 3;
		}
		if (!cut)
			continue;
		{
			size_t a = start, b = i;

			while (a < b && (s[a] == ' ' || s[a] == '\t'))
				a++;
			while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t'))
				b--;
			if (b > a && !wl_add_alias(it, s + a, b - a, quality, false))
				return false;
		}
		start = i + skip;
		if (skip > 1)
			i += skip - 1;
	}
	return true;
}

static enum att_rc parse_one(const xmlNode *n, bool person, struct wl_list *l,
			     struct att_err *err)
{
	static const char *const parts[] = {"FIRST_NAME", "SECOND_NAME", "THIRD_NAME",
					    "FOURTH_NAME"};
	struct wl_item *it = wl_new_item(l);
	struct att_buf nm;
	xmlChar *t;
	const char *alias_el = person ? "INDIVIDUAL_ALIAS" : "ENTITY_ALIAS";
	bool ok = true;

	if (!it)
		return att_fail(err, ATT_ENOMEM, "out of memory");
	it->kind = person ? ATT_WL_PERSON : ATT_WL_ORG;
	t = child_text(n, "DATAID");
	if (!t || !t[0]) {
		xmlFree(t);
		return att_fail(err, ATT_EINVAL, "UN list line %ld: %s without DATAID",
				xmlGetLineNo(n), (const char *)n->name);
	}
	ok = wl_set(&it->id, (const char *)t, strlen((const char *)t));
	xmlFree(t);
	t = child_text(n, "REFERENCE_NUMBER");
	if (t && t[0])
		ok = ok && wl_set(&it->reference, (const char *)t, strlen((const char *)t));
	xmlFree(t);
	t = child_text(n, "COMMENTS1");
	if (t && t[0])
		ok = ok && wl_set(&it->remarks, (const char *)t, strlen((const char *)t));
	xmlFree(t);

	att_buf_init(&nm, ATT_NAME_INPUT_MAX);
	for (size_t i = 0; i < 4; i++) {
		t = child_text(n, parts[i]);
		if (t && t[0]) {
			size_t len = strlen((const char *)t);

			while (len && ((const char *)t)[len - 1] == ' ')
				len--;
			if (len && ((nm.len && att_buf_add(&nm, " ", 1) != ATT_OK) ||
				    att_buf_add(&nm, t, len) != ATT_OK)) {
				xmlFree(t);
				att_buf_release(&nm);
				return att_fail(err, ATT_EINVAL, "UN list line %ld: name of %s is too long",
						xmlGetLineNo(n), it->id);
			}
		}
		xmlFree(t);
	}
	if (nm.len == 0) {
		att_buf_release(&nm);
		return att_fail(err, ATT_EINVAL, "UN list line %ld: %s %s has no name",
				xmlGetLineNo(n), (const char *)n->name, it->id);
	}
	ok = ok && wl_set(&it->name, nm.data, nm.len);
	att_buf_release(&nm);

	for (const xmlNode *c = n->children; ok && c; c = c->next) {
		if (is(c, "NAME_ORIGINAL_SCRIPT")) {
			t = xmlNodeGetContent(c);
			if (t)
				ok = wl_add_alias(it, (const char *)t, strlen((const char *)t), NULL, true);
			xmlFree(t);
		} else if (is(c, alias_el)) {
			xmlChar *q = child_text(c, "QUALITY");

			t = child_text(c, "ALIAS_NAME");
			if (t)
				ok = add_aliases(it, (const char *)t, (const char *)q);
			xmlFree(t);
			xmlFree(q);
		} else if (is(c, "INDIVIDUAL_DATE_OF_BIRTH")) {
			static const char *const f[] = {"DATE", "YEAR", "FROM_YEAR", "TO_YEAR"};

			for (size_t k = 0; ok && k < 4; k++) {
				t = child_text(c, f[k]);
				if (t && t[0]) {
					uint32_t d;
					char v[11];
					size_t len = strlen((const char *)t);

					if (len > 10)
						len = 10; /* "1960-01-01T00:00:00" */
					memcpy(v, t, len);
					v[len] = 0;
					if (!att_match_dob_parse(v, &d)) {
						xmlFree(t);
						return att_fail(err, ATT_EINVAL,
								"UN list line %ld: %s of %s is not a date: '%s'",
								xmlGetLineNo(c), f[k], it->id, v);
					}
					ok = wl_add_str(&it->dobs, &it->ndobs, &it->cap_dobs, v, len);
				}
				xmlFree(t);
			}
		} else if (is(c, "NATIONALITY")) {
			for (const xmlNode *v = c->children; ok && v; v = v->next)
				if (is(v, "VALUE")) {
					t = xmlNodeGetContent(v);
					ok = add_text(&it->nats, &it->nnats, &it->cap_nats, t);
					xmlFree(t);
				}
		} else if (is(c, "INDIVIDUAL_DOCUMENT")) {
			xmlChar *ty = child_text(c, "TYPE_OF_DOCUMENT"), *num = child_text(c, "NUMBER");

			if (num && num[0]) {
				struct att_buf d;

				att_buf_init(&d, 1024);
				if ((ty && ty[0] && (att_buf_adds(&d, (const char *)ty) != ATT_OK ||
						     att_buf_add(&d, " ", 1) != ATT_OK)) ||
				    att_buf_adds(&d, (const char *)num) != ATT_OK)
					ok = false;
				else
					ok = wl_add_str(&it->docs, &it->ndocs, &it->cap_docs, d.data, d.len);
				att_buf_release(&d);
			}
			xmlFree(ty);
			xmlFree(num);
		}
	}
	if (!ok)
		return att_fail(err, ATT_ENOMEM, "out of memory");
	return ATT_OK;
}

enum att_rc att_wl_parse_un_xml(const char *buf, size_t len, size_t max, att_wl_cb cb,
				void *ctx, struct att_err *err)
{
	xmlParserCtxtPtr pc;
	xmlDocPtr doc;
	const xmlNode *root;
	struct wl_list l = {0};
	enum att_rc rc = ATT_OK;

	if (len > max)
		return att_fail(err, ATT_ELIMIT, "UN list is larger than the limit of %zu bytes", max);
	if (len > INT32_MAX)
		return att_fail(err, ATT_ELIMIT, "UN list is too large");
	/* No DTDs at all: no entity expansion, no external fetches. */
	for (size_t i = 0; i + 2 < len; i++)
		if (buf[i] == '<' && buf[i + 1] == '!' && (buf[i + 2] == 'D' || buf[i + 2] == 'E'))
			return att_fail(err, ATT_EINVAL, "UN list: DOCTYPE/ENTITY declarations are refused");
	pc = xmlNewParserCtxt();
	if (!pc)
		return att_fail(err, ATT_ENOMEM, "out of memory");
	doc = xmlCtxtReadMemory(pc, buf, (int)len, "un.xml", NULL,
				XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
				XML_PARSE_NOCDATA);
	if (!doc) {
		const xmlError *e = xmlCtxtGetLastError(pc);

		rc = att_fail(err, ATT_EINVAL, "UN list is not well-formed XML: line %d: %s",
			      e ? e->line : 0, e && e->message ? e->message : "parse error");
		xmlFreeParserCtxt(pc);
		if (err) {
			size_t n = strlen(err->msg);

			while (n && err->msg[n - 1] == '\n')
				err->msg[--n] = 0;
		}
		return rc;
	}
	root = xmlDocGetRootElement(doc);
	if (!root || !is(root, "CONSOLIDATED_LIST")) {
		rc = att_fail(err, ATT_EINVAL, "UN list: the root element is not CONSOLIDATED_LIST");
		goto out;
	}
	for (const xmlNode *sec = root->children; sec && rc == ATT_OK; sec = sec->next) {
		bool people;

		if (is(sec, "INDIVIDUALS"))
			people = true;
		else if (is(sec, "ENTITIES"))
			people = false;
		else
			continue;
		for (const xmlNode *n = sec->children; n && rc == ATT_OK; n = n->next) {
			if (n->type != XML_ELEMENT_NODE)
				continue;
			if (!is(n, people ? "INDIVIDUAL" : "ENTITY")) {
				rc = att_fail(err, ATT_EINVAL, "UN list line %ld: unexpected element %s in %s",
					      xmlGetLineNo(n), (const char *)n->name,
					      (const char *)sec->name);
				break;
			}
			rc = parse_one(n, people, &l, err);
		}
	}
	if (rc == ATT_OK)
		rc = wl_emit(&l, cb, ctx);
out:
	wl_free(&l);
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(pc);
	return rc;
}
