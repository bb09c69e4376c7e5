/* Quality of the name matcher: precision, recall and F1 per category at
 * ATT_MATCH_THRESHOLD, plus a threshold sweep used for calibration.
 * Positives: UN primary name <-> aliases and original-script names (one
 * DATAID), OFAC sdn.csv <-> alt.csv (one ent_num), and a generated
 * Azerbaijani / Russian / Persian / English variant set. Negatives: names of
 * different entries (random and hard: sharing a token) and generated
 * different people with a shared given name or surname.
 * usage: bench_match_quality [TESTDATA_DIR] [--dump FILE] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attache/match.h"
#include "jaro_winkler.h"

enum cat { C_UN, C_UN_VAR, C_UN_SCRIPT, C_UN_LOW, C_OFAC, C_OFAC_VAR, C_AZ, C_RU, C_FA,
	   C_EN, C_NCAT };
static const char *const cat_name[C_NCAT] = {"un-alias", "un-variant", "un-script", "un-low",
					     "ofac-alias", "ofac-variant", "gen-az", "gen-ru",
					     "gen-fa", "gen-en"};
/* the categories the F1 >= 0.90 target applies to */
static const bool cat_target[C_NCAT] = {false, true, true, false, false, true,
					true, true, true, true};

struct pair {
	char *a, *b;
	enum cat c;
	bool pos;
	double s;
};

static struct pair *pairs;
static size_t npairs, cap_pairs;
static FILE *dump;

static unsigned long long rng = 88172645463325252ULL;

static unsigned rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng >> 11);
}

static char *dup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);

	if (!d)
		abort();
	memcpy(d, s, n);
	return d;
}

static void add(const char *a, const char *b, enum cat c, bool pos)
{
	if (npairs == cap_pairs) {
		cap_pairs = cap_pairs ? cap_pairs * 2 : 1024;
		pairs = realloc(pairs, cap_pairs * sizeof(*pairs));
		if (!pairs)
			abort();
	}
	pairs[npairs].a = dup(a);
	pairs[npairs].b = dup(b);
	pairs[npairs].c = c;
	pairs[npairs].pos = pos;
	npairs++;
}

/* ------------------------------------------------------------ watchlists -- */

struct ent {
	char *name;
	char **alias;
	bool *orig;
	bool *low; /* UN quality "Low" */
	size_t nalias;
};

struct entlist {
	struct ent *e;
	size_t n, cap;
};

static enum att_rc collect(void *ctx, const struct att_wl_entry *e)
{
	struct entlist *l = ctx;
	struct ent *x;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 256;
		l->e = realloc(l->e, l->cap * sizeof(*l->e));
		if (!l->e)
			abort();
	}
	x = &l->e[l->n++];
	x->name = dup(e->name);
	x->nalias = e->naliases;
	x->alias = calloc(e->naliases + 1, sizeof(char *));
	x->orig = calloc(e->naliases + 1, sizeof(bool));
	x->low = calloc(e->naliases + 1, sizeof(bool));
	for (size_t i = 0; i < e->naliases; i++) {
		x->alias[i] = dup(e->aliases[i].name);
		x->orig[i] = e->aliases[i].original_script;
		x->low[i] = e->aliases[i].quality &&
			    strcmp(e->aliases[i].quality, "Low") == 0;
	}
	return ATT_OK;
}

static char *slurp(const char *dir, const char *name, size_t *len)
{
	char path[4096];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (!(f = fopen(path, "rb")))
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
		abort();
	fclose(f);
	buf[n] = 0;
	*len = (size_t)n;
	return buf;
}

/* Behaviour as before: strings over 64 bytes score 0. */
static double jaro_winkler(const char *a, size_t la, const char *b, size_t lb)
{
	return jaro_winkler_max(a, la, b, lb, 64);
}

/* Words that are not the name: titles, legal forms, articles. The bench's
 * own list, so that the variant label does not depend on the engine. */
