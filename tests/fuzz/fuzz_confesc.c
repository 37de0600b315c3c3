/* libFuzzer target for the names in generated configuration (lib/confesc.h):
 * the input is a list of job names separated by 0xff bytes (which UTF-8
 * never holds, so a name can hold any other byte, newlines included).
 *
 * Every name as an Icinga 2 literal reads back as itself through a model of
 * Icinga's lexer and holds no raw control byte; as a Nagios name it holds
 * no illegal byte and no white space at its ends; as an Icinga 2 name no
 * '!' and no control byte; both stay valid UTF-8 when the name is. Claimed
 * one after the other, the names of a listing never meet. */
#include "autoconfig.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/icinga2_lexer.h"
#include "confesc.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_NAMES 64
#define KEY_CAP   (256 + CONFESC_SUFFIX_MAX)

static void check_literal(const char *s, size_t n)
{
	struct buf b;
	char *out = malloc(n + 1);
	size_t outlen = 0;

	if (out == NULL)
		abort();
	buf_init(&b, 8 * n + 16);
	if (confesc_icinga2_string(&b, s, n) != BUF_OK)
		abort();
	for (size_t i = 0; i < b.len; i++)
		if ((unsigned char)b.data[i] < 0x20 || b.data[i] == 0x7f)
			abort();
	if (!icinga2_lexer_string(b.data, b.len, out, &outlen) || outlen != n ||
	    memcmp(out, s, n) != 0)
		abort();
	buf_free(&b);
	free(out);
}

static void check_names(const char *s, size_t n, char *nagios, char *icinga2)
{
	size_t ln = confesc_name(nagios, KEY_CAP - CONFESC_SUFFIX_MAX, s, n, CONFESC_NAGIOS);
	size_t li = confesc_name(icinga2, KEY_CAP - CONFESC_SUFFIX_MAX, s, n, CONFESC_ICINGA2);

	if (ln != strlen(nagios) || li != strlen(icinga2) || ln > n || li > n)
		abort();
	for (size_t i = 0; i < ln; i++)
		if (confesc_nagios_illegal((unsigned char)nagios[i]))
			abort();
	if (ln && (nagios[0] == ' ' || nagios[ln - 1] == ' '))
		abort();
	for (size_t i = 0; i < li; i++)
		if (icinga2[i] == '!' || (unsigned char)icinga2[i] < 0x20 || icinga2[i] == 0x7f)
			abort();
	if (utf8_valid((const unsigned char *)s, n) &&
	    (!utf8_valid((const unsigned char *)nagios, ln) ||
	     !utf8_valid((const unsigned char *)icinga2, li)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char keys[MAX_NAMES][KEY_CAP];
	const char *p = (const char *)data;
	const char *end = p + size;
	struct confesc_names u;
	size_t count = 0;

	confesc_names_init(&u);
	while (p <= end && count < MAX_NAMES) {
		const char *nl = memchr(p, 0xff, (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);
		char nagios[KEY_CAP];
		char uid[40];
		size_t len;

		check_literal(p, n);
		check_names(p, n, nagios, keys[count]);
		/* a few UIDs only, so that their 8-digit suffixes meet too */
		snprintf(uid, sizeof uid, "%08zx-0000-4000-8000-000000000000", count % 3);
		len = strlen(keys[count]);
		if (confesc_names_claim(&u, keys[count], &len, KEY_CAP, uid) == CONFESC_NAME_NOMEM)
			abort();
		if (len != strlen(keys[count]))
			abort();
		for (size_t i = 0; i < count; i++)
			if (strcmp(keys[i], keys[count]) == 0)
				abort();
		count++;
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	confesc_names_free(&u);
	return 0;
}
