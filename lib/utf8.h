/* Strict UTF-8 (RFC 3629): no overlong forms, surrogates or code points
 * above U+10FFFF. */
#ifndef VSPC_UTF8_H
#define VSPC_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* The length of the valid UTF-8 character at @s (1 to 4, looking at no more
 * than @n bytes), or 0 if the bytes there are not valid UTF-8. @n > 0. */
size_t utf8_char_len(const unsigned char *s, size_t n);

/* True if all @n bytes at @s are valid UTF-8. */
bool utf8_valid(const unsigned char *s, size_t n);

#endif
