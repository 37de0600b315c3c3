/* A model of how Icinga 2.13 reads a string literal, for the tests of
 * lib/confesc.c (tests/unit/test_confesc.c, tests/fuzz/fuzz_confesc.c). */
#ifndef VSPC_ICINGA2_LEXER_H
#define VSPC_ICINGA2_LEXER_H

#include <stdbool.h>
#include <stddef.h>

/* What Icinga 2.13's lexer (lib/config/config_lexer.ll) makes of the
 * literal @lit: the bytes in @out (*@outlen), or false where it stops with
 * an error. Octal escapes take 1 to 3 digits, but a backslash followed by
 * more digits than that is a "bad escape sequence" (the longer rule wins). */
__attribute__((unused)) static bool icinga2_lexer_string(const char *lit, size_t n, char *out,
							 size_t *outlen)
{
	size_t o = 0;

	if (n < 2 || lit[0] != '"' || lit[n - 1] != '"')
		return false;
	for (size_t i = 1; i < n - 1; i++) {
		char c = lit[i];

		if (c == '"' || c == '\n')
			return false;
		if (c != '\\') {
			out[o++] = c;
			continue;
		}
		if (++i >= n - 1)
			return false;
		c = lit[i];
		if (c >= '0' && c <= '9') {
			size_t d = 0;
			unsigned v = 0;

			while (i + d < n - 1 && lit[i + d] >= '0' && lit[i + d] <= '9')
				d++;
			if (d > 3)
				return false;
			for (size_t k = 0; k < d; k++) {
				if (lit[i + k] > '7')
					return false;
				v = v * 8 + (unsigned)(lit[i + k] - '0');
			}
			if (v > 0xff)
				return false;
			out[o++] = (char)v;
			i += d - 1;
			continue;
		}
		switch (c) {
		case 'n':
			out[o++] = '\n';
			break;
		case 't':
			out[o++] = '\t';
			break;
		case 'r':
			out[o++] = '\r';
			break;
		case 'b':
			out[o++] = '\b';
			break;
		case 'f':
			out[o++] = '\f';
			break;
		case '"':
		case '\\':
			out[o++] = c;
			break;
		default:
			return false;
		}
	}
	*outlen = o;
	return true;
}

#endif
