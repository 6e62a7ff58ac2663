/* fuzz_nginx_site: render_nginx_site over a site filled from the input (fuzz.h: site_decode;
 * fields in enum site_field order, NUL-separated, list items separated by 0x1e).
 *
 * Refused: a VALIDATION_ERROR naming a field. Accepted: the site lexes as nginx reads it
 * (balanced braces, quotes closed, no control character or newline in a token, only \\ \" \'
 * escapes in quoted strings), every line that berth's defaults do not render ends a directive
 * or is a comment, and every user value holding a character special to nginx (space, ';',
 * '{', '}', '#', quotes, '\', '$', controls) leaves the site with the same directives, each
 * with as many tokens, as the same site with a safe value there, and adds no '$'. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "lib/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct site_rep r;
	site_decode(&r, data, size);
	struct berr err = {0};
	char *out = site_render(&r, &err);
	if (!out) {
		FUZZ_CHECK(err.code == BE_VALIDATION_ERROR && err.field[0] && err.message[0],
			   "a refused site must name the field at fault (code %d, field '%s')", err.code,
			   err.field);
		site_rep_release(&r);
		return 0;
	}
	/* pure: the same input renders the same text */
	struct berr err2 = {0};
	char *again = site_render(&r, &err2);
	FUZZ_CHECK(again && strcmp(again, out) == 0, "render_nginx_site is not deterministic");
	free(again);

	site_check_rendered(&r, out);
	free(out);
	site_rep_release(&r);
	return 0;
}