static bool stopword(const char *t)
{
	static const char *const w[] = {
		"al", "el", "ul", "ad", "ar", "as", "ash", "at", "az", "ed", "es", "ur", "ud",
		"bin", "ibn", "bint", "ben", "abu", "abou", "abd", "abdul", "abdel", "ould",
		"de", "da", "del", "la", "le", "los", "las", "y", "van", "von", "der", "the",
		"of", "and", "dr", "mr", "mrs", "general", "colonel", "commandant", "captain",
		"major", "sheikh", "shaykh", "haji", "hajji", "mullah", "maulana", "mufti",
		"imam", "jr", "sr", "ltd", "llc", "inc", "co", "corp", "company", "gmbh", "plc",
		"sa", "s", "a", "ooo", "oao", "zao", "jsc", "cjsc", "srl", "ltda", "limited",
		"lda", "cia", NULL};

	for (size_t i = 0; w[i]; i++)
		if (strcmp(t, w[i]) == 0)
			return true;
	return false;
}

/* Content tokens (folded text, stop words dropped) of a name. */
static size_t content(const struct att_name *n, const char *out[ATT_NAME_MAX_TOKENS],
		      size_t len[ATT_NAME_MAX_TOKENS])
{
	size_t k = 0;

	for (size_t i = 0; i < n->ntok; i++)
		if (!stopword(n->tok[i].text) && n->tok[i].len > 1) {
			out[k] = n->tok[i].text;
			len[k++] = n->tok[i].len;
		}
	return k;
}

/* is_variant for content tokens, the shorter name first (na <= nb). */
static bool variant_tokens(const char *const *ta, const size_t *la, size_t na,
			   const char *const *tb, const size_t *lb, size_t nb)
{
	bool used[ATT_NAME_MAX_TOKENS] = {0};
	char ja[64 * ATT_NAME_MAX_TOKENS], jb[64 * ATT_NAME_MAX_TOKENS];
	size_t jal = 0, jbl = 0, hit = 0;

	if (na == 0 || (na < 2 && nb >= 2))
		return false;
	for (size_t i = 0; i < na; i++) {
		memcpy(ja + jal, ta[i], la[i]);
		jal += la[i];
		for (size_t j = 0; j < nb; j++)
			if (!used[j] && jaro_winkler(ta[i], la[i], tb[j], lb[j]) >= 0.8) {
				used[j] = true;
				hit++;
				break;
			}
	}
	if (hit == na)
		return true;
	for (size_t j = 0; j < nb; j++) {
		memcpy(jb + jbl, tb[j], lb[j]);
		jbl += lb[j];
	}
	/* joined / split tokens: similar lengths, similar letters */
	return jal * 10 >= jbl * 7 && jbl * 10 >= jal * 7 &&
	       jaro_winkler(ja, jal < 64 ? jal : 64, jb, jbl < 64 ? jbl : 64) >= 0.9;
}

/* A "spelling variant" alias, decided independently of the scorer (only
 * the shared Unicode folding is used): after dropping titles, legal forms
 * and articles, the shorter name has as many tokens as it can (at least
 * two, or as many as the longer one), and either each of its tokens has a
 * distinct partner with Jaro-Winkler >= 0.80 in the longer name, or the
 * names written without spaces have Jaro-Winkler >= 0.90 (joined and split
 * tokens: Abdulhamid / Abd al-Hamid). A single surname, a nickname or a
 * translation is not a variant. */
static bool is_variant(const char *x, const char *y)
{
	struct att_name a, b;
	const char *ta[ATT_NAME_MAX_TOKENS], *tb[ATT_NAME_MAX_TOKENS];
	size_t la[ATT_NAME_MAX_TOKENS], lb[ATT_NAME_MAX_TOKENS], na, nb;

	if (att_name_normalize(x, strlen(x), &a, NULL) != ATT_OK ||
	    att_name_normalize(y, strlen(y), &b, NULL) != ATT_OK)
		return false;
	for (size_t i = 0; i < a.ntok; i++)
		if (a.tok[i].flags & ATT_TOK_SKELETON)
			return false;
	for (size_t i = 0; i < b.ntok; i++)
		if (b.tok[i].flags & ATT_TOK_SKELETON)
			return false;
	na = content(&a, ta, la);
	nb = content(&b, tb, lb);
	if (na > nb)
		return variant_tokens(tb, lb, nb, ta, la, na);
	return variant_tokens(ta, la, na, tb, lb, nb);
}

