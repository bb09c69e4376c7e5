/* libFuzzer target: the OFAC SDN CSV parser (input split at the first form
 * feed into sdn.csv and alt.csv) and the generic CSV parser. */
#include <stdint.h>
#include <string.h>

#include "attache/match.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static enum att_rc cb(void *ctx, const struct att_wl_entry *e)
{
	size_t *n = ctx;

	if (!e->id || !e->name)
		__builtin_trap();
	(*n)++;
	return ATT_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	const char *ff = memchr(s, '\f', size);
	size_t n = 0, ns = ff ? (size_t)(ff - s) : size;

	if (att_wl_parse_ofac_csv(s, ns, ff ? ff + 1 : NULL, ff ? size - ns - 1 : 0, 1u << 20,
				  cb, &n, NULL) != ATT_OK && n != 0)
		__builtin_trap();
	n = 0;
	if (att_wl_parse_csv(s, size, 1u << 20, cb, &n, NULL) != ATT_OK && n != 0)
		__builtin_trap();
	return 0;
}
