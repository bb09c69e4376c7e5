/* libFuzzer target: the name normaliser and scorer on arbitrary bytes (the
 * input is split at the first TAB into two names). */
#include <stdint.h>
#include <string.h>

#include "attache/match.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct att_name a, b;
	const char *s = (const char *)data;
	const char *tab = memchr(s, '\t', size);
	size_t na = tab ? (size_t)(tab - s) : size;

	if (att_name_normalize(s, na, &a, NULL) != ATT_OK)
		return 0;
	if (tab && att_name_normalize(tab + 1, size - na - 1, &b, NULL) == ATT_OK) {
		double x = att_match_score(&a, NULL, &b, NULL, NULL);
		double y = att_match_score(&b, NULL, &a, NULL, NULL);

		if (x < 0 || x > 1 || x != y)
			__builtin_trap();
	}
	return 0;
}
