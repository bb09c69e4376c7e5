/* The demo node: posts, users and appointments, made through the service
 * functions so the demo is validated and audited like real use. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <stdlib.h>
#include <time.h>

#include <jansson.h>

#include "attache/demo.h"
#include "attache/exchange.h"
#include "attache/watchlist.h"
#include "attache/node.h"
#include "attache/registry.h"
#include "attache/users.h"
#include "util.h"
#include "banned.h"

static const struct att_post_spec posts[] = {
	{"fr-paris", "state", "FR", "Paris", "Embassy of the Republic of Azerbaijan in France",
	 "terrorism,organized-crime", 2},
	{"gb-london", "state", "GB", "London", "Embassy in the United Kingdom",
	 "terrorism,organized-crime", 2},
	{"de-berlin", "state", "DE", "Berlin", "Embassy in Germany",
	 "organized-crime,cybercrime", 2},
	{"tr-ankara", "state", "TR", "Ankara", "Embassy in Türkiye",
	 "terrorism,organized-crime,cybercrime", 3},
	{"ru-moscow", "state", "RU", "Moscow", "Embassy in the Russian Federation",
	 "terrorism,organized-crime", 2},
	{"ge-tbilisi", "state", "GE", "Tbilisi", "Embassy in Georgia", "organized-crime", 1},
	{"ae-dubai", "state", "AE", "Dubai", "Consulate General in Dubai", "organized-crime", 1},
	{"us-washington", "state", "US", "Washington", "Embassy in the United States",
	 "cybercrime", 1},
	{"interpol", "org", "INTERPOL", "Lyon", NULL, "terrorism,organized-crime,cybercrime", 2},
	{"europol", "org", "Europol", "The Hague", NULL, "organized-crime,cybercrime", 1},
	{"unodc", "org", "UNODC", "Vienna", NULL, "organized-crime", 1},
	{"osce", "org", "OSCE", "Vienna", NULL, "terrorism", 1},
	{"cis-atc", "org", "CIS Anti-Terrorism Center", "Moscow", NULL, "terrorism", 1},
};

static const struct att_user_spec users[] = {
	{"head", "Head of the Service", "head", NULL, ATT_DEMO_PASSWORD},
	{"mfa", "Ministry of Foreign Affairs, consular department", "mfa", NULL, ATT_DEMO_PASSWORD},
	{"president", "Office of the President, security affairs", "president", NULL,
	 ATT_DEMO_PASSWORD},
	{"desk-ct", "Counter-terrorism desk officer", "desk", "hq/terrorism", ATT_DEMO_PASSWORD},
	{"desk-oc", "Organized-crime desk officer", "desk", "hq/organized-crime", ATT_DEMO_PASSWORD},
	{"desk-cy", "Cybercrime desk officer", "desk", "hq/cybercrime", ATT_DEMO_PASSWORD},
	{"rep-aliyev", "Rauf Aliyev", "rep", NULL, ATT_DEMO_PASSWORD},
	{"rep-mammadova", "Leyla Mammadova", "rep", NULL, ATT_DEMO_PASSWORD},
	{"rep-huseynov", "Elvin Huseynov", "rep", NULL, ATT_DEMO_PASSWORD},
	{"rep-gasimov", "Tural Gasimov", "rep", NULL, ATT_DEMO_PASSWORD},
	{"rep-jafarov", "Orkhan Jafarov", "rep", NULL, ATT_DEMO_PASSWORD},
	{"rep-karimli", "Nigar Karimli", "rep", NULL, ATT_DEMO_PASSWORD},
	{"rep-ismayilov", "Kamran Ismayilov", "rep", NULL, ATT_DEMO_PASSWORD},
	{"rep-abbasov", "Farid Abbasov", "rep", NULL, ATT_DEMO_PASSWORD},
	{"rep-guliyeva", "Sevinj Guliyeva", "rep", NULL, ATT_DEMO_PASSWORD},
	{"partner-europol", "Europol liaison officer", "partner", "partner/europol",
	 ATT_DEMO_PASSWORD},
	{"partner-interpol", "INTERPOL NCB officer", "partner", "partner/interpol",
	 ATT_DEMO_PASSWORD},
	{"overseer", "Parliamentary oversight committee", "overseer", NULL, ATT_DEMO_PASSWORD},
	{"finance", "Support unit, finance", "finance", NULL, ATT_DEMO_PASSWORD},
	{"admin", "Technical administrator", "admin", NULL, ATT_DEMO_PASSWORD},
};

/* An appointment and how far it goes through the procedure. */
enum stage { PROPOSED, MFA, PRESIDENT, APPOINTED, ENDED, REFUSED_MFA, REFUSED_PRES };