/* first normalised token longer than 3 letters, for hard negatives */
static bool key_token(const char *name, char *out, size_t size)
{
	struct att_name n;

	if (att_name_normalize(name, strlen(name), &n, NULL) != ATT_OK)
		return false;
	for (size_t i = n.ntok; i-- > 0;)
		if (n.tok[i].len > 3 && !(n.tok[i].flags & ATT_TOK_SKELETON)) {
			snprintf(out, size, "%s", n.tok[i].text);
			return true;
		}
	return false;
}

static void list_pairs(struct entlist *l, enum cat cat, enum cat var_cat, int script_cat,
		       int low_cat)
{
	char **keys = calloc(l->n + 1, sizeof(char *));
	long *script = calloc(l->n + 1, sizeof(long)); /* first original-script alias + 1 */

	for (size_t i = 0; i < l->n; i++) {
		char k[64];

		if (key_token(l->e[i].name, k, sizeof(k)))
			keys[i] = dup(k);
		for (size_t a = 0; a < l->e[i].nalias && !script[i]; a++)
			if (l->e[i].orig[a])
				script[i] = (long)a + 1;
	}
	for (size_t i = 0; i < l->n; i++) {
		struct ent *e = &l->e[i];
		size_t npos = 0;
		bool has_script = false;

		for (size_t a = 0; a < e->nalias; a++) {
			if (e->orig[a]) {
				/* Latin primary name <-> original script */
				if (script_cat >= 0)
					add(e->name, e->alias[a], (enum cat)script_cat, true);
				has_script = true;
				continue;
			}
			add(e->name, e->alias[a], cat, true);
			if (low_cat >= 0 && e->low[a])
				add(e->name, e->alias[a], (enum cat)low_cat, true);
			if (is_variant(e->name, e->alias[a]))
				add(e->name, e->alias[a], var_cat, true);
			npos++;
		}
		/* negatives: another entry (random), and another entry sharing a
		 * surname-like token (hard); for the script category, their
		 * original-script names against this Latin name */
		for (size_t k = 0; k < npos + has_script; k++) {
			size_t j = rnd() % l->n, hard = l->n;

			if (j == i)
				continue;
			if (keys[i])
				for (size_t t = 0, jj = rnd() % l->n; t < l->n; t++, jj = (jj + 1) % l->n)
					if (jj != i && keys[jj] && strcmp(keys[jj], keys[i]) == 0 &&
					    strcmp(l->e[jj].name, e->name) != 0) {
						hard = jj;
						break;
					}
			if (k < npos) {
				add(e->name, l->e[j].name, cat, false);
				add(e->name, l->e[j].name, var_cat, false);
				if (hard < l->n) {
					add(e->name, l->e[hard].name, cat, false);
					add(e->name, l->e[hard].name, var_cat, false);
				}
			}
			if (has_script && script_cat >= 0 && (k == npos || npos == 0)) {
				for (size_t t = 0, jj = j; t < l->n; t++, jj = (jj + 1) % l->n)
					if (jj != i && script[jj]) {
						add(e->name, l->e[jj].alias[script[jj] - 1],
						    (enum cat)script_cat, false);
						break;
					}
				if (hard < l->n && script[hard])
					add(e->name, l->e[hard].alias[script[hard] - 1],
					    (enum cat)script_cat, false);
			}
		}
	}
	for (size_t i = 0; i < l->n; i++)
		free(keys[i]);
	free(keys);
	free(script);
}

/* ------------------------------------------------------ generated names -- */

struct azname {
	const char *az, *ru_cyr, *ru_lat, *en;
};

/* Azerbaijani names: official Latin, Russian Cyrillic, russified Latin,
 * English-style Latin. */
