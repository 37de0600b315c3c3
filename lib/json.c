#include "autoconfig.h"

#include "buf.h"
#include "json.h"
#include "oom.h"
#include "secret.h"
#include "utf8.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

struct json_member {
	char *key; /* NULL in arrays */
	size_t key_len;
	struct json_value *value;
};

struct json_value {
	enum json_type type;
	bool boolean;
	char *text; /* string contents or number text, NUL-terminated */
	size_t text_len;
	struct json_member *items; /* array elements or object members */
	size_t count;
	size_t alloc;
};

struct json_doc {
	struct json_value *root;
};

/* The parse context handed to the yajl callbacks. */
struct builder {
	struct json_value *root;
	struct json_value *stack[JSON_MAX_DEPTH];
	size_t depth;
	char *pending_key; /* the key of the next member of the open object */
	size_t pending_key_len;
	size_t nodes;
	enum json_error error; /* why a callback cancelled the parse */
	/* Streaming: elements of the root member named stream_key are handed
	 * to item_fn one by one and freed, instead of being kept. */
	const char *stream_key;
	struct json_value *stream_array;
	size_t nodes_before_item;
	json_item_fn item_fn;
	void *item_ctx;
	/* What is left out (json_stream_trim()): the value of a member named
	 * in trim->skip_keys is parsed but not kept. */
	const struct json_trim *trim;
	bool skip_next;    /* the next value is a skipped member's */
	size_t skip_depth; /* containers open inside a skipped value */
};

static void value_free(struct json_value *v)
{
	if (v == NULL)
		return;
	/* Depth is capped at JSON_MAX_DEPTH, so recursion is bounded. */
	for (size_t i = 0; i < v->count; i++) {
		free(v->items[i].key);
		value_free(v->items[i].value);
	}
	free(v->items);
	free(v->text);
	free(v);
}

/* Overwrites every string, key and number text of a tree. */
static void value_wipe(struct json_value *v)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < v->count; i++) {
		if (v->items[i].key)
			secret_wipe(v->items[i].key, v->items[i].key_len);
		value_wipe(v->items[i].value);
	}
	if (v->text)
		secret_wipe(v->text, v->text_len);
}