static const struct {
	const char *person, *post, *field, *start, *end;
	enum stage stage;
	const char *reason;
} appts[] = {
	{"rep-aliyev", "fr-paris", "terrorism", "2026-01-15", "2029-01-14", APPOINTED,
	 "Threats to the embassy in Paris; liaison with DGSI"},
	{"rep-mammadova", "gb-london", "organized-crime", "2026-02-01", "2029-01-31", APPOINTED,
	 "Money laundering through UK companies; liaison with the NCA"},
	{"rep-huseynov", "de-berlin", "cybercrime", "2026-03-01", "2029-02-28", APPOINTED,
	 "Ransomware against state systems; liaison with the BKA"},
	{"rep-gasimov", "interpol", "organized-crime", "2026-01-10", "2028-12-31", APPOINTED,
	 "Notices and diffusions, trafficking cases"},
	{"rep-jafarov", "tr-ankara", "terrorism", "2026-04-01", "2029-03-31", APPOINTED,
	 "Foreign terrorist fighters in transit"},
	{"rep-karimli", "europol", "cybercrime", NULL, NULL, PRESIDENT,
	 "Liaison desk at the European Cybercrime Centre"},
	{"rep-ismayilov", "ge-tbilisi", "organized-crime", NULL, NULL, MFA,
	 "Smuggling across the northern border"},
	{"rep-abbasov", "ae-dubai", "organized-crime", NULL, NULL, PROPOSED,
	 "Proceeds of corruption held in the Emirates"},
	{"rep-guliyeva", "unodc", "organized-crime", "2025-01-01", "2027-12-31", ENDED,
	 "Anti-corruption programme liaison"},
};

static void sayf(void (*say)(const char *, void *), void *arg, const char *fmt, ...)
	ATT_PRINTF(3, 4);
static void sayf(void (*say)(const char *, void *), void *arg, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (!say)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	say(line, arg);
}

/* --- traffic ----------------------------------------------------------------- */

struct demo {
	struct att_node *node;
	void (*say)(const char *line, void *arg);
	void *arg;
	struct att_err *err;
	int64_t t;      /* the demo clock */
};

static void tick(struct demo *d, int64_t seconds)
{
	d->t += seconds;
	att_clock_set(d->t);
}

static enum att_rc open_case(struct demo *d, const char *who, const char *field,
			     const char *title, const char *subarea, const char *purpose,
			     const char *basis, int64_t *id)
{
	struct att_case_spec spec = {field, title, purpose, basis, subarea, NULL};
	enum att_rc rc = att_case_open(d->node, who, &spec, id, d->err);

	if (!rc)
		sayf(d->say, d->arg, "case %lld  %-16s %-18s %s", (long long)*id, field, who, title);
	return rc;
}

/* Sends a message built with json_pack (stolen). */
static enum att_rc send(struct demo *d, const char *who, json_t *m, int64_t *id)
{
	struct att_send_result res;
	char *text = m ? json_dumps(m, JSON_COMPACT) : NULL;
	enum att_rc rc;