static const struct azname az_given[] = {
	{"İlham", "Ильхам", "Ilkham", "Ilham"},   {"İlqar", "Ильгар", "Ilgar", "Ilgar"},
	{"Rəşad", "Рашад", "Rashad", "Rashad"},    {"Elnur", "Эльнур", "Elnur", "Elnur"},
	{"Tural", "Турал", "Tural", "Tural"},      {"Mehriban", "Мехрибан", "Mekhriban", "Mehriban"},
	{"Leyla", "Лейла", "Leyla", "Leila"},      {"Murad", "Мурад", "Murad", "Murad"},
	{"Anar", "Анар", "Anar", "Anar"},          {"Vüqar", "Вугар", "Vugar", "Vugar"},
	{"Kamran", "Камран", "Kamran", "Kamran"},  {"Elçin", "Эльчин", "Elchin", "Elchin"},
	{"Xədicə", "Хадиджа", "Khadidzha", "Khadija"}, {"Günel", "Гюнель", "Gyunel", "Gunel"},
	{"Ramil", "Рамиль", "Ramil", "Ramil"},     {"Səbinə", "Сабина", "Sabina", "Sabina"},
	{"Orxan", "Орхан", "Orkhan", "Orkhan"},    {"Nicat", "Ниджат", "Nidzhat", "Nijat"},
	{"Fərid", "Фарид", "Farid", "Farid"},      {"Aynur", "Айнур", "Aynur", "Aynur"},
	{"Cavid", "Джавид", "Dzhavid", "Javid"},   {"Şahin", "Шахин", "Shakhin", "Shahin"},
	{"Hüseyn", "Гусейн", "Guseyn", "Huseyn"},  {"Əli", "Али", "Ali", "Ali"},
	{"Rövşən", "Ровшан", "Rovshan", "Rovshan"}, {"Zaur", "Заур", "Zaur", "Zaur"},
	{"Nərgiz", "Наргиз", "Nargiz", "Nargiz"},  {"Toğrul", "Тогрул", "Togrul", "Toghrul"},
	{"Emin", "Эмин", "Emin", "Emin"},          {"Samir", "Самир", "Samir", "Samir"},
};
static const struct azname az_family[] = {
	{"Əliyev", "Алиев", "Aliev", "Aliyev"},          {"Məmmədov", "Мамедов", "Mamedov", "Mammadov"},
	{"Hüseynov", "Гусейнов", "Guseynov", "Huseynov"}, {"Qasımov", "Гасымов", "Gasymov", "Gasimov"},
	{"Cəfərov", "Джафаров", "Dzhafarov", "Jafarov"}, {"Həsənov", "Гасанов", "Gasanov", "Hasanov"},
	{"İsmayılov", "Исмаилов", "Ismailov", "Ismayilov"}, {"Quliyev", "Кулиев", "Kuliev", "Guliyev"},
	{"Abbasov", "Аббасов", "Abbasov", "Abbasov"},    {"Bağırov", "Багиров", "Bagirov", "Baghirov"},
	{"Rzayev", "Рзаев", "Rzaev", "Rzayev"},          {"Nəbiyev", "Набиев", "Nabiev", "Nabiyev"},
	{"Səfərov", "Сафаров", "Safarov", "Safarov"},    {"Kərimov", "Керимов", "Kerimov", "Karimov"},
	{"Orucov", "Оруджев", "Orudzhev", "Orujov"},     {"Xəlilov", "Халилов", "Khalilov", "Khalilov"},
	{"Mustafayev", "Мустафаев", "Mustafaev", "Mustafayev"}, {"Süleymanov", "Сулейманов", "Suleymanov", "Suleymanov"},
	{"Nəcəfov", "Наджафов", "Nadzhafov", "Najafov"}, {"Zeynalov", "Зейналов", "Zeynalov", "Zeynalov"},
	{"Vəliyev", "Велиев", "Veliev", "Valiyev"},      {"Əhmədov", "Ахмедов", "Akhmedov", "Ahmadov"},
	{"Şükürov", "Шукюров", "Shukyurov", "Shukurov"}, {"Paşayev", "Пашаев", "Pashaev", "Pashayev"},
};

struct faname {
	const char *fa;
	const char *lat[3];
};