static char *copy_bytes(const unsigned char *s, size_t len)
{
	char *p = malloc(len + 1);

	if (p == NULL)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

static int emit_item(struct builder *b, struct json_value *item);

/* Attaches @v to the open container (or makes it the root). Takes ownership
 * of @v in every case. Returns 1 to continue parsing, 0 to cancel. */
static int attach(struct builder *b, struct json_value *v)
{
	struct json_value *parent;
	struct json_member *m;

	if (v == NULL) {
		b->error = JSON_ERR_NOMEM;
		return 0;
	}
	if (++b->nodes > JSON_MAX_NODES) {
		value_free(v);
		b->error = JSON_ERR_LIMIT;
		return 0;
	}
	if (b->depth == 0) {
		b->root = v;
		return 1;
	}
	parent = b->stack[b->depth - 1];
	if (parent == b->stream_array) {
		b->pending_key = NULL;
		if (v->type == JSON_ARRAY || v->type == JSON_OBJECT)
			return 1; /* kept on the stack only; emitted when it closes */
		return emit_item(b, v);
	}
	if (parent->count == parent->alloc) {
		size_t n = parent->alloc ? parent->alloc * 2 : 4;
		struct json_member *items = realloc(parent->items, n * sizeof *items);

		if (items == NULL) {
			value_free(v);
			b->error = JSON_ERR_NOMEM;
			return 0;
		}
		parent->items = items;
		parent->alloc = n;
	}
	m = &parent->items[parent->count++];
	m->key = b->pending_key;
	m->key_len = b->pending_key_len;
	m->value = v;
	b->pending_key = NULL;
	b->pending_key_len = 0;
	return 1;
}

/* Hands one streamed element to the caller and frees it. */
static int emit_item(struct builder *b, struct json_value *item)
{
	int keep_going = b->item_fn(b->item_ctx, item);

	value_free(item);
	b->nodes = b->nodes_before_item;
	if (!keep_going)
		b->error = JSON_ERR_STOPPED;
	return keep_going ? 1 : 0;
}

static struct json_value *value_new(enum json_type type)
{
	struct json_value *v = calloc(1, sizeof *v);

	if (v)
		v->type = type;
	return v;
}

/* Whether a value is left out: it is a skipped member's value or lies
 * inside one. @opens: the value starts a container. */
static bool skip_value(struct builder *b, bool opens)
{
	if (b->skip_depth == 0 && !b->skip_next)
		return false;
	if (b->skip_depth == 0) {
		/* the skipped member's own value: its key goes too */
		b->skip_next = false;
		free(b->pending_key);
		b->pending_key = NULL;
		b->pending_key_len = 0;
	}
	if (opens)
		b->skip_depth++;
	return true;
}

static int cb_null(void *ctx)
{
	if (skip_value(ctx, false))
		return 1;
	return attach(ctx, value_new(JSON_NULL));
}

static int cb_boolean(void *ctx, int boolean)
{
	struct json_value *v;

	if (skip_value(ctx, false))
		return 1;
	v = value_new(JSON_BOOL);

	if (v)
		v->boolean = boolean != 0;
	return attach(ctx, v);
}

static struct json_value *text_value_new(enum json_type type, const unsigned char *s, size_t len)
{
	struct json_value *v = value_new(type);

	if (v == NULL)
		return NULL;
	v->text = copy_bytes(s, len);
	if (v->text == NULL) {
		free(v);
		return NULL;
	}
	v->text_len = len;
	return v;
}

static int cb_number(void *ctx, const char *s, size_t len)
{
	if (skip_value(ctx, false))
		return 1;
	return attach(ctx, text_value_new(JSON_NUMBER, (const unsigned char *)s, len));
}

/* yajl lets overlong UTF-8 forms through; JSON text must be valid UTF-8. */
static int check_utf8(struct builder *b, const unsigned char *s, size_t len)
{
	if (utf8_valid(s, len))
		return 1;
	b->error = JSON_ERR_SYNTAX;
	return 0;
}

static int cb_string(void *ctx, const unsigned char *s, size_t len)
{
	struct builder *b = ctx;

	if (!check_utf8(b, s, len))
		return 0;
	if (skip_value(b, false))
		return 1;
	return attach(b, text_value_new(JSON_STRING, s, len));
}

static int open_container(struct builder *b, enum json_type type)
{
	struct json_value *v;

	if (b->depth == JSON_MAX_DEPTH) {
		b->error = JSON_ERR_LIMIT;
		return 0;
	}
	bool streamed = b->stream_key && type == JSON_ARRAY && b->depth == 1 &&
			b->stream_array == NULL && b->pending_key &&
			strcmp(b->pending_key, b->stream_key) == 0 &&
			strlen(b->stream_key) == b->pending_key_len;

	v = value_new(type);
	if (!attach(b, v))
		return 0;
	if (streamed) {
		b->stream_array = v;
		b->nodes_before_item = b->nodes;
	}
	b->stack[b->depth++] = v;
	return 1;
}

static int cb_start_map(void *ctx)
{
	if (skip_value(ctx, true))
		return 1;
	return open_container(ctx, JSON_OBJECT);
}

static int cb_start_array(void *ctx)
{
	if (skip_value(ctx, true))
		return 1;
	return open_container(ctx, JSON_ARRAY);
}

static int cb_end_container(void *ctx)
{
	struct builder *b = ctx;
	struct json_value *closed;

	if (b->skip_depth > 0) {
		b->skip_depth--;
		return 1;
	}
	closed = b->stack[--b->depth];

	if (b->depth > 0 && b->stack[b->depth - 1] == b->stream_array && b->stream_array)
		return emit_item(b, closed);
	return 1;
}

static int cb_map_key(void *ctx, const unsigned char *key, size_t len)
{
	struct builder *b = ctx;

	if (!check_utf8(b, key, len))
		return 0;
	if (b->skip_depth > 0)
		return 1;
	if (b->trim && b->trim->skip_keys)
		for (const char *const *k = b->trim->skip_keys; *k; k++)
			if (strlen(*k) == len && memcmp(*k, key, len) == 0)
				b->skip_next = true;
	free(b->pending_key);
	b->pending_key = copy_bytes(key, len);
	b->pending_key_len = len;
	if (b->pending_key == NULL) {
		b->error = JSON_ERR_NOMEM;
		return 0;
	}
	return 1;
}

static const yajl_callbacks builder_callbacks = {
	.yajl_null = cb_null,
	.yajl_boolean = cb_boolean,
	.yajl_number = cb_number,
	.yajl_string = cb_string,
	.yajl_start_map = cb_start_map,
	.yajl_map_key = cb_map_key,
	.yajl_end_map = cb_end_container,
	.yajl_start_array = cb_start_array,
	.yajl_end_array = cb_end_container,
};

/* yajl's error text spans several lines (message, excerpt, caret); keep the
 * first line only, with control characters turned into spaces. */
static void flatten_yajl_error(yajl_handle h, const char *text, size_t len, char *err,
			       size_t errlen)
{
	unsigned char *msg = yajl_get_error(h, 0, (const unsigned char *)text, len);
	size_t i;

	snprintf(err, errlen, "%s", msg ? (const char *)msg : "parse error");
	for (i = 0; err[i]; i++) {
		if (err[i] == '\n') {
			err[i] = '\0';
			break;
		}
		if ((unsigned char)err[i] < 0x20)
			err[i] = ' ';
	}
	if (msg)
		yajl_free_error(h, msg);
}

static void report_builder_error(const struct builder *b, char *err, size_t errlen)
{
	if (b->error == JSON_ERR_NOMEM)
		snprintf(err, errlen, "out of memory");
	else if (b->error == JSON_ERR_SYNTAX)
		snprintf(err, errlen, "invalid UTF-8 in a string");
	else if (b->error == JSON_ERR_STOPPED)
		snprintf(err, errlen, "stopped by the reader");
	else if (b->depth >= JSON_MAX_DEPTH)
		snprintf(err, errlen, "nested deeper than %d levels", JSON_MAX_DEPTH);
	else
		snprintf(err, errlen, "more than %d values", JSON_MAX_NODES);
}

/* json_trim.string_keep, applied to the text before yajl sees it: yajl
 * holds a whole string token in memory, so a long one is cut short in the
 * text itself. Past @keep bytes of a string's text the rest of it, up to
 * its closing quote, is not passed on; the cut falls between characters,
 * never inside an escape or after the first half of a surrogate pair. */
struct cutter {
	enum {
		CUT_OUT,
		CUT_STRING,
		CUT_ESCAPE,
		CUT_HEX
	} mode;
	unsigned hex_left;  /* hex digits still to come in a \uXXXX */
	unsigned hex_value; /* of the \uXXXX so far */
	bool after_high;    /* the last escape was a high surrogate */
	bool dropping;      /* past the keep: up to the closing quote */
	size_t raw;         /* bytes of the current string's text so far */
};

struct json_stream {
	yajl_handle h;
	struct builder b;
	struct cutter cut;
	enum json_error error; /* sticky: once failed, always failed */
	char message[160];
};

/* yajl's own allocations (its lexer and buffers) go through these: yajl
 * does not check for NULL, so a failed allocation ends the run with the
 * prepared UNKNOWN line instead of a crash. The tree's own allocations are
 * checked and reported as JSON_ERR_NOMEM. */
static void *yajl_malloc_checked(void *ctx, size_t n)
{
	void *p = malloc(n);

	(void)ctx;
	if (p == NULL)
		oom_exit();
	return p;
}

static void *yajl_realloc_checked(void *ctx, void *old, size_t n)
{
	void *p = realloc(old, n);

	(void)ctx;
	if (p == NULL && n)
		oom_exit();
	return p;
}

static void yajl_free_checked(void *ctx, void *p)
{
	(void)ctx;
	free(p);
}

static yajl_alloc_funcs yajl_allocs = {
	yajl_malloc_checked,
	yajl_realloc_checked,
	yajl_free_checked,
	NULL,
};

struct json_stream *json_stream_new(const char *array_key, json_item_fn fn, void *ctx)
{
	struct json_stream *st = calloc(1, sizeof *st);

	if (st == NULL)
		return NULL;
	st->b.stream_key = fn ? array_key : NULL;
	st->b.item_fn = fn;
	st->b.item_ctx = ctx;
	st->h = yajl_alloc(&builder_callbacks, &yajl_allocs, &st->b);
	if (st->h == NULL) {
		free(st);
		return NULL;
	}
	return st;
}

/* Records why parsing failed, from yajl or from a callback. */
static enum json_error stream_fail(struct json_stream *st, yajl_status ys, const char *text,
				   size_t len)
{
	if (ys == yajl_status_client_canceled) {
		st->error = st->b.error;
		report_builder_error(&st->b, st->message, sizeof st->message);
	} else {
		st->error = JSON_ERR_SYNTAX;
		flatten_yajl_error(st->h, text, len, st->message, sizeof st->message);
	}
	return st->error;
}

static bool hex_digit(unsigned char c, unsigned *v)
{
	if (c >= '0' && c <= '9')
		*v = c - '0';
	else if (c >= 'a' && c <= 'f')
		*v = c - 'a' + 10;
	else if (c >= 'A' && c <= 'F')
		*v = c - 'A' + 10;
	else
		return false;
	return true;
}

/* Whether byte @c of the text goes to yajl (1), is cut (0), or makes the
 * text invalid JSON where yajl will not see it (-1: a control character,
 * a bad escape in the part of a string that is cut). */
static int cutter_pass(struct cutter *k, size_t keep, unsigned char c)
{
	unsigned v;

	switch (k->mode) {
	case CUT_OUT:
		if (c == '"') {
			k->mode = CUT_STRING;
			k->raw = 0;
			k->after_high = k->dropping = false;
		}
		return 1;
	case CUT_ESCAPE:
		k->raw++;
		if (k->dropping && !strchr("\"\\/bfnrtu", c))
			return -1;
		k->mode = c == 'u' ? CUT_HEX : CUT_STRING;
		k->hex_left = 4;
		k->hex_value = 0;
		if (c != 'u')
			k->after_high = false;
		return !k->dropping;
	case CUT_HEX:
		k->raw++;
		if (!hex_digit(c, &v)) {
			if (k->dropping)
				return -1;
			v = 0; /* yajl reports it */
		}
		k->hex_value = k->hex_value * 16 + v;
		if (--k->hex_left == 0) {
			k->mode = CUT_STRING;
			k->after_high = (k->hex_value & 0xFC00) == 0xD800;
		}
		return !k->dropping;
	case CUT_STRING:
		break;
	}
	if (c == '"') {
		k->mode = CUT_OUT;
		return 1; /* the closing quote always goes */
	}
	if (!k->dropping && k->raw >= keep && (c & 0xC0) != 0x80 && !k->after_high)
		k->dropping = true;
	if (k->dropping && c < 0x20)
		return -1;
	k->raw++;
	if (c == '\\')
		k->mode = CUT_ESCAPE;
	else
		k->after_high = false;
	return !k->dropping;
}

static bool feed_yajl(struct json_stream *st, const char *data, size_t len)
{
	yajl_status ys;

	if (len == 0)
		return true;
	ys = yajl_parse(st->h, (const unsigned char *)data, len);
	if (ys != yajl_status_ok)
		stream_fail(st, ys, data, len);
	return ys == yajl_status_ok;
}

enum json_error json_stream_feed(struct json_stream *st, const char *data, size_t len, char *err,
				 size_t errlen)
{
	size_t keep = st->b.trim ? st->b.trim->string_keep : 0;

	if (st->error == JSON_OK && keep == 0) {
		(void)feed_yajl(st, data, len);
	} else if (st->error == JSON_OK) {
		size_t start = 0;
		bool passing = true;

		for (size_t i = 0; i < len; i++) {
			int pass = cutter_pass(&st->cut, keep, (unsigned char)data[i]);

			if (pass < 0) {
				/* what yajl would have said, had it seen the byte */
				st->error = JSON_ERR_SYNTAX;
				snprintf(st->message, sizeof st->message,
					 "lexical error: invalid character inside a string");
				break;
			}
			if ((pass == 1) == passing)
				continue;
			if (passing && !feed_yajl(st, data + start, i - start))
				break;
			passing = pass == 1;
			start = i;
		}
		if (st->error == JSON_OK && passing)
			(void)feed_yajl(st, data + start, len - start);
	}
	if (st->error != JSON_OK)
		snprintf(err, errlen, "%s", st->message);
	return st->error;
}

enum json_error json_stream_finish(struct json_stream *st, struct json_doc **rest, char *err,
				   size_t errlen)
{
	yajl_status ys;

	*rest = NULL;
	if (st->error == JSON_OK) {
		ys = yajl_complete_parse(st->h);
		if (ys != yajl_status_ok)
			stream_fail(st, ys, "", 0);
		else if (st->b.root == NULL) {
			st->error = JSON_ERR_SYNTAX;
			snprintf(st->message, sizeof st->message, "empty document");
		}
	}
	if (st->error == JSON_OK) {
		*rest = malloc(sizeof **rest);
		if (*rest == NULL) {
			st->error = JSON_ERR_NOMEM;
			snprintf(st->message, sizeof st->message, "out of memory");
		} else {
			(*rest)->root = st->b.root;
			st->b.root = NULL;
		}
	}
	if (st->error != JSON_OK)
		snprintf(err, errlen, "%s", st->message);
	return st->error;
}

void json_stream_free(struct json_stream *st)
{
	struct builder *b;

	if (st == NULL)
		return;
	b = &st->b;
	/* an element being streamed is on the stack only, not in the tree */
	for (size_t i = 1; i < b->depth; i++) {
		if (b->stack[i - 1] == b->stream_array && b->stream_array) {
			value_free(b->stack[i]);
			break;
		}
	}
	yajl_free(st->h);
	free(b->pending_key);
	value_free(b->root);
	free(st);
}

void json_stream_trim(struct json_stream *st, const struct json_trim *trim)
{
	st->b.trim = trim;
}

enum json_error json_parse(const char *text, size_t len, struct json_doc **out, char *err,
			   size_t errlen)
{
	return json_parse_trimmed(text, len, NULL, out, err, errlen);
}

enum json_error json_parse_trimmed(const char *text, size_t len, const struct json_trim *trim,
				   struct json_doc **out, char *err, size_t errlen)
{
	struct json_stream *st = json_stream_new(NULL, NULL, NULL);
	enum json_error rc;

	*out = NULL;
	if (st == NULL) {
		snprintf(err, errlen, "out of memory");
		return JSON_ERR_NOMEM;
	}
	json_stream_trim(st, trim);
	rc = json_stream_feed(st, text, len, err, errlen);
	if (rc == JSON_OK)
		rc = json_stream_finish(st, out, err, errlen);
	json_stream_free(st);
	return rc;
}

void json_free(struct json_doc *doc)
{
	if (doc == NULL)
		return;
	value_free(doc->root);
	free(doc);
}

void json_free_wipe(struct json_doc *doc)
{
	if (doc)
		value_wipe(doc->root);
	json_free(doc);
}

const struct json_value *json_root(const struct json_doc *doc)
{
	return doc->root;
}

enum json_type json_type_of(const struct json_value *v)
{
	return v->type;
}

const char *json_type_name(enum json_type t)
{
	switch (t) {
	case JSON_NULL:
		return "null";
	case JSON_BOOL:
		return "boolean";
	case JSON_NUMBER:
		return "number";
	case JSON_STRING:
		return "string";
	case JSON_ARRAY:
		return "array";
	case JSON_OBJECT:
		return "object";
	}
	return "value";
}

enum json_error json_object_get(const struct json_value *obj, const char *key,
				const struct json_value **out)
{
	size_t key_len = strlen(key);
	const struct json_value *found = NULL;

	*out = NULL;
	if (obj->type != JSON_OBJECT)
		return JSON_ERR_TYPE;
	for (size_t i = 0; i < obj->count; i++) {
		const struct json_member *m = &obj->items[i];

		if (m->key_len != key_len || memcmp(m->key, key, key_len) != 0)
			continue;
		if (found)
			return JSON_ERR_DUPLICATE;
		found = m->value;
	}
	if (found == NULL)
		return JSON_ERR_MISSING;
	*out = found;
	return JSON_OK;
}

size_t json_count(const struct json_value *v)
{
	return (v->type == JSON_ARRAY || v->type == JSON_OBJECT) ? v->count : 0;
}

const struct json_value *json_array_at(const struct json_value *arr, size_t i)
{
	if (arr->type != JSON_ARRAY || i >= arr->count)
		return NULL;
	return arr->items[i].value;
}

const struct json_value *json_member_at(const struct json_value *obj, size_t i, const char **key,
					size_t *key_len)
{
	if (obj->type != JSON_OBJECT || i >= obj->count)
		return NULL;
	*key = obj->items[i].key;
	*key_len = obj->items[i].key_len;
	return obj->items[i].value;
}

enum json_error json_get_string(const struct json_value *v, const char **s, size_t *len)
{
	if (v->type != JSON_STRING)
		return JSON_ERR_TYPE;
	*s = v->text;
	*len = v->text_len;
	return JSON_OK;
}

enum json_error json_get_bool(const struct json_value *v, bool *out)
{
	if (v->type != JSON_BOOL)
		return JSON_ERR_TYPE;
	*out = v->boolean;
	return JSON_OK;
}

enum json_error json_get_int64(const struct json_value *v, int64_t *out)
{
	char *end;
	long long n;

	if (v->type != JSON_NUMBER)
		return JSON_ERR_TYPE;
	/* yajl has checked the JSON number grammar; reject fraction/exponent. */
	if (strpbrk(v->text, ".eE") != NULL)
		return JSON_ERR_RANGE;
	errno = 0;
	n = strtoll(v->text, &end, 10);
	if (errno == ERANGE || *end != '\0')
		return JSON_ERR_RANGE;
	*out = (int64_t)n;
	return JSON_OK;
}

enum json_error json_get_double(const struct json_value *v, double *out)
{
	char *end;
	double d;

	if (v->type != JSON_NUMBER)
		return JSON_ERR_TYPE;
	errno = 0;
	d = strtod(v->text, &end);
	if (*end != '\0' || !isfinite(d) || (errno == ERANGE && fabs(d) > 1.0))
		return JSON_ERR_RANGE;
	*out = d;
	return JSON_OK;
}

const char *json_number_text(const struct json_value *v)
{
	return v->type == JSON_NUMBER ? v->text : NULL;
}

/* Appends one byte of a JSON string, escaped where JSON requires it. */
static enum buf_error append_string_byte(struct buf *out, unsigned char c)
{
	if (c == '"' || c == '\\')
		return buf_printf(out, "\\%c", c);
	if (c < 0x20 || c == 0x7f)
		return buf_printf(out, "\\u%04x", c);
	return buf_append(out, &c, 1);
}

enum buf_error json_append_string(struct buf *out, const char *s, size_t len)
{
	size_t mark = out->len;
	enum buf_error rc = buf_append_str(out, "\"");

	for (size_t i = 0; rc == BUF_OK && i < len; i++)
		rc = append_string_byte(out, (unsigned char)s[i]);
	if (rc == BUF_OK)
		rc = buf_append_str(out, "\"");
	/* a reader of the output must never see an unclosed string */
	if (rc != BUF_OK)
		buf_truncate(out, mark);
	return rc;
}

enum buf_error json_write(const struct json_value *v, struct buf *out)
{
	enum buf_error e = BUF_OK;

	/* Depth is capped at JSON_MAX_DEPTH by the parser, so recursion is
	 * bounded. */
	switch (v->type) {
	case JSON_NULL:
		return buf_append_str(out, "null");
	case JSON_BOOL:
		return buf_append_str(out, v->boolean ? "true" : "false");
	case JSON_NUMBER:
		return buf_append(out, v->text, v->text_len);
	case JSON_STRING:
		return json_append_string(out, v->text, v->text_len);
	case JSON_ARRAY:
	case JSON_OBJECT:
		break;
	}
	e = buf_append_str(out, v->type == JSON_ARRAY ? "[" : "{");
	for (size_t i = 0; i < v->count && e == BUF_OK; i++) {
		if (i)
			e = buf_append_str(out, ",");
		if (e == BUF_OK && v->type == JSON_OBJECT) {
			e = json_append_string(out, v->items[i].key, v->items[i].key_len);
			if (e == BUF_OK)
				e = buf_append_str(out, ":");
		}
		if (e == BUF_OK)
			e = json_write(v->items[i].value, out);
	}
	if (e == BUF_OK)
		e = buf_append_str(out, v->type == JSON_ARRAY ? "]" : "}");
	return e;
}
