/* The JSON tree: limits, typed getters, duplicates, embedded NULs. */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "tap.h"

static const struct {
	const char *text;
	enum json_error err;
} parse_cases[] = {
	{ "{}", JSON_OK },
	{ "[1, 2.5, \"x\", true, null, {\"a\": []}]", JSON_OK },
	{ "", JSON_ERR_SYNTAX },
	{ "{", JSON_ERR_SYNTAX },
	{ "{\"a\": 1", JSON_ERR_SYNTAX },
	{ "{\"a\": 1}}", JSON_ERR_SYNTAX },
	{ "{} {}", JSON_ERR_SYNTAX },
	{ "<html>error</html>", JSON_ERR_SYNTAX },
	{ "{\"a\": 01}", JSON_ERR_SYNTAX },
	{ "{\"a\": \"\xff\"}", JSON_ERR_SYNTAX },
	{ "{\"a\": \"\xc0\xaf\"}", JSON_ERR_SYNTAX },
	{ "{\"\xe0\x80\xaf\": 1}", JSON_ERR_SYNTAX },
	{ "{\"a\": \"\xed\xa0\x80\"}", JSON_ERR_SYNTAX },
	{ "{\"a\": \"caf\xc3\xa9 \xf0\x9f\x98\x80\"}", JSON_OK },
	{ "{\"a\": \"tab\there\"}", JSON_ERR_SYNTAX },
	{ "// comment\n{}", JSON_ERR_SYNTAX },
	{ "{'a': 1}", JSON_ERR_SYNTAX },
};

static struct json_doc *parse(const char *text)
{
	struct json_doc *doc;
	char err[128];

	if (json_parse(text, strlen(text), &doc, err, sizeof err) != JSON_OK)
		return NULL;
	return doc;
}

static void test_parse_cases(void)
{
	for (size_t i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++) {
		struct json_doc *doc;
		char err[128] = "";
		enum json_error rc = json_parse(parse_cases[i].text, strlen(parse_cases[i].text),
						&doc, err, sizeof err);

		tap_ok(rc == parse_cases[i].err && (rc == JSON_OK) == (doc != NULL) &&
			   strchr(err, '\n') == NULL,
		       "parse case %zu gives %d (got %d, '%s')", i, parse_cases[i].err, rc, err);
		json_free(doc);
	}
}

static void test_limits(void)
{
	size_t n = 200000;
	char *deep = malloc(2 * n + 1);
	struct json_doc *doc;
	char err[128];
	enum json_error rc;
	struct buf wide;

	memset(deep, '[', n);
	memset(deep + n, ']', n);
	deep[2 * n] = '\0';
	rc = json_parse(deep, 2 * n, &doc, err, sizeof err);
	tap_ok(rc == JSON_ERR_LIMIT && doc == NULL, "200000 nested arrays are refused (%s)", err);
	free(deep);

	memset(err, 0, sizeof err);
	buf_init(&wide, 8u << 20);
	buf_append_str(&wide, "[");
	for (int i = 0; i < JSON_MAX_NODES + 10; i++)
		buf_append_str(&wide, i ? ",0" : "0");
	buf_append_str(&wide, "]");
	rc = json_parse(wide.data, wide.len, &doc, err, sizeof err);
	tap_ok(rc == JSON_ERR_LIMIT && doc == NULL,
	       "more than JSON_MAX_NODES values are refused (%s)", err);
	buf_free(&wide);
}