static const struct faname fa_given[] = {
	{"محمد", {"Mohammad", "Muhammad", "Mohamed"}}, {"حسین", {"Hossein", "Husayn", "Hussein"}},
	{"علی", {"Ali", "Aly", "Ali"}},                {"رضا", {"Reza", "Riza", "Reza"}},
	{"حسن", {"Hassan", "Hasan", "Hassan"}},         {"محمود", {"Mahmoud", "Mahmud", "Mahmood"}},
	{"احمد", {"Ahmad", "Ahmed", "Akhmad"}},         {"مهدی", {"Mehdi", "Mahdi", "Mehdy"}},
	{"جواد", {"Javad", "Jawad", "Djavad"}},         {"سعید", {"Saeed", "Said", "Saeid"}},
	{"مجید", {"Majid", "Madjid", "Majeed"}},        {"یوسف", {"Yousef", "Yusuf", "Yousif"}},
	{"کریم", {"Karim", "Kareem", "Karim"}},         {"فاطمه", {"Fatemeh", "Fatima", "Fatemah"}},
	{"زهرا", {"Zahra", "Zahraa", "Zahra"}},         {"قاسم", {"Qasem", "Ghasem", "Qassem"}},
};
static const struct faname fa_family[] = {
	{"حسینی", {"Hosseini", "Husseini", "Hosseyni"}}, {"رضایی", {"Rezaei", "Rezai", "Rezaee"}},
	{"موسوی", {"Mousavi", "Musavi", "Moussavi"}},    {"جعفری", {"Jafari", "Jafary", "Djafari"}},
	{"احمدی", {"Ahmadi", "Ahmady", "Ahmadi"}},       {"رحیمی", {"Rahimi", "Rahimy", "Raheemi"}},
	{"صادقی", {"Sadeghi", "Sadeqi", "Sadegi"}},      {"کریمی", {"Karimi", "Karimy", "Kareemi"}},
	{"سلیمانی", {"Soleimani", "Suleimani", "Soleymani"}}, {"قاسمی", {"Ghasemi", "Qasemi", "Qassemi"}},
	{"نوری", {"Nouri", "Nuri", "Noori"}},            {"طاهری", {"Taheri", "Tahery", "Taheri"}},
	{"خامنه‌ای", {"Khamenei", "Khamenei", "Khamenehi"}}, {"روحانی", {"Rouhani", "Rohani", "Ruhani"}},
};

static const char *const en_given[] = {"John", "Michael", "David", "James", "Robert",
				       "William", "Richard", "Thomas", "Mark", "Steven",
				       "Paul", "Andrew", "Sarah", "Emily", "Jessica", "Laura"};
static const char *const en_family[] = {"Smith", "Johnson", "Williams", "Brown", "Jones",
					"Miller", "Davis", "Wilson", "Anderson", "Taylor",
					"Thomas", "Moore", "Martin", "Jackson", "Thompson", "White"};

/* Russian names: Cyrillic, and two Latin spellings. */
static const struct azname ru_given[] = {
	{"Сергей", "Сергей", "Sergei", "Sergey"},   {"Алексей", "Алексей", "Aleksei", "Alexey"},
	{"Дмитрий", "Дмитрий", "Dmitri", "Dmitriy"}, {"Андрей", "Андрей", "Andrei", "Andrey"},
	{"Юрий", "Юрий", "Yuri", "Yuriy"},           {"Наталья", "Наталья", "Natalia", "Natalya"},
	{"Ольга", "Ольга", "Olga", "Olga"},          {"Евгений", "Евгений", "Evgeny", "Yevgeniy"},
	{"Михаил", "Михаил", "Mikhail", "Mihail"},   {"Владимир", "Владимир", "Vladimir", "Wladimir"},
	{"Игорь", "Игорь", "Igor", "Igor"},          {"Татьяна", "Татьяна", "Tatiana", "Tatyana"},
};
static const struct azname ru_family[] = {
	{"Иванов", "Иванов", "Ivanov", "Iwanow"},       {"Смирнов", "Смирнов", "Smirnov", "Smirnoff"},
	{"Кузнецов", "Кузнецов", "Kuznetsov", "Kouznetsov"}, {"Попов", "Попов", "Popov", "Popoff"},
	{"Соколов", "Соколов", "Sokolov", "Sokolow"},   {"Лебедев", "Лебедев", "Lebedev", "Lebedew"},
	{"Козлов", "Козлов", "Kozlov", "Kozlow"},       {"Новиков", "Новиков", "Novikov", "Novikoff"},
	{"Морозов", "Морозов", "Morozov", "Morosov"},   {"Волков", "Волков", "Volkov", "Wolkow"},
	{"Фёдоров", "Фёдоров", "Fedorov", "Fyodorov"},  {"Зайцев", "Зайцев", "Zaitsev", "Zaytsev"},
};

#define N(a) (sizeof(a) / sizeof(a[0]))

