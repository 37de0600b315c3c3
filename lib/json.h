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
	JSON_ERR_RANGE      /* a number is not an integer or does not fit */
};

struct json_doc;
struct json_value;

/* Parses @len bytes at @text (need not be NUL-terminated). On success stores
 * a new document in *@out and returns JSON_OK. On failure stores NULL and
 * writes a one-line reason (at most @errlen bytes, NUL-terminated) to @err. */
enum json_error json_parse(const char *text, size_t len, struct json_doc **out,
			   char *err, size_t errlen);

/* Frees a document and all its values. Accepts NULL. */
void json_free(struct json_doc *doc);

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

#endif