static void test_getters(void)
{
	struct json_doc *doc =
	    parse("{\"i\": 42, \"neg\": -7, \"f\": 5.5, \"e\": 1e2, \"big\": 99999999999999999999,"
		  " \"huge\": 1e999, \"s\": \"text\", \"b\": false, \"n\": null,"
		  " \"dup\": 1, \"dup\": 2, \"arr\": [1, 2, 3], \"nul\": \"a\\u0000b\"}");
	const struct json_value *root = doc ? json_root(doc) : NULL;
	const struct json_value *v;
	int64_t i;
	double d;
	bool b;
	const char *s;
	size_t len;

	if (!tap_ok(root != NULL, "document parses"))
		return;
	tap_ok(json_object_get(root, "i", &v) == JSON_OK && json_get_int64(v, &i) == JSON_OK &&
		   i == 42,
	       "integer reads");
	tap_ok(json_object_get(root, "neg", &v) == JSON_OK && json_get_int64(v, &i) == JSON_OK &&
		   i == -7,
	       "negative integer reads");
	tap_ok(json_object_get(root, "f", &v) == JSON_OK && json_get_int64(v, &i) == JSON_ERR_RANGE,
	       "fraction is not an integer");
	tap_ok(json_object_get(root, "e", &v) == JSON_OK && json_get_int64(v, &i) == JSON_ERR_RANGE,
	       "exponent form is not an integer");
	tap_ok(json_object_get(root, "big", &v) == JSON_OK &&
		   json_get_int64(v, &i) == JSON_ERR_RANGE,
	       "integer beyond 64 bits is a range error");
	tap_ok(json_object_get(root, "huge", &v) == JSON_OK &&
		   json_get_double(v, &d) == JSON_ERR_RANGE,
	       "1e999 is a range error as a double");
	tap_ok(json_object_get(root, "f", &v) == JSON_OK && json_get_double(v, &d) == JSON_OK &&
		   d == 5.5,
	       "double reads");
	tap_ok(json_object_get(root, "s", &v) == JSON_OK && json_get_int64(v, &i) == JSON_ERR_TYPE,
	       "string is not a number");
	tap_ok(json_object_get(root, "b", &v) == JSON_OK && json_get_bool(v, &b) == JSON_OK && !b,
	       "boolean reads");
	tap_ok(json_object_get(root, "n", &v) == JSON_OK && json_type_of(v) == JSON_NULL &&
		   json_get_bool(v, &b) == JSON_ERR_TYPE,
	       "null is its own type");
	tap_ok(json_object_get(root, "dup", &v) == JSON_ERR_DUPLICATE, "duplicated key is refused");
	tap_ok(json_object_get(root, "none", &v) == JSON_ERR_MISSING, "absent key is reported");
	tap_ok(json_object_get(root, "arr", &v) == JSON_OK && json_count(v) == 3 &&
		   json_get_int64(json_array_at(v, 2), &i) == JSON_OK && i == 3 &&
		   json_array_at(v, 3) == NULL,
	       "arrays index with bounds");
	tap_ok(json_object_get(root, "nul", &v) == JSON_OK &&
		   json_get_string(v, &s, &len) == JSON_OK && len == 3 && s[1] == '\0',
	       "embedded NUL keeps the string length");
	{
		const struct json_value *out;

		tap_ok(json_object_get(v, "x", &out) == JSON_ERR_TYPE && out == NULL,
		       "lookup on a non-object is a type error");
	}
	json_free(doc);
	json_free(NULL);
}

/* Streaming: collects what the item callback saw. */
struct seen {
	int items;
	int64_t sum;
	int stop_after;
	char kinds[32];
};

static int on_item(void *ctx, const struct json_value *item)
{
	struct seen *seen = ctx;
	const struct json_value *v;
	int64_t n;

	if (seen->items < (int)sizeof seen->kinds - 1)
		seen->kinds[seen->items] = json_type_name(json_type_of(item))[0];
	seen->items++;
	if (json_type_of(item) == JSON_OBJECT && json_object_get(item, "n", &v) == JSON_OK &&
	    json_get_int64(v, &n) == JSON_OK)
		seen->sum += n;
	return seen->stop_after == 0 || seen->items < seen->stop_after;
}

/* Feeds @text in pieces of @chunk bytes. */
static enum json_error stream_text(const char *text, size_t chunk, struct seen *seen,
				   struct json_doc **rest, char *err, size_t errlen)
{
	struct json_stream *st = json_stream_new("data", on_item, seen);
	size_t len = strlen(text);
	enum json_error rc = JSON_OK;

