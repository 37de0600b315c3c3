/* libFuzzer target for the trimmed parse of job answers (lib/json.h
 * json_trim): skipped members and strings cut in the text before yajl
 * holds them.
 *
 *   11 fuzz_trim  valid JSON stays valid when trimmed; no kept string or
 *                 key is longer than the keep, no skipped key is kept; the
 *                 result does not depend on how the text is split */
#include "autoconfig.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define KEEP 8

static const char *const skip[] = { "tasks", NULL };
static const struct json_trim trim = { skip, KEEP };

static void check_tree(const struct json_value *v)
{
	const char *s;
	size_t len;

	if (json_get_string(v, &s, &len) == JSON_OK && len > KEEP * 3)
		abort(); /* KEEP bytes of text decode to at most 3 bytes each */
	for (size_t i = 0; i < json_count(v); i++) {
		const char *key;
		size_t key_len;
		const struct json_value *m = json_type_of(v) == JSON_ARRAY
						 ? json_array_at(v, i)
						 : json_member_at(v, i, &key, &key_len);

		if (json_type_of(v) == JSON_OBJECT &&
		    ((key_len == 5 && memcmp(key, "tasks", 5) == 0) || key_len > KEEP * 3))
			abort(); /* a skipped member was kept, or a key not cut */
		check_tree(m);
	}
}

static enum json_error parse_split(const uint8_t *data, size_t size, size_t chunk,
				   struct json_doc **doc)
{
	struct json_stream *st = json_stream_new(NULL, NULL, NULL);
	char err[160];
	enum json_error rc = JSON_OK;

	*doc = NULL;
	if (st == NULL)
		return JSON_ERR_NOMEM;
	json_stream_trim(st, &trim);
	for (size_t i = 0; i < size && rc == JSON_OK; i += chunk)
		rc = json_stream_feed(st, (const char *)data + i,
				      size - i < chunk ? size - i : chunk, err, sizeof err);
	if (rc == JSON_OK)
		rc = json_stream_finish(st, doc, err, sizeof err);
	json_stream_free(st);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_doc *whole = NULL;
	struct json_doc *trimmed = NULL;
	struct json_doc *split = NULL;
	struct buf a, b;
	char err[160];
	enum json_error full = json_parse((const char *)data, size, &whole, err, sizeof err);
	enum json_error one =
	    json_parse_trimmed((const char *)data, size, &trim, &trimmed, err, sizeof err);
	enum json_error three = parse_split(data, size, 3, &split);

	if (full == JSON_OK && one != JSON_OK && one != JSON_ERR_NOMEM)
		abort(); /* trimming refused valid JSON */
	if ((one == JSON_OK) != (three == JSON_OK))
		abort(); /* the split changed the verdict */
	if (one == JSON_OK) {
		check_tree(json_root(trimmed));
		buf_init(&a, 1u << 24);
		buf_init(&b, 1u << 24);
		if (json_write(json_root(trimmed), &a) != BUF_OK ||
		    json_write(json_root(split), &b) != BUF_OK || a.len != b.len ||
		    (a.len && memcmp(a.data, b.data, a.len) != 0))
			abort(); /* the split changed the tree */
		buf_free(&a);
		buf_free(&b);
	}
	json_free(whole);
	json_free(trimmed);
	json_free(split);
	return 0;
}