	json_decref(m);
	if (!text)
		return att_fail(d->err, ATT_ENOMEM, "out of memory");
	rc = att_msg_send(d->node, who, text, strlen(text), &res, d->err);
	free(text);
	if (rc)
		return rc;
	if (id)
		*id = res.id;
	sayf(d->say, d->arg, "message %lld from %-15s%s%s", (long long)res.id, who,
	     res.held ? "  HELD for review" : "", res.hits ? "  with hits" : "");
	att_send_result_release(&res);
	return ATT_OK;
}

/* Paris reports a contact of the walk-in to the terrorism desk. */
/* Paris reports on the walk-in's contacts: one entity, {type: key}. */
static enum att_rc walkin_report(struct demo *d, int64_t c_par, int info, const char *subject,
				 const char *body, const char *type, const char *key,
				 const char *value)
{
	return send(d, "rep-aliyev",
		    json_pack("{s:I,s:s,s:[s],s:s,s:s,s:s,s:i,s:s,s:s,s:s,s:s,s:[{s:s,s:s}]}",
			      "case", (json_int_t)c_par, "type", "information", "to",
			      "hq/terrorism", "field", ATT_FIELD_TERRORISM, "handling", "H0",
			      "source", "C", "information", info, "priority", "routine", "purpose",
			      "Report contacts of the walk-in", "subject", subject, "body", body,
			      "entities", "type", type, key, value),
		    NULL);
}

static enum att_rc walkin_contact(struct demo *d, int64_t c_par, int info, const char *subject,
				  const char *body, const char *person)
{
	return walkin_report(d, c_par, info, subject, body, "person", "name", person);
}

static const char demo_list[] =
	"name,aliases,dob,nationality,type,id\n"
	"Tahir Qurbanov,Tagir Kurbanov;Тагир Курбанов,1969-07-02,AZ,person,DEMO-001\n"
	"Caspian Bridge Trading LLC,Caspian Bridge Trade,,,org,DEMO-002\n"
	"Ruslan Magomedov,Руслан Магомедов,1981,RU,person,DEMO-003\n"
	"Kamal Rzayev,Kamal Rzaev;Камал Рзаев,1988-11-23,AZ,person,DEMO-004\n";

static enum att_rc traffic(struct demo *d)
{
	int64_t c_ldn, c_ipl, c_par, c_ank, c_ber, m_ipl, id, reg;
	struct att_protect_spec p1 = {"Arif Hacılı", "1984-05-02", "political-emigrant",
				      "Asylum granted in France; has reported threats"};
	struct att_protect_spec p2 = {"Günel Səfərova", NULL, "journalist",
				      "Investigative journalist based in Berlin"};
	json_t *summary = NULL;
	enum att_rc rc;

	d->t = att_now() + 2 * 86400;
	tick(d, 0);
	/* The overseer's register and a sanctions list come first. */
	rc = att_protect_add(d->node, "overseer", &p1, &reg, NULL, d->err);
	if (!rc)
		rc = att_protect_add(d->node, "overseer", &p2, &reg, NULL, d->err);
	if (rc)
		return rc;
	sayf(d->say, d->arg, "protected-persons register: 2 entries (overseer only)");
	rc = att_watchlist_import(d->node, "desk-ct", "demo-sanctions", "csv", demo_list,
				  strlen(demo_list), NULL, 0, (void **)&summary, d->err);
	json_decref(summary);
	if (rc)
		return rc;
	sayf(d->say, d->arg, "watchlist demo-sanctions: 4 entries (import the UN and OFAC lists "
			     "with 'attache watchlist import')");
	tick(d, 3600);