	for (size_t off = 0; off < len && rc == JSON_OK; off += chunk)
		rc = json_stream_feed(st, text + off, len - off < chunk ? len - off : chunk, err,
				      errlen);
	if (rc == JSON_OK)
		rc = json_stream_finish(st, rest, err, errlen);
	json_stream_free(st);
	return rc;
}

static void test_stream(void)
{
	static const char page[] =
	    "{\"meta\": {\"pagingInfo\": {\"total\": 3, \"count\": 3, \"offset\": 0}},"
	    " \"data\": [{\"n\": 1, \"deep\": {\"a\": [1, {\"b\": 2}]}}, {\"n\": 2}, 7, [], {\"n\": 4}],"
	    " \"other\": {\"data\": [{\"n\": 100}]}, \"errors\": null}";
	size_t chunks[] = { 1, 2, 7, 64, sizeof page };

	for (size_t i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
		struct seen seen = { 0 };
		struct json_doc *rest = NULL;
		const struct json_value *data = NULL;
		const struct json_value *meta = NULL;
		char err[128] = "";
		enum json_error rc = stream_text(page, chunks[i], &seen, &rest, err, sizeof err);

		tap_ok(
		    rc == JSON_OK && seen.items == 5 && seen.sum == 7 &&
			strcmp(seen.kinds, "oonao") == 0,
		    "stream in %zu-byte pieces: 5 elements of root.data only, in order (%d, %s, %s)",
		    chunks[i], seen.items, seen.kinds, err);
		tap_ok(rest && json_object_get(json_root(rest), "data", &data) == JSON_OK &&
			   json_count(data) == 0 &&
			   json_object_get(json_root(rest), "meta", &meta) == JSON_OK,
		       "the rest keeps meta and an empty data array");
		json_free(rest);
	}
	{
		struct seen seen = { 0 };
		struct json_doc *rest = NULL;
		char err[128] = "";
		enum json_error rc = stream_text("{\"data\": [{\"n\": 1}, {\"n\": 2}, {\"n\": ", 5,
						 &seen, &rest, err, sizeof err);

		tap_ok(rc == JSON_ERR_SYNTAX && seen.items == 2 && rest == NULL,
		       "a page cut short fails after the complete elements (%s)", err);
	}
	{
		struct seen seen = { 0 };
		struct json_doc *rest = NULL;
		char err[128] = "";
		enum json_error rc = stream_text("{\"data\": [{\"n\": 1, \"x\": \"\xc0\xaf\"}]}", 3,
						 &seen, &rest, err, sizeof err);

		tap_ok(rc == JSON_ERR_SYNTAX && seen.items == 0,
		       "invalid UTF-8 inside an element fails (%s)", err);
	}
	{
		struct seen seen = { .stop_after = 2 };
		struct json_doc *rest = NULL;
		char err[128] = "";
		enum json_error rc =
		    stream_text("{\"data\": [{}, {}, {}, {}]}", 4, &seen, &rest, err, sizeof err);

		tap_ok(rc == JSON_ERR_STOPPED && seen.items == 2,
		       "the callback can stop the parse");
	}
	{
		/* many elements: memory stays that of one element (checked by valgrind/ASan runs
		 * for leaks; here the node limit must not accumulate across elements) */
		struct buf big;
		struct seen seen = { 0 };
		struct json_doc *rest = NULL;
		char err[128] = "";
		enum json_error rc;

		buf_init(&big, 64u << 20);
		buf_append_str(&big, "{\"data\": [");
		for (int i = 0; i < 200000; i++)
			buf_append_str(&big,
				       i ? ",{\"n\":1,\"m\":[1,2]}" : "{\"n\":1,\"m\":[1,2]}");
		buf_append_str(&big, "]}");
		rc = stream_text(big.data, 65536, &seen, &rest, err, sizeof err);
		tap_ok(
		    rc == JSON_OK && seen.items == 200000 && seen.sum == 200000,
		    "200000 elements (800000 values) stream past the per-document node limit (%s)",
		    err);
		json_free(rest);
		buf_free(&big);
	}
}

