#include "autoconfig.h"

#include "confesc.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <nettle/sha2.h>

static bool is_control(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

/* The letter escape of @c, or 0 if it has none. */
static char letter_escape(unsigned char c)
{
	switch (c) {
	case '\n':
		return 'n';
	case '\t':
		return 't';
	case '\r':
		return 'r';
	case '\b':
		return 'b';
	case '\f':
		return 'f';
	case '"':
		return '"';
	case '\\':
		return '\\';
	default:
		return 0;
	}
}

enum buf_error confesc_icinga2_string(struct buf *b, const char *s, size_t n)
{
	size_t mark = b->len;
	enum buf_error rc = buf_append(b, "\"", 1);
	bool after_octal = false;

	for (size_t i = 0; i < n && rc == BUF_OK; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc = letter_escape(c);

		if (esc) {
			char pair[2] = { '\\', esc };

			rc = buf_append(b, pair, sizeof pair);
			after_octal = false;
		} else if (is_control(c) || (after_octal && c >= '0' && c <= '9')) {
			rc = buf_printf(b, "\\%03o", (unsigned)c);
			after_octal = true;
		} else {
			rc = buf_append(b, &s[i], 1);
			after_octal = false;
		}
	}
	if (rc == BUF_OK)
		rc = buf_append(b, "\"", 1);
	if (rc != BUF_OK)
		buf_truncate(b, mark);
	return rc;
}

bool confesc_nagios_illegal(unsigned char c)
{
	return is_control(c) || (c != 0 && strchr("`~!$%^&*\"|'<>?,()=;\\", c) != NULL);
}

size_t confesc_name(char *dst, size_t cap, const char *s, size_t n, enum confesc_lang lang)
{
	size_t len = 0;
	size_t i = 0;

	if (cap == 0)
		return 0;
	for (; i < n && len + 1 < cap; i++) {
		unsigned char c = (unsigned char)s[i];

		if (is_control(c))
			c = ' ';
		else if (lang == CONFESC_NAGIOS ? confesc_nagios_illegal(c) : c == '!')
			c = '_';
		if (lang == CONFESC_NAGIOS && c == ' ' && len == 0)
			continue;
		dst[len++] = (char)c;
	}
	/* cut in the middle of a UTF-8 sequence: drop its first half */
	if (i < n && ((unsigned char)s[i] & 0xc0) == 0x80) {
		while (len > 0 && ((unsigned char)dst[len - 1] & 0xc0) == 0x80)
			len--;
		if (len > 0 && (unsigned char)dst[len - 1] >= 0xc0)
			len--;
	}
	if (lang == CONFESC_NAGIOS)
		while (len > 0 && dst[len - 1] == ' ')
			len--;
	dst[len] = '\0';
	return len;
}

void confesc_names_init(struct confesc_names *u)
{
	uidset_init(&u->seen);
}

void confesc_names_free(struct confesc_names *u)
{
	uidset_free(&u->seen);
}

/* Claims the @len bytes at @name: UIDSET_ADDED if they were free. */
static enum uidset_rc claim(struct confesc_names *u, const char *name, size_t len)
{
	struct sha256_ctx ctx;
	uint8_t digest[SHA256_DIGEST_SIZE];
	uint64_t w[2] = { 0, 0 };

	sha256_init(&ctx);
	sha256_update(&ctx, len, (const uint8_t *)name);
	sha256_digest(&ctx, sizeof digest, digest);
	for (size_t i = 0; i < 16; i++)
		w[i / 8] = (w[i / 8] << 8) | digest[i];
	return uidset_add_words(&u->seen, w);
}

enum confesc_claim confesc_names_claim(struct confesc_names *u, char *name, size_t *len, size_t cap,
				       const char *uid)
{
	size_t base = *len;
	enum uidset_rc rc;
	int n;

	if (base >= cap)
		return CONFESC_NAME_NOMEM;
	rc = claim(u, name, base);
	if (rc == UIDSET_ADDED)
		return CONFESC_NAME_AS_IS;
	/* a set holds at most UIDSET_MAX_MEMBERS names: the loop ends */
	for (uint64_t k = 1; rc == UIDSET_PRESENT; k++) {
		if (k == 1)
			n = snprintf(name + base, cap - base, " [%.8s]", uid);
		else
			n = snprintf(name + base, cap - base, " [%.8s] #%" PRIu64, uid, k);
		if (n < 0 || (size_t)n >= cap - base) {
			rc = UIDSET_NOMEM;
			break;
		}
		*len = base + (size_t)n;
		rc = claim(u, name, *len);
	}
	if (rc != UIDSET_ADDED) {
		name[base] = '\0';
		*len = base;
		return CONFESC_NAME_NOMEM;
	}
	return CONFESC_NAME_SUFFIXED;
}