	/* Organized crime: London asks HQ about accounts; the request goes
	 * unanswered past its urgent deadline. */
	rc = open_case(d, "rep-mammadova", ATT_FIELD_ORGCRIME,
		       "Proceeds of embezzlement laundered through UK shell companies",
		       "money laundering", "Trace and recover proceeds of embezzlement of state funds",
		       "Law on the State Security Service, art. 12; Decree of 28 December 2022",
		       &c_ldn);
	if (!rc)
		rc = send(d, "rep-mammadova",
			  json_pack("{s:I,s:s,s:[s],s:s,s:s,s:s,s:i,s:s,s:s,s:s,s:s,s:[{s:s,s:s,s:s,s:s},{s:s,s:s},{s:s,s:s},{s:s,s:s}]}",
				    "case", (json_int_t)c_ldn, "type", "request", "to",
				    "hq/organized-crime", "field", ATT_FIELD_ORGCRIME, "handling", "H2",
				    "source", "B", "information", 2, "priority", "urgent", "purpose",
				    "Identify the beneficial owners of accounts receiving embezzled funds",
				    "subject", "Accounts and companies of Elchin Mammadov in London",
				    "body",
				    "Two UK companies received transfers from contractors of the "
				    "ministry. The account below is held by Northbridge Consulting Ltd. "
				    "Request: owners, signatories and onward transfers.",
				    "entities", "type", "person", "name", "Elçin Məmmədov", "dob",
				    "1975-03-14", "nationality", "AZ", "type", "iban", "value",
				    "GB82 WEST 1234 5698 7654 32", "type", "organization", "name",
				    "Northbridge Consulting Ltd", "type", "phone", "value",
				    "+44 20 7946 0958"),
			  NULL);
	tick(d, 2 * 86400);
	/* INTERPOL: a member country's diffusion names the same man in Cyrillic and
	 * the same account: two cross-post hits. */
	if (!rc)
		rc = open_case(d, "rep-gasimov", ATT_FIELD_ORGCRIME,
			       "Asset-tracing diffusion from a member country", "asset recovery",
			       "Locate assets of a suspect in an embezzlement case",
			       "INTERPOL's Rules on the Processing of Data, art. 10", &c_ipl);
	if (!rc)
		rc = send(d, "rep-gasimov",
			  json_pack("{s:I,s:s,s:[s,s],s:s,s:s,s:s,s:i,s:s,s:s,s:s,s:s,s:[{s:s,s:s,s:s},{s:s,s:s}]}",
				    "case", (json_int_t)c_ipl, "type", "information", "to",
				    "hq/organized-crime", "partner/europol", "field",
				    ATT_FIELD_ORGCRIME, "handling", "H1", "source", "B", "information",
				    2, "priority", "routine", "purpose",
				    "Share a member country's diffusion on a suspect's assets",
				    "subject", "Diffusion: assets of a suspect", "body",
				    "A member country reports the account below and its holder.",
				    "entities", "type", "person", "name", "Мамедов Эльчин", "dob",
				    "1975", "type", "iban", "value", "GB82WEST12345698765432"),
			  &m_ipl);
	tick(d, 3 * 3600);
	if (!rc)
		rc = send(d, "desk-oc",
			  json_pack("{s:I,s:s,s:I,s:[s],s:s,s:s,s:s,s:i,s:s,s:s,s:s}", "case",
				    (json_int_t)c_ipl, "type", "reply", "in_reply_to",
				    (json_int_t)m_ipl, "to", "post/interpol", "field",
				    ATT_FIELD_ORGCRIME, "handling", "H0", "source", "A", "information",
				    1, "purpose", "Confirm the link to a domestic case", "subject",
				    "The account is known to us", "body",
				    "Linked to a domestic embezzlement investigation; ask the London "
				    "post for details through the hit."),
			  &id);
	if (!rc)
		rc = att_msg_ack(d->node, "rep-gasimov", id, d->err);
	tick(d, 86400);