static void test_escape(void)
{
	static const char raw[] = "a\"b\\c\n\x01\0z \xc3\xa9";
	struct buf b;
	struct json_doc *doc = NULL;
	const char *s;
	size_t len;
	char err[64];

	buf_init(&b, 256);
	json_append_string(&b, raw, sizeof raw - 1);
	tap_str_eq(buf_str(&b), "\"a\\\"b\\\\c\\u000a\\u0001\\u0000z \xc3\xa9\"",
		   "quotes, backslashes and control characters are escaped");
	tap_ok(json_parse(b.data, b.len, &doc, err, sizeof err) == JSON_OK &&
		   json_get_string(json_root(doc), &s, &len) == JSON_OK && len == sizeof raw - 1 &&
		   memcmp(s, raw, len) == 0,
	       "the escaped string parses back to the same bytes");
	json_free(doc);
	buf_free(&b);
}

/* json_append_string() at the cap is all or nothing: for every cap from "the
 * buffer is already full" up to one byte short of the whole string, the
 * append fails and leaves the buffer exactly as before, NUL-terminated (no
 * opening quote, no part of the text); the exact length fits. The text has a
 * two-byte and a six-byte escape, so some caps cut through each of them. */
static void test_escape_at_cap(void)
{
	static const char prefix[] = "{\"name\":";
	static const char raw[] = "ab\"c\001d";
	static const char want[] = "{\"name\":\"ab\\\"c\\u0001d\"";
	const size_t plen = sizeof prefix - 1;
	struct buf b;
	enum buf_error rc;

	for (size_t cap = plen; cap < sizeof want - 1; cap++) {
		buf_init(&b, cap);
		(void)buf_append_str(&b, prefix);
		rc = json_append_string(&b, raw, sizeof raw - 1);
		tap_ok(rc == BUF_TOO_BIG && b.len == plen && memcmp(b.data, prefix, plen) == 0 &&
			   b.data[plen] == '\0',
		       "a cap %zu byte(s) below the whole string leaves the buffer as it was",
		       sizeof want - 1 - cap);
		buf_free(&b);
	}
	buf_init(&b, sizeof want - 1);
	(void)buf_append_str(&b, prefix);
	rc = json_append_string(&b, raw, sizeof raw - 1);
	tap_ok(rc == BUF_OK, "a string that fills the buffer to the cap exactly is appended");
	tap_str_eq(buf_str(&b), want, "and is escaped and closed");
	rc = json_append_string(&b, "", 0);
	tap_ok(rc == BUF_TOO_BIG && strcmp(buf_str(&b), want) == 0,
	       "even an empty string does not fit in a full buffer, and changes nothing");
	buf_free(&b);
	buf_init(&b, 1);
	rc = json_append_string(&b, "", 0);
	tap_ok(rc == BUF_TOO_BIG && b.len == 0 && strcmp(buf_str(&b), "") == 0,
	       "an empty buffer one byte short of \"\" stays empty");
	buf_free(&b);
}

static void test_truncate(void)
{
	struct buf b;

	buf_init(&b, 16);
	(void)buf_append_str(&b, "abcdef");
	buf_truncate(&b, 10);
	tap_ok(b.len == 6 && strcmp(buf_str(&b), "abcdef") == 0,
	       "buf_truncate() past the length changes nothing");
	buf_truncate(&b, 2);
	tap_ok(b.len == 2 && strcmp(buf_str(&b), "ab") == 0 && b.data[2] == '\0',
	       "buf_truncate() cuts back and keeps the NUL");
	tap_ok(buf_append_str(&b, "xyz") == BUF_OK && strcmp(buf_str(&b), "abxyz") == 0,
	       "appends continue from the cut");
	buf_truncate(&b, 0);
	tap_ok(b.len == 0 && strcmp(buf_str(&b), "") == 0, "buf_truncate() to 0 empties it");
	buf_free(&b);
	buf_truncate(&b, 0);
	tap_ok(b.len == 0 && strcmp(buf_str(&b), "") == 0,
	       "buf_truncate() of a buffer never appended to is harmless");
}

