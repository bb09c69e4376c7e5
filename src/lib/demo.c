/* The demo node: posts, users and appointments, made through the service
 * functions so the demo is validated and audited like real use. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "attache/demo.h"
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

enum att_rc att_demo_create(const char *db_path, void (*say)(const char *line, void *arg),
			    void *arg, struct att_err *err)
{
	static const char *const stage_names[] = {"proposed", "mfa-agreed", "president-agreed",
						  "appointed", "ended", "refused (MFA)",
						  "refused (President)"};
	struct att_node *node = NULL;
	enum att_rc rc;

	rc = att_node_init(db_path, 12, err);
	if (rc)
		return rc;
	rc = att_node_open(db_path, &node, err);
	if (rc)
		return rc;
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
out:
	att_node_close(node);
	return rc;
}