	/* Terrorism: Paris and Ankara name the same man in two spellings; he is
	 * also on the demo sanctions list. */
	if (!rc)
		rc = open_case(d, "rep-aliyev", ATT_FIELD_TERRORISM, "Threats against the embassy in Paris",
			       "threats to missions", "Prevent attacks against the mission and its staff",
			       "Decree of 28 December 2022; Vienna Convention art. 22", &c_par);
	if (!rc)
		rc = send(d, "rep-aliyev",
			  json_pack("{s:I,s:s,s:[s],s:s,s:s,s:s,s:s,s:i,s:s,s:s,s:s,s:s,s:[{s:s,s:s,s:s},{s:s,s:s},{s:s,s:s}]}",
				    "case", (json_int_t)c_par, "type", "alert", "to", "hq/terrorism",
				    "field", ATT_FIELD_TERRORISM, "handling", "H3", "handling_text",
				    "Not to be shared with the host service before the desk decides",
				    "source", "C", "information", 3, "priority", "immediate", "purpose",
				    "Warn of a threat against the mission", "subject",
				    "Threat against the mission reported by a walk-in", "body",
				    "A walk-in reports that the man below bought materials for an "
				    "attack on the mission.",
				    "entities", "type", "person", "name", "Kamal Rzayev", "dob",
				    "1988-11-23", "type", "phone", "value", "+33 6 12 34 56 78", "type",
				    "email", "value", "k.rzayev@example.org"),
			  NULL);
	tick(d, 5 * 3600);
	if (!rc)
		rc = open_case(d, "rep-jafarov", ATT_FIELD_TERRORISM,
			       "Foreign terrorist fighters in transit", "foreign fighters",
			       "Identify fighters transiting to and from conflict zones",
			       "UNSC Resolution 2178 (2014); Decree of 28 December 2022", &c_ank);
	if (!rc)
		rc = send(d, "rep-jafarov",
			  json_pack("{s:I,s:s,s:[s],s:s,s:s,s:s,s:i,s:s,s:s,s:s,s:s,s:[{s:s,s:s,s:s}]}",
				    "case", (json_int_t)c_ank, "type", "request", "to", "hq/terrorism",
				    "field", ATT_FIELD_TERRORISM, "handling", "H0", "source", "B",
				    "information", 2, "priority", "routine", "purpose",
				    "Check a traveller against holdings", "subject",
				    "Traveller detained at the border", "body",
				    "Detained with a forged passport; claims to travel for work.",
				    "entities", "type", "person", "name", "Камал Рзаев", "dob",
				    "1988"),
			  &id);
	/* A message naming a protected person is held, not delivered. */
	tick(d, 3600);
	if (!rc)
		rc = walkin_contact(d, c_par, 4, "Contacts of the walk-in",
				    "The walk-in named a man who visits the mission's neighbourhood.",
				    "Arif Hajili");