static void typo(const char *in, char *out, size_t size)
{
	size_t n = strlen(in), pos;
	char tmp[256];

	snprintf(tmp, sizeof(tmp), "%s", in);
	/* pick a position inside an ASCII word of length >= 6 */
	for (int tries = 0; tries < 20; tries++) {
		size_t s, e;

		pos = rnd() % n;
		for (s = pos; s > 0 && tmp[s - 1] != ' '; s--)
			;
		for (e = pos; e < n && tmp[e] != ' '; e++)
			;
		if (e - s < 6 || (unsigned char)tmp[pos] >= 0x80 || pos == s)
			continue;
		switch (rnd() % 3) {
		case 0: /* substitution */
			tmp[pos] = (char)('a' + rnd() % 26);
			break;
		case 1: /* deletion */
			memmove(tmp + pos, tmp + pos + 1, n - pos);
			break;
		default: /* transposition */
			if (pos + 1 < e && (unsigned char)tmp[pos + 1] < 0x80) {
				char c = tmp[pos];

				tmp[pos] = tmp[pos + 1];
				tmp[pos + 1] = c;
			}
		}
		break;
	}
	snprintf(out, size, "%s", tmp);
}

static void gen_az(size_t count)
{
	for (size_t k = 0; k < count; k++) {
		const struct azname *g = &az_given[rnd() % N(az_given)];
		const struct azname *f = &az_family[rnd() % N(az_family)];
		const struct azname *father = &az_given[rnd() % N(az_given)];
		const struct azname *g2 = &az_given[rnd() % N(az_given)];
		const struct azname *f2 = &az_family[rnd() % N(az_family)];
		char a[256], b[256], t[256];
		const char *fam_ru = f->ru_cyr;

		snprintf(a, sizeof(a), "%s %s", g->az, f->az);
		switch (rnd() % 7) {
		case 0: snprintf(b, sizeof(b), "%s %s", g->ru_cyr, fam_ru); break;
		case 1: snprintf(b, sizeof(b), "%s %s", f->ru_lat, g->ru_lat); break;
		case 2: snprintf(b, sizeof(b), "%s %s", g->en, f->en); break;
		case 3: snprintf(b, sizeof(b), "%s %s oğlu %s", g->az, father->az, f->az); break;
		case 4: snprintf(b, sizeof(b), "%s %sовна %s", g->ru_cyr, father->ru_cyr, fam_ru);
			snprintf(b, sizeof(b), "%s %s %s", g->ru_cyr, fam_ru, "");
			break;
		case 5: snprintf(b, sizeof(b), "%s, %s", f->en, g->en); break;
		default: typo(a, t, sizeof(t));
			snprintf(b, sizeof(b), "%s", t);
			break;
		}
		add(a, b, C_AZ, true);
		/* negatives: same surname, other given name; same given name,
		 * other surname */
		if (g2 != g && strcmp(g2->en, g->en) != 0) {
			snprintf(b, sizeof(b), "%s %s", g2->en, f->en);
			add(a, b, C_AZ, false);
		}
		if (f2 != f) {
			snprintf(b, sizeof(b), "%s %s", g->ru_cyr, f2->ru_cyr);
			add(a, b, C_AZ, false);
		}
	}
}

static void gen_ru(size_t count)
{
	for (size_t k = 0; k < count; k++) {
		const struct azname *g = &ru_given[rnd() % N(ru_given)];
		const struct azname *f = &ru_family[rnd() % N(ru_family)];
		const struct azname *g2 = &ru_given[rnd() % N(ru_given)];
		const struct azname *f2 = &ru_family[rnd() % N(ru_family)];
		char a[256], b[256];

		snprintf(a, sizeof(a), "%s %s", g->ru_cyr, f->ru_cyr);
		switch (rnd() % 4) {
		case 0: snprintf(b, sizeof(b), "%s %s", g->ru_lat, f->ru_lat); break;
		case 1: snprintf(b, sizeof(b), "%s %s", f->en, g->en); break;
		case 2: snprintf(b, sizeof(b), "%s Ivanovich %s", g->ru_lat, f->ru_lat); break;
		default: snprintf(b, sizeof(b), "%s, %s", f->ru_lat, g->en); break;
		}
		add(a, b, C_RU, true);
		if (g2 != g) {
			snprintf(b, sizeof(b), "%s %s", g2->ru_lat, f->ru_lat);
			add(a, b, C_RU, false);
		}
		if (f2 != f) {
			snprintf(b, sizeof(b), "%s %s", g->en, f2->en);
			add(a, b, C_RU, false);
		}
	}
}

