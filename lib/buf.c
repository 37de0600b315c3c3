#include "autoconfig.h"

#include "buf.h"
#include "secret.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUF_MIN_ALLOC 256

void buf_init(struct buf *b, size_t cap)
{
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	b->cap = cap;
}

/* Makes room for @extra more bytes plus the NUL, growing geometrically but
 * never beyond cap + 1. */
static enum buf_error buf_reserve(struct buf *b, size_t extra)
{
	size_t need;
	size_t want;
	char *p;

	if (extra > b->cap - b->len)
		return BUF_TOO_BIG;
	need = b->len + extra + 1;
	if (need <= b->alloc)
		return BUF_OK;
	want = b->alloc ? b->alloc : BUF_MIN_ALLOC;
	while (want < need)
		want = want > (b->cap + 1) / 2 ? b->cap + 1 : want * 2;
	if (want > b->cap + 1)
		want = b->cap + 1;
	p = realloc(b->data, want);
	if (p == NULL)
		return BUF_NOMEM;
	b->data = p;
	b->alloc = want;
	return BUF_OK;
}

enum buf_error buf_append(struct buf *b, const void *p, size_t n)
{
	enum buf_error rc = buf_reserve(b, n);

	if (rc != BUF_OK)
		return rc;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return BUF_OK;
}

enum buf_error buf_append_str(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

enum buf_error buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;
	enum buf_error rc;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return BUF_NOMEM;
	rc = buf_reserve(b, (size_t)n);
	if (rc != BUF_OK)
		return rc;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return BUF_OK;
}

const char *buf_str(const struct buf *b)
{
	return b->data ? b->data : "";
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void buf_truncate(struct buf *b, size_t len)
{
	if (len >= b->len)
		return;
	b->len = len;
	b->data[len] = '\0';
}

void buf_free(struct buf *b)
{
	free(b->data);
	buf_init(b, b->cap);
}

void buf_free_wipe(struct buf *b)
{
	if (b->data)
		secret_wipe(b->data, b->alloc);
	buf_free(b);
}