	/* Cybercrime: HQ shares a range used by attackers; Berlin then asks
	 * Europol to preserve data (Budapest art. 29) of an address inside it. */
	tick(d, 86400);
	if (!rc) {
		int64_t c_hq;

		rc = open_case(d, "desk-cy", ATT_FIELD_CYBER, "Botnet infrastructure seen by CERT",
			       "botnets", "Map infrastructure attacking state systems",
			       "Law on the SSS, art. 12", &c_hq);
		if (!rc)
			rc = send(d, "desk-cy",
				  json_pack("{s:I,s:s,s:[s],s:s,s:s,s:s,s:i,s:s,s:s,s:s,s:s,s:[{s:s,s:s}]}",
					    "case", (json_int_t)c_hq, "type", "information", "to",
					    "post/de-berlin", "field", ATT_FIELD_CYBER, "handling", "H0",
					    "source", "A", "information", 1, "priority", "routine",
					    "purpose", "Share a range used by the attackers", "subject",
					    "Range used for command servers", "body",
					    "CERT reports scanning and command traffic from this range.",
					    "entities", "type", "cidr", "value", "203.0.113.0/24"),
				  &id);
	}
	tick(d, 7200);
	if (!rc)
		rc = open_case(d, "rep-huseynov", ATT_FIELD_CYBER,
			       "Ransomware against state information systems", "ransomware",
			       "Identify the operators of a ransomware attack on ministries",
			       "Budapest Convention arts. 29 and 35; Law on the SSS", &c_ber);
	if (!rc)
		rc = send(d, "rep-huseynov",
			  json_pack("{s:I,s:s,s:[s],s:s,s:s,s:s,s:i,s:s,s:s,s:s,s:s,s:{s:s,s:s,s:s,s:s,s:s,s:s,s:b,s:i},s:[{s:s,s:s},{s:s,s:s},{s:s,s:s}]}",
				    "case", (json_int_t)c_ber, "type", "preservation", "to",
				    "partner/europol", "field", ATT_FIELD_CYBER, "handling", "H0",
				    "source", "A", "information", 2, "priority", "urgent", "purpose",
				    "Preserve traffic and subscriber data of the attack infrastructure",
				    "subject", "Preservation request: command server of the attack",
				    "body", "",
				    "preservation", "authority", "State Security Service, cyber unit",
				    "offence", "Illegal access and system interference (arts. 2 and 5)",
				    "facts",
				    "Ransomware encrypted servers of two ministries on 3 November; "
				    "the command server below was contacted.",
				    "data", "Subscriber and traffic data of the address and domain below",
				    "custodian", "Hosting provider in the Netherlands", "necessity",
				    "The provider keeps logs for 30 days only", "mlat_intent", 1, "days",
				    90, "entities", "type", "ip", "value", "203.0.113.45", "type",
				    "domain", "value", "update-check.example.net", "type", "btc", "value",
				    "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"),
			  NULL);

	/* Ankara reports a blogger as a contact; the overseer registers her as
	 * a journalist a day later: the delivered report is held again, taken
	 * back from HQ until the overseer decides. */
	tick(d, 3600);
	if (!rc)
		rc = walkin_contact(d, c_par, 3, "A second contact of the walk-in",
				    "The walk-in also met this woman twice in Paris.", "Aytan Mammadli");
	/* and names her once more, in the text only */
	tick(d, 600);
	if (!rc)
		rc = walkin_report(d, c_par, 3, "A telephone number of the walk-in",
				   "The walk-in said messages for him can be left with Aytan "
				   "Mammadli at this number.",
				   "phone", "value", "+33 6 12 34 56 78");
	tick(d, 86400);
	if (!rc) {
		struct att_protect_spec p3 = {"Айтан Маммадли", NULL, "journalist",
					      "Exiled blogger; threatened after her reporting"};
		struct att_protect_result pr;

		size_t by_entity = 0;

		rc = att_protect_add(d->node, "overseer", &p3, &reg, &pr, d->err);
		by_entity = pr.nheld;
		/* then the text of everything sent before is read for her */
		if (!rc)
			rc = att_protect_rescan(d->node, "overseer", 0, NULL, NULL, &pr, NULL, d->err);
		if (!rc)
			sayf(d->say, d->arg,
			     "protected-persons register: a journalist added; %zu message(s) "
			     "already delivered that name her HELD for review again (%zu as a "
			     "person, %zu in the text)",
			     pr.nheld, by_entity, pr.nheld - by_entity);
		att_protect_result_release(&pr);
	}
	att_clock_set(0);
	return rc;
}