static void gen_fa(size_t count)
{
	for (size_t k = 0; k < count; k++) {
		const struct faname *g = &fa_given[rnd() % N(fa_given)];
		const struct faname *f = &fa_family[rnd() % N(fa_family)];
		const struct faname *g2 = &fa_given[rnd() % N(fa_given)];
		const struct faname *f2 = &fa_family[rnd() % N(fa_family)];
		char a[256], b[256];

		if (rnd() % 2)
			snprintf(a, sizeof(a), "%s %s", g->fa, f->fa);
		else
			snprintf(a, sizeof(a), "%s %s", g->lat[0], f->lat[0]);
		snprintf(b, sizeof(b), "%s %s", g->lat[rnd() % 3], f->lat[rnd() % 3]);
		add(a, b, C_FA, true);
		if (g2 != g) {
			snprintf(b, sizeof(b), "%s %s", g2->lat[rnd() % 3], f->lat[rnd() % 3]);
			add(a, b, C_FA, false);
		}
		if (f2 != f) {
			snprintf(b, sizeof(b), "%s %s", g->lat[rnd() % 3], f2->lat[rnd() % 3]);
			add(a, b, C_FA, false);
		}
	}
}

static void gen_en(size_t count)
{
	for (size_t k = 0; k < count; k++) {
		const char *g = en_given[rnd() % N(en_given)], *f = en_family[rnd() % N(en_family)];
		const char *g2 = en_given[rnd() % N(en_given)], *f2 = en_family[rnd() % N(en_family)];
		char a[256], b[256], t[256];

		snprintf(a, sizeof(a), "%s %s", g, f);
		switch (rnd() % 4) {
		case 0: snprintf(b, sizeof(b), "%s, %s", f, g); break;
		case 1: snprintf(b, sizeof(b), "%s %c. %s", g, 'A' + (int)(rnd() % 26), f); break;
		case 2: snprintf(b, sizeof(b), "%s %s", g, f); typo(b, t, sizeof(t));
			snprintf(b, sizeof(b), "%s", t); break;
		default: snprintf(b, sizeof(b), "%s %s", f, g); break;
		}
		add(a, b, C_EN, true);
		if (g2 != g) {
			snprintf(b, sizeof(b), "%s %s", g2, f);
			add(a, b, C_EN, false);
		}
		if (f2 != f) {
			snprintf(b, sizeof(b), "%s %s", g, f2);
			add(a, b, C_EN, false);
		}
	}
}

/* ---------------------------------------------------------------- report -- */

struct conf {
	size_t tp, fp, fn, tn;
};

static void metrics(const struct conf *c, double *p, double *r, double *f)
{
	*p = c->tp + c->fp ? (double)c->tp / (double)(c->tp + c->fp) : 1;
	*r = c->tp + c->fn ? (double)c->tp / (double)(c->tp + c->fn) : 1;
	*f = *p + *r > 0 ? 2 * *p * *r / (*p + *r) : 0;
}

static void tally(double thr, struct conf c[C_NCAT + 1])
{
	memset(c, 0, sizeof(struct conf) * (C_NCAT + 1));
	for (size_t i = 0; i < npairs; i++) {
		bool m = pairs[i].s >= thr;
		struct conf *x = &c[pairs[i].c], *all = &c[C_NCAT];

		if (pairs[i].pos) {
			x->tp += m; x->fn += !m; all->tp += m; all->fn += !m;
		} else {
			x->fp += m; x->tn += !m; all->fp += m; all->tn += !m;
		}
	}
}