/* json_write gives back what was parsed: the snapshot stores elements
 * that way, and a stored job must decode as the page's did. */
static void test_write_round_trip(void)
{
	static const char *const cases[] = {
		"{\"a\":1,\"a\":2}",
		"[1.50,-0,1e400,12345678901234567890,true,false,null]",
		"{\"s\":\"tab\\t nl\\n nul\\u0000 quote\\\" bs\\\\ \\u00e9 \\ud83d\\ude00\"}",
		"{\"_embedded\":{\"backupServerJob\":{\"uid\":\"x\",\"l\":[[],{}]}}}",
		"\"\"",
		"{}",
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct json_doc *a = NULL;
		struct json_doc *b = NULL;
		struct buf once, twice;
		char err[128];

		buf_init(&once, 1u << 20);
		buf_init(&twice, 1u << 20);
		bool ok = json_parse(cases[i], strlen(cases[i]), &a, err, sizeof err) == JSON_OK &&
			  json_write(json_root(a), &once) == BUF_OK &&
			  json_parse(once.data, once.len, &b, err, sizeof err) == JSON_OK &&
			  json_write(json_root(b), &twice) == BUF_OK && once.len == twice.len &&
			  memcmp(once.data, twice.data, once.len) == 0;

		tap_ok(ok, "json_write round trip of case %zu: %s", i, buf_str(&once));
		json_free(a);
		json_free(b);
		buf_free(&once);
		buf_free(&twice);
	}
	{
		struct json_doc *d = NULL;
		struct buf out;
		char err[128];
		const char *text = "{\"n\":1.50,\"k\":[true]}";

		buf_init(&out, 1024);
		tap_ok(json_parse(text, strlen(text), &d, err, sizeof err) == JSON_OK &&
			   json_write(json_root(d), &out) == BUF_OK &&
			   strcmp(buf_str(&out), text) == 0,
		       "json_write keeps numbers as written and members in order");
		json_free(d);
		buf_free(&out);
	}
}

/* json_trim: what a job answer's parse leaves out. */
static void test_trim(void)
{
	static const char *const skip[] = { "tasks", NULL };
	static const struct json_trim trim = { skip, 6 }; /* keys are cut too: 6 >= "tasks" */
	struct json_doc *d = NULL;
	struct buf out;
	char err[128];
	const char *text = "{\"a\":1,\"tasks\":[{\"x\":[1,{\"tasks\":2}]},3],\"b\":{\"tasks\":null,"
			   "\"c\":\"ab\\u00e9\\u00e9\"},\"s\":\"abcdefgh\",\"tasks\":\"z\"}";
	const char *bad = "{\"tasks\":[\"\xc0\xaf\"]}";

	buf_init(&out, 4096);
	tap_ok(json_parse_trimmed(text, strlen(text), &trim, &d, err, sizeof err) == JSON_OK &&
		   json_write(json_root(d), &out) == BUF_OK,
	       "a trimmed parse succeeds (%s)", err);
	/* every "tasks" value goes, at any depth and of any type; strings keep
	 * 6 bytes of their text, never cutting an escape */
	tap_ok(strcmp(buf_str(&out), "{\"a\":1,\"b\":{\"c\":\"ab\xc3\xa9\"},\"s\":\"abcdef\"}") ==
		   0,
	       "skipped members are gone, long strings cut at a character: %s", buf_str(&out));
	json_free(d);
	d = NULL;
	tap_ok(json_parse_trimmed(bad, strlen(bad), &trim, &d, err, sizeof err) == JSON_ERR_SYNTAX,
	       "a skipped value must still be valid JSON text (UTF-8)");
	json_free(d);
	d = NULL;
	tap_ok(json_parse_trimmed("{\"tasks\":[1,2}", 15, &trim, &d, err, sizeof err) != JSON_OK,
	       "a skipped value must still be well-formed");
	json_free(d);
	buf_free(&out);
}

