/* A growable byte buffer with a mandatory size cap.
 *
 * The buffer owns its memory; data is always NUL-terminated (the NUL is not
 * counted in len and not counted against the cap), so a buffer can be handed
 * to functions that want a C string. buf_free() accepts a zeroed or already
 * freed buffer. */
#ifndef VSPC_BUF_H
#define VSPC_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data;   /* NULL until the first append */
	size_t len;   /* bytes in use, excluding the terminating NUL */
	size_t alloc; /* bytes allocated */
	size_t cap;   /* len may never exceed this */
};

enum buf_error {
	BUF_OK = 0,
	BUF_TOO_BIG, /* the append would pass the cap; nothing was appended */
	BUF_NOMEM    /* allocation failed; nothing was appended */
};

/* Prepares an empty buffer that will hold at most @cap bytes. Allocates
 * nothing. */
void buf_init(struct buf *b, size_t cap);

/* Appends @n bytes from @p. On error the buffer is unchanged. */
enum buf_error buf_append(struct buf *b, const void *p, size_t n);

/* Appends a C string. */
enum buf_error buf_append_str(struct buf *b, const char *s);

/* Appends printf-style formatted text. If the result does not fit under the
 * cap, nothing is appended and BUF_TOO_BIG is returned. */
enum buf_error buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Returns the contents as a C string: "" for a buffer never appended to. The
 * pointer is valid until the next append or buf_free(). */
const char *buf_str(const struct buf *b);

/* Forgets the contents but keeps the allocation. */
void buf_reset(struct buf *b);

/* Cuts the contents back to their first @len bytes, NUL-terminated: the
 * undo of appends made after recording b->len. A @len at or past the
 * current length changes nothing. */
void buf_truncate(struct buf *b, size_t len);

/* Releases the memory and leaves an empty buffer with the same cap.
 * buf_free_wipe() first overwrites the whole allocation (for buffers that
 * held secrets). */
void buf_free(struct buf *b);
void buf_free_wipe(struct buf *b);

#endif
