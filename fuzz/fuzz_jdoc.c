/* libFuzzer target: the message form's JSON reader against jansson on
 * arbitrary bytes. Both must accept the same texts, read the same values,
 * and refuse with the same message. */
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "jdoc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct att_jdoc *d = NULL;
	json_error_t e1, e2;
	json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &e2);
	enum att_rc rc = att_jdoc_parse((const char *)data, size, &d, &e1);

	if (rc == ATT_ENOMEM) {
		json_decref(j);
		return 0;
	}
	if ((rc == ATT_OK) != (j != NULL))
		__builtin_trap();
	if (rc == ATT_OK) {
		json_t *mine = att_jv_json(att_jdoc_root(d));

		if (!mine || !json_equal(mine, j))
			__builtin_trap();
		json_decref(mine);
	} else if (strcmp(e1.text, e2.text) || e1.line != e2.line) {
		__builtin_trap();
	}
	json_decref(j);
	att_jdoc_free(d);
	return 0;
}
