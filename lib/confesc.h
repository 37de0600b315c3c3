/* Job names in generated monitoring configuration (--list=icinga2,
 * --list=nagios): string literals of the Icinga 2 DSL, the service names
 * each language can hold, and keeping those names unique.
 *
 * Names come from VSPC and may hold any UTF-8 (quotes, backslashes, $,
 * control characters, NUL sent as \u0000). The escaping functions are pure
 * and take a length, never a C string; the name functions map byte for
 * byte (UTF-8 sequences pass untouched), so their result is never longer
 * than their input. */
#ifndef VSPC_CONFESC_H
#define VSPC_CONFESC_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "uidset.h"

/* Appends the @n bytes at @s to @b as an Icinga 2 string literal, quotes
 * included, that the Icinga 2 lexer reads back as exactly those bytes:
 * '"' and '\' are escaped, newline, tab, CR, BS and FF get their letter
 * escapes, every other control byte (NUL, DEL included) a three-digit
 * octal escape, and a digit that follows an octal escape one too (the
 * lexer reads "\0617" as a bad escape, not as "\061" and "7"). The
 * literal never holds a raw control byte. On error @b is unchanged. */
enum buf_error confesc_icinga2_string(struct buf *b, const char *s, size_t n);

enum confesc_lang {
	CONFESC_ICINGA2 = 0,
	CONFESC_NAGIOS
};

/* True if the byte @c may not appear in a Nagios object name: Nagios's
 * default illegal_object_name_chars with Debian's backquote
 * (`~!$%^&*"|'<>?,()=), ';' (starts a comment), '\' (a trailing one joins
 * the next line) and control bytes. */
bool confesc_nagios_illegal(unsigned char c);

/* Writes the service name that the @n bytes at @s become in @lang to @dst
 * (@cap bytes, NUL-terminated; @cap > @n keeps every byte) and returns its
 * length. Control bytes become a space in both languages. Icinga 2: '!'
 * (which object names may not hold) becomes '_'. Nagios: every illegal
 * byte (confesc_nagios_illegal) becomes '_', and leading and trailing
 * white space is dropped (Nagios would drop it, and two names would meet).
 * The result may be empty. */
size_t confesc_name(char *dst, size_t cap, const char *s, size_t n, enum confesc_lang lang);

/* The service names a listing has handed out: digests of them (16 bytes a
 * name, whatever its length), so memory stays small with thousands of
 * jobs. confesc_names_free() accepts a zeroed set. */
struct confesc_names {
	struct uidset seen;
};

enum confesc_claim {
	CONFESC_NAME_AS_IS = 0, /* the name was free */
	CONFESC_NAME_SUFFIXED,  /* taken already: it got the job's UID */
	CONFESC_NAME_NOMEM      /* out of memory, or too many names */
};

void confesc_names_init(struct confesc_names *u);
void confesc_names_free(struct confesc_names *u);

/* Makes the name in @name (length *@len, NUL-terminated, @cap bytes)
 * unique among those claimed before and claims it. A name seen before
 * gets " [" + the first 8 hex digits of @uid + "]", and if that is taken
 * too (a job literally named so) " #2", " #3", ... after it. @cap must
 * leave CONFESC_SUFFIX_MAX bytes after the name. */
#define CONFESC_SUFFIX_MAX 40
enum confesc_claim confesc_names_claim(struct confesc_names *u, char *name, size_t *len, size_t cap,
				       const char *uid);

#endif