enum att_rc att_demo_create(const char *db_path, void (*say)(const char *line, void *arg),
			    void *arg, struct att_err *err)
{
	static const char *const stage_names[] = {"proposed", "mfa-agreed", "president-agreed",
						  "appointed", "ended", "refused (MFA)",
						  "refused (President)"};
	struct att_node *node = NULL;
	enum att_rc rc;

	/* The demo's history starts twelve days ago, so that deadlines have
	 * passed and the audit trail runs forward in time. */
	att_clock_set((int64_t)time(NULL) - 12 * 86400);
	rc = att_node_init(db_path, 12, err);
	if (rc) {
		att_clock_set(0);
		return rc;
	}
	rc = att_node_open(db_path, &node, err);
	if (rc) {
		att_clock_set(0);
		return rc;
	}
	sayf(say, arg, "node %s, service-wide staffing level 12", db_path);
	for (size_t i = 0; !rc && i < sizeof(users) / sizeof(users[0]); i++)
		rc = att_user_add(node, NULL, &users[i], err);
	if (rc)
		goto out;
	sayf(say, arg, "%zu users (every role), password '%s'", sizeof(users) / sizeof(users[0]),
	     ATT_DEMO_PASSWORD);
	for (size_t i = 0; !rc && i < sizeof(posts) / sizeof(posts[0]); i++) {
		rc = att_post_add(node, "head", &posts[i], err);
		if (!rc)
			sayf(say, arg, "post %-14s %-26s %-10s staffing %lu  %s", posts[i].id,
			     posts[i].host, posts[i].city, posts[i].staffing, posts[i].fields);
	}
	if (rc)
		goto out;
	/* Two more people whose proposals were refused, to show both refusals. */
	{
		static const struct att_user_spec extra[] = {
			{"rep-nasirov", "Ramil Nasirov", "rep", NULL, ATT_DEMO_PASSWORD},
			{"rep-rzayeva", "Aysel Rzayeva", "rep", NULL, ATT_DEMO_PASSWORD},
		};
		for (size_t i = 0; !rc && i < 2; i++)
			rc = att_user_add(node, NULL, &extra[i], err);
		if (rc)
			goto out;
	}
	for (size_t i = 0; !rc && i < sizeof(appts) / sizeof(appts[0]) + 2; i++) {
		struct att_appt_spec spec;
		enum stage stage;
		int64_t id = 0;

		memset(&spec, 0, sizeof(spec));
		if (i < sizeof(appts) / sizeof(appts[0])) {
			spec.person = appts[i].person;
			spec.post = appts[i].post;
			spec.field = appts[i].field;
			spec.start = appts[i].start;
			spec.end = appts[i].end;
			spec.reason = appts[i].reason;
			stage = appts[i].stage;
		} else if (i == sizeof(appts) / sizeof(appts[0])) {
			spec.person = "rep-nasirov";
			spec.post = "us-washington";
			spec.field = "cybercrime";
			spec.reason = "Liaison with the FBI on intrusions";
			stage = REFUSED_MFA;
		} else {
			spec.person = "rep-rzayeva";
			spec.post = "osce";
			spec.field = "terrorism";
			spec.reason = "OSCE Transnational Threats Department";
			stage = REFUSED_PRES;
		}
		rc = att_appt_propose(node, "head", &spec, &id, err);
		if (!rc && stage == REFUSED_MFA)
			rc = att_appt_refuse(node, "mfa", id,
					     "The host state has not accepted the liaison post yet",
					     err);
		if (!rc && stage >= MFA && stage != REFUSED_MFA)
			rc = att_appt_agree(node, "mfa", id, "Host state informed", err);
		if (!rc && stage == REFUSED_PRES)
			rc = att_appt_refuse(node, "president", id,
					     "The post is not of special importance at present", err);
		if (!rc && stage >= PRESIDENT && stage <= ENDED)
			rc = att_appt_agree(node, "president", id, NULL, err);
		if (!rc && (stage == APPOINTED || stage == ENDED))
			rc = att_appt_make(node, "head", id, err);
		if (!rc && stage == ENDED)
			rc = att_appt_end(node, "head", id, "Recalled: the programme closed early", err);
		if (!rc)
			sayf(say, arg, "appointment %lld: %-14s at %-14s %-16s %s", (long long)id,
			     spec.person, spec.post, spec.field, stage_names[stage]);
	}
	if (!rc) {
		struct demo d = {node, say, arg, err, 0};

		rc = traffic(&d);
		att_clock_set(0);
	}
out:
	att_clock_set(0);
	att_node_close(node);
	return rc;
}