int main(int argc, char **argv)
{
	const char *dir = "../shared/testdata";
	struct entlist un = {0}, ofac = {0};
	struct conf c[C_NCAT + 1];
	size_t ul, sl, al;
	char *buf, *sdn, *alt;
	size_t skipped = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--dump") == 0 && i + 1 < argc)
			dump = fopen(argv[++i], "w");
		else
			dir = argv[i];
	}
	if ((buf = slurp(dir, "un_consolidated.xml", &ul))) {
		if (att_wl_parse_un_xml(buf, ul, 64u << 20, collect, &un, NULL) != ATT_OK)
			fprintf(stderr, "UN list refused\n");
		free(buf);
		list_pairs(&un, C_UN, C_UN_VAR, C_UN_SCRIPT, C_UN_LOW);
	} else {
		fprintf(stderr, "no %s/un_consolidated.xml: UN categories skipped\n", dir);
	}
	sdn = slurp(dir, "ofac_sdn_2019.csv", &sl);
	alt = slurp(dir, "ofac_alt_2019.csv", &al);
	if (sdn && alt) {
		if (att_wl_parse_ofac_csv(sdn, sl, alt, al, 64u << 20, collect, &ofac, NULL) != ATT_OK)
			fprintf(stderr, "OFAC list refused\n");
		list_pairs(&ofac, C_OFAC, C_OFAC_VAR, -1, -1);
	}
	free(sdn);
	free(alt);
	gen_az(3000);
	gen_ru(1500);
	gen_fa(1500);
	gen_en(1500);

	for (size_t i = 0; i < npairs; i++) {
		double s;
		bool m;

		if (att_match_pair(pairs[i].a, pairs[i].b, &s, &m, NULL, NULL) != ATT_OK) {
			s = 0;
			skipped++;
		}
		pairs[i].s = s;
		if (dump)
			fprintf(dump, "%s\t%s\t%s\t%d\t%.4f\n", cat_name[pairs[i].c], pairs[i].a,
				pairs[i].b, pairs[i].pos, s);
	}
	printf("pairs: %zu (%zu could not be normalised, scored 0)\n", npairs, skipped);
	printf("threshold ATT_MATCH_THRESHOLD = %.2f\n\n", ATT_MATCH_THRESHOLD);
	printf("%-12s %7s %7s %9s %7s %7s %7s\n", "category", "pos", "neg", "precision", "recall",
	       "F1", "");
	tally(ATT_MATCH_THRESHOLD, c);
	for (int k = 0; k <= C_NCAT; k++) {
		double p, r, f;

		if (c[k].tp + c[k].fn + c[k].fp + c[k].tn == 0)
			continue;
		metrics(&c[k], &p, &r, &f);
		printf("%-12s %7zu %7zu %9.3f %7.3f %7.3f %s\n", k == C_NCAT ? "ALL" : cat_name[k],
		       c[k].tp + c[k].fn, c[k].fp + c[k].tn, p, r, f,
		       k < C_NCAT && cat_target[k] && f < 0.90 ? "(below the 0.90 target)" : "");
	}
	printf("\n*-alias: every alias the list gives (many are different names: noms de\n"
	       "guerre, single surnames, acronyms, translations; reported, no target);\n"
	       "un-low: the UN aliases of quality \"Low\" (mostly nicknames; no target);\n"
	       "*-variant: the aliases that are spelling variants (titles, legal forms and\n"
	       "articles dropped; every token of the shorter name, >= 2 tokens, has a\n"
	       "Jaro-Winkler >= 0.80 partner, or the names without spaces have JW >= 0.90;\n"
	       "decided without the scorer); un-script: Latin <-> NAME_ORIGINAL_SCRIPT,\n"
	       "negatives are other entries' original-script names (random and sharing a\n"
	       "surname-like token).\n");
	printf("\nthreshold sweep (F1 per category):\n%-6s", "thr");
	for (int k = 0; k <= C_NCAT; k++)
		printf(" %10s", k == C_NCAT ? "ALL" : cat_name[k]);
	printf("\n");
	for (double t = 0.60; t < 0.971; t += 0.025) {
		tally(t, c);
		printf("%-6.3f", t);
		for (int k = 0; k <= C_NCAT; k++) {
			double p, r, f;

			metrics(&c[k], &p, &r, &f);
			printf(" %10.3f", f);
		}
		printf("\n");
	}
	printf("\nthreshold sweep (precision per category; '-' when no negatives):\n%-6s", "thr");
	for (int k = 0; k <= C_NCAT; k++)
		printf(" %10s", k == C_NCAT ? "ALL" : cat_name[k]);
	printf("\n");
	for (double t = 0.60; t < 0.971; t += 0.05) {
		tally(t, c);
		printf("%-6.3f", t);
		for (int k = 0; k <= C_NCAT; k++) {
			double p, r, f;

			metrics(&c[k], &p, &r, &f);
			if (c[k].fp + c[k].tn == 0)
				printf(" %10s", "-");
			else
				printf(" %10.3f", p);
		}
		printf("\n");
	}
	if (dump)
		fclose(dump);
	att_match_thread_release();
	return 0;
}
