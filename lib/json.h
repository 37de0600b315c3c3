/* JSON documents: the only user of yajl.
 *
 * json_parse() builds a small read-only tree from a complete text. Strings
 * and keys keep their length, so an embedded NUL ("\u0000") is visible to
 * callers instead of silently cutting a string short. The parser refuses
 * nesting deeper than JSON_MAX_DEPTH and trees of more than JSON_MAX_NODES
 * values, so memory and stack stay bounded whatever the input.
 *
 * A document owns every value reachable from its root; values live until
 * json_free() of their document. Getters never allocate. */
#ifndef VSPC_JSON_H
#define VSPC_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define JSON_MAX_DEPTH 64
#define JSON_MAX_NODES 250000

enum json_type {
	JSON_NULL,
	JSON_BOOL,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT
};

enum json_error {
	JSON_OK = 0,
	JSON_ERR_SYNTAX,    /* not JSON (message in the error text) */
	JSON_ERR_LIMIT,     /* too deep or too many values */
	JSON_ERR_NOMEM,     /* allocation failed */
	JSON_ERR_MISSING,   /* json_object_get(): no such key */
	JSON_ERR_DUPLICATE, /* json_object_get(): the key occurs twice */
	JSON_ERR_TYPE,      /* a getter was used on a value of another type */
	JSON_ERR_RANGE,     /* a number is not an integer or does not fit */
	JSON_ERR_STOPPED    /* an item callback asked to stop */
};

struct json_doc;
struct json_value;

/* Parses @len bytes at @text (need not be NUL-terminated). On success stores
 * a new document in *@out and returns JSON_OK. On failure stores NULL and
 * writes a one-line reason (at most @errlen bytes, NUL-terminated) to @err. */
enum json_error json_parse(const char *text, size_t len, struct json_doc **out, char *err,
			   size_t errlen);

/* What a parse may leave out, so that answers whose decoders read only a
 * part of them take little memory: the values of members named in
 * @skip_keys (NULL-terminated; anywhere in the document) are parsed, so
 * the text must still be JSON, but not kept (nor counted against
 * JSON_MAX_NODES); a string (or key) whose text runs past @string_keep
 * bytes (0: no limit) keeps only those, cut between characters (never
 * inside an escape), so no more than that is ever held for it. */
struct json_trim {
	const char *const *skip_keys;
	size_t string_keep;
};

/* json_parse() leaving out what @trim says (NULL: nothing). */
enum json_error json_parse_trimmed(const char *text, size_t len, const struct json_trim *trim,
				   struct json_doc **out, char *err, size_t errlen);

/* Streaming: a document whose root object has a (large) array member is
 * parsed in chunks as they arrive, and each element of that array is handed
 * to the item callback as soon as it is complete, then freed. Memory stays
 * that of one element plus the rest of the document. The callback returns
 * non-zero to go on, 0 to stop the parse (JSON_ERR_STOPPED). The element is
 * only valid during the call. */
typedef int (*json_item_fn)(void *ctx, const struct json_value *item);

struct json_stream;

/* A parser that streams the elements of the root member @array_key to @fn.
 * NULL when out of memory. */
struct json_stream *json_stream_new(const char *array_key, json_item_fn fn, void *ctx);

/* Leaves out what @trim says (which must outlive the stream); before the
 * first json_stream_feed(). */
void json_stream_trim(struct json_stream *st, const struct json_trim *trim);

/* Parses the next @len bytes. After an error every later call returns it
 * again. A one-line reason is in @err on error. */
enum json_error json_stream_feed(struct json_stream *st, const char *data, size_t len, char *err,
				 size_t errlen);

/* Ends the document and returns the rest of it (the streamed array stays in
 * it, empty) as a new document in *@rest. */
enum json_error json_stream_finish(struct json_stream *st, struct json_doc **rest, char *err,
				   size_t errlen);

/* Frees a stream in any state. Accepts NULL. */
void json_stream_free(struct json_stream *st);

/* Frees a document and all its values. Accepts NULL. */
void json_free(struct json_doc *doc);

/* Like json_free(), overwriting every string first (for token answers). */
void json_free_wipe(struct json_doc *doc);

/* The root value of a document. */
const struct json_value *json_root(const struct json_doc *doc);

enum json_type json_type_of(const struct json_value *v);

/* A lower-case name for a type ("null", "boolean", "number", "string",
 * "array", "object"), for messages. */
const char *json_type_name(enum json_type t);

/* Looks up @key in object @obj. JSON_ERR_TYPE if @obj is not an object,
 * JSON_ERR_MISSING if absent, JSON_ERR_DUPLICATE if it occurs more than once
 * (an ambiguous answer must not be read either way). */
enum json_error json_object_get(const struct json_value *obj, const char *key,
				const struct json_value **out);

/* Number of elements of an array or members of an object; 0 otherwise. */
size_t json_count(const struct json_value *v);

/* Element @i of an array, or NULL when out of range or not an array. */
const struct json_value *json_array_at(const struct json_value *arr, size_t i);

/* Member @i of an object (its key in *@key, *@key_len), or NULL when out of
 * range or not an object. */
const struct json_value *json_member_at(const struct json_value *obj, size_t i, const char **key,
					size_t *key_len);

/* The bytes and length of a string. JSON_ERR_TYPE if not a string. */
enum json_error json_get_string(const struct json_value *v, const char **s, size_t *len);

/* JSON_ERR_TYPE if not a boolean. */
enum json_error json_get_bool(const struct json_value *v, bool *out);

/* An integer written without fraction or exponent that fits in int64_t.
 * JSON_ERR_TYPE if not a number, JSON_ERR_RANGE if it is a number of another
 * shape or too large. */
enum json_error json_get_int64(const struct json_value *v, int64_t *out);

/* Any finite number. JSON_ERR_TYPE if not a number, JSON_ERR_RANGE if it
 * overflows a double. */
enum json_error json_get_double(const struct json_value *v, double *out);

/* The number's text exactly as it appeared, for messages; NULL if not a
 * number. */
const char *json_number_text(const struct json_value *v);

/* Appends @len bytes of UTF-8 text to @out as a quoted JSON string, all or
 * nothing: on error (BUF_TOO_BIG at the cap, BUF_NOMEM) @out is exactly as
 * before the call, so it never ends in half a string. */
enum buf_error json_append_string(struct buf *out, const char *s, size_t len);

/* Appends @v as JSON text to @out: members in their order (duplicates
 * too), strings with their exact bytes, numbers as they were written, so
 * that parsing the text gives the same tree. On error @out holds a part. */
enum buf_error json_write(const struct json_value *v, struct buf *out);

#endif
