/* libFuzzer target: the UN consolidated list XML parser. */
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
	size_t n = 0;

	if (att_wl_parse_un_xml((const char *)data, size, 1u << 20, cb, &n, NULL) != ATT_OK &&
	    n != 0)
		__builtin_trap(); /* refused input must emit nothing */
	return 0;
}