/* Streams @text in @chunk-byte pieces with strings cut at @keep; the
 * string member "s" (or NULL with the error in @err). */
static char *cut_string(const char *text, size_t chunk, size_t keep, char *err, size_t errlen)
{
	const struct json_trim trim = { NULL, keep };
	struct json_stream *st = json_stream_new(NULL, NULL, NULL);
	struct json_doc *d = NULL;
	const struct json_value *v;
	const char *str;
	size_t len = strlen(text);
	size_t n;
	char *out = NULL;
	enum json_error rc = JSON_OK;

	json_stream_trim(st, &trim);
	for (size_t i = 0; i < len && rc == JSON_OK; i += chunk)
		rc = json_stream_feed(st, text + i, len - i < chunk ? len - i : chunk, err, errlen);
	if (rc == JSON_OK && json_stream_finish(st, &d, err, errlen) == JSON_OK &&
	    json_object_get(json_root(d), "s", &v) == JSON_OK &&
	    json_get_string(v, &str, &n) == JSON_OK) {
		out = malloc(n + 1);
		memcpy(out, str, n);
		out[n] = '\0';
	}
	json_free(d);
	json_stream_free(st);
	return out;
}

/* The text of an overlong string is cut before yajl holds it: between
 * characters, never inside an escape or a surrogate pair, whatever the
 * pieces the text comes in. */
static void test_string_cut(void)
{
	static const struct {
		const char *text;
		size_t keep;
		const char *want; /* NULL: a syntax error */
	} cases[] = {
		{ "{\"s\":\"abcdefgh\",\"t\":1}", 4, "abcd" },
		{ "{\"s\":\"ab\\n\\\"cd\"}", 3, "ab\n" },
		{ "{\"s\":\"a\\ud83d\\ude00bc\"}", 7, "a\xf0\x9f\x98\x80" },
		{ "{\"s\":\"a\xc3\xa9\xc3\xa9\"}", 2, "a\xc3\xa9" },
		{ "{\"s\":\"abcd\x01\"}", 2, NULL },
		{ "{\"s\":\"abcd\\q\"}", 2, NULL },
		{ "{\"s\":\"ab\"}", 2, "ab" },
		{ "{\"k\\\"ey\":\"x\",\"s\":\"\\\"quoted\\\" text\"}", 9, "\"quoted\"" },
	};
	char err[160];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		for (size_t chunk = 1; chunk <= 64; chunk *= 4) {
			char *got =
			    cut_string(cases[i].text, chunk, cases[i].keep, err, sizeof err);
			bool ok =
			    cases[i].want ? got && strcmp(got, cases[i].want) == 0 : got == NULL;

			tap_ok(ok, "string cut, case %zu in %zu-byte pieces: %s", i, chunk,
			       got ? got : err);
			free(got);
		}
	{
		size_t big = 1u << 20;
		char *text = malloc(big + 16);
		char *got;

		memcpy(text, "{\"s\":\"", 6);
		memset(text + 6, 'x', big);
		memcpy(text + 6 + big, "\"}", 3);
		got = cut_string(text, 16384, 65536, err, sizeof err);
		tap_ok(got && strlen(got) == 65536, "a 1 MiB string keeps its first 64 KiB");
		free(got);
		free(text);
	}
}

int main(void)
{
	test_parse_cases();
	test_limits();
	test_getters();
	test_stream();
	test_escape();
	test_escape_at_cap();
	test_truncate();
	test_write_round_trip();
	test_trim();
	test_string_cut();
	return tap_done();
}
