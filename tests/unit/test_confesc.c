/* Names in generated configuration: Icinga 2 string literals, the service
 * names of each language, unique names. */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "confesc.h"
#include "icinga2_lexer.h"
#include "tap.h"

static bool has_raw_control(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return true;
	return false;
}

struct str_case {
	const char *in;
	size_t len; /* 0: strlen(in) */
	const char *want;
	const char *what;
};

static const struct str_case str_cases[] = {
	{ "", 0, "\"\"", "empty" },
	{ "SQL to DR", 0, "\"SQL to DR\"", "plain" },
	{ "He said \"hi\"", 0, "\"He said \\\"hi\\\"\"", "quotes" },
	{ "C:\\Backups\\", 0, "\"C:\\\\Backups\\\\\"", "backslashes, one at the end" },
	{ "a\nb\tc\rd\be\ff", 0, "\"a\\nb\\tc\\rd\\be\\ff\"", "letter escapes" },
	{ "\x01", 0, "\"\\001\"", "a control byte in octal" },
	{ "\x01"
	  "7",
	  0, "\"\\001\\067\"", "a digit after an octal escape is escaped too" },
	{ "\x1b"
	  "12x3",
	  0, "\"\\033\\061\\062x3\"", "every digit of a run after an octal escape" },
	{ "\x1b[31m red", 0, "\"\\033[31m red\"", "a terminal escape" },
	{ "\n7", 0, "\"\\n7\"", "a digit after a letter escape stays" },
	{ "a\0b", 3, "\"a\\000b\"", "NUL in the middle" },
	{ "\x7f", 0, "\"\\177\"", "DEL" },
	{ "$host.name$ $$", 0, "\"$host.name$ $$\"", "dollars need nothing in a literal" },
	{ "R\xc3\xa9plica \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80", 0,
	  "\"R\xc3\xa9plica \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80\"", "UTF-8 as it is" },
	{ "/* not a comment */ // nor this", 0, "\"/* not a comment */ // nor this\"",
	  "comment markers" },
	{ "{ } = ;", 0, "\"{ } = ;\"", "DSL punctuation" },
};

static void test_icinga2_strings(void)
{
	for (size_t i = 0; i < sizeof str_cases / sizeof str_cases[0]; i++) {
		const struct str_case *c = &str_cases[i];
		size_t len = c->len ? c->len : strlen(c->in);
		struct buf b;

		buf_init(&b, 4096);
		tap_ok(confesc_icinga2_string(&b, c->in, len) == BUF_OK, "%s: appended", c->what);
		tap_str_eq(buf_str(&b), c->want, c->what);
		buf_free(&b);
	}
}

/* Every string of one and of two bytes, and a control byte followed by
 * two more bytes from a set of interesting ones, reads back as itself,
 * with no raw control byte in the literal. */
static bool round_trips(const char *s, size_t n)
{
	struct buf b;
	char out[64];
	size_t outlen = 0;
	bool ok;

	buf_init(&b, 4096);
	ok = confesc_icinga2_string(&b, s, n) == BUF_OK && !has_raw_control(b.data, b.len) &&
	     icinga2_lexer_string(b.data, b.len, out, &outlen) && outlen == n &&
	     memcmp(out, s, n) == 0;
	buf_free(&b);
	return ok;
}

static void test_icinga2_round_trips(void)
{
	static const char pick[] = { 0, 1, 7, '\n', '\\', '"', '0', '7', '8', '9', 'a', 0x7f };
	unsigned bad = 0;
	char s[3];

	for (unsigned a = 0; a < 256; a++) {
		s[0] = (char)a;
		bad += !round_trips(s, 1);
		for (unsigned b = 0; b < 256; b++) {
			s[1] = (char)b;
			bad += !round_trips(s, 2);
		}
	}
	tap_ok(bad == 0, "every string of 1 and 2 bytes reads back as itself (%u do not)", bad);
	bad = 0;
	for (size_t a = 0; a < sizeof pick; a++)
		for (size_t b = 0; b < sizeof pick; b++)
			for (size_t c = 0; c < sizeof pick; c++) {
				s[0] = pick[a];
				s[1] = pick[b];
				s[2] = pick[c];
				bad += !round_trips(s, 3);
			}
	tap_ok(bad == 0, "3-byte strings of control bytes and digits read back (%u do not)", bad);
	tap_ok(round_trips("", 0), "the empty string reads back");
}

static void test_icinga2_cap(void)
{
	struct buf b;

	buf_init(&b, 8);
	(void)buf_append_str(&b, "ab");
	tap_ok(confesc_icinga2_string(&b, "\x01\x02", 2) == BUF_TOO_BIG,
	       "a literal over the cap is refused");
	tap_str_eq(buf_str(&b), "ab", "and the buffer is as it was");
	buf_free(&b);
}

struct name_case {
	const char *in;
	size_t len; /* 0: strlen(in) */
	const char *icinga2;
	const char *nagios;
	const char *what;
};

static const struct name_case name_cases[] = {
	{ "SQL to DR", 0, "SQL to DR", "SQL to DR", "plain" },
	{ "a!b", 0, "a_b", "a_b", "an exclamation mark" },
	{ "two\r\nlines", 0, "two  lines", "two  lines", "a line break becomes spaces" },
	{ "tab\there", 0, "tab here", "tab here", "a tab" },
	{ " padded\t", 0, " padded ", "padded", "white space at the ends" },
	{ "\t\n ", 0, "   ", "", "only white space" },
	{ "`~!$%^&*\"|'<>?,()=;\\", 0, "`~_$%^&*\"|'<>?,()=;\\", "____________________",
	  "every illegal byte of Nagios" },
	{ "#1 [x] {y} +z @a:b/c", 0, "#1 [x] {y} +z @a:b/c", "#1 [x] {y} +z @a:b/c",
	  "what Nagios names may hold" },
	{ "a\0b", 3, "a b", "a b", "NUL" },
	{ "x\x7f", 0, "x ", "x", "DEL" },
	{ "R\xc3\xa9plica \xe6\x97\xa5\xe6\x9c\xac", 0, "R\xc3\xa9plica \xe6\x97\xa5\xe6\x9c\xac",
	  "R\xc3\xa9plica \xe6\x97\xa5\xe6\x9c\xac", "UTF-8 as it is" },
	{ "$USER1$", 0, "$USER1$", "_USER1_", "macro dollars" },
	{ "C:\\dir\\", 0, "C:\\dir\\", "C:_dir_", "a trailing backslash" },
};

static void test_names(void)
{
	char dst[64];

	for (size_t i = 0; i < sizeof name_cases / sizeof name_cases[0]; i++) {
		const struct name_case *c = &name_cases[i];
		size_t len = c->len ? c->len : strlen(c->in);
		size_t n;

		n = confesc_name(dst, sizeof dst, c->in, len, CONFESC_ICINGA2);
		tap_ok(n == strlen(dst), "%s: Icinga 2 length", c->what);
		tap_str_eq(dst, c->icinga2, c->what);
		n = confesc_name(dst, sizeof dst, c->in, len, CONFESC_NAGIOS);
		tap_ok(n == strlen(dst), "%s: Nagios length", c->what);
		tap_str_eq(dst, c->nagios, c->what);
	}
	/* 4 bytes fit: "ab" and half of a 3-byte character, which goes */
	confesc_name(dst, 5, "ab\xe6\x97\xa5z", 6, CONFESC_ICINGA2);
	tap_str_eq(dst, "ab", "a cut never leaves half a UTF-8 character");
	confesc_name(dst, 6, "ab\xe6\x97\xa5z", 6, CONFESC_ICINGA2);
	tap_str_eq(dst, "ab\xe6\x97\xa5", "a whole character before the cut stays");
	tap_ok(confesc_name(dst, 0, "ab", 2, CONFESC_NAGIOS) == 0, "no room at all");
	confesc_name(dst, 3, "abc", 3, CONFESC_NAGIOS);
	tap_str_eq(dst, "ab", "cut at the cap, NUL-terminated");
}

static void test_nagios_illegal(void)
{
	static const char illegal[] = "`~!$%^&*\"|'<>?,()=;\\";
	unsigned wrong = 0;

	for (unsigned c = 0; c < 256; c++) {
		bool want = c < 0x20 || c == 0x7f || (c && strchr(illegal, (int)c));

		wrong += confesc_nagios_illegal((unsigned char)c) != want;
	}
	tap_ok(wrong == 0, "exactly the illegal bytes are illegal (%u wrong)", wrong);
}

static const char UID_A[] = "bc04d2e5-dd4c-4f85-af0e-424106a32a75";
static const char UID_B[] = "9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a";
static const char UID_C[] = "cd9c0001-5e1f-4c2b-9a3d-0f1e2d3c4b5a";

static enum confesc_claim claim_as(struct confesc_names *u, const char *name, const char *uid,
				   char *out)
{
	size_t len = strlen(name);

	memmove(out, name, len + 1);
	return confesc_names_claim(u, out, &len, 256 + CONFESC_SUFFIX_MAX, uid);
}

static void test_unique_names(void)
{
	struct confesc_names u;
	char key[256 + CONFESC_SUFFIX_MAX];
	unsigned bad = 0;

	confesc_names_init(&u);
	tap_ok(claim_as(&u, "SQL", UID_A, key) == CONFESC_NAME_AS_IS, "a first name is kept");
	tap_str_eq(key, "SQL", "as it is");
	tap_ok(claim_as(&u, "SQL", UID_B, key) == CONFESC_NAME_SUFFIXED, "the same name again");
	tap_str_eq(key, "SQL [9e8d7c6b]", "gets the first 8 hex digits of its UID");
	tap_ok(claim_as(&u, "SQL", UID_C, key) == CONFESC_NAME_SUFFIXED, "and a third time");
	tap_str_eq(key, "SQL [cd9c0001]", "its own UID");
	tap_ok(claim_as(&u, "sql", UID_C, key) == CONFESC_NAME_AS_IS, "names are case-sensitive");
	/* a job literally named as a suffixed name would be */
	tap_ok(claim_as(&u, "X [bc04d2e5]", UID_B, key) == CONFESC_NAME_AS_IS, "a literal name");
	tap_ok(claim_as(&u, "X", UID_C, key) == CONFESC_NAME_AS_IS, "X");
	tap_ok(claim_as(&u, "X", UID_A, key) == CONFESC_NAME_SUFFIXED, "X again");
	tap_str_eq(key, "X [bc04d2e5] #2", "whose suffixed name is taken: a number after it");
	tap_ok(claim_as(&u, "X", UID_A, key) == CONFESC_NAME_SUFFIXED, "and again");
	tap_str_eq(key, "X [bc04d2e5] #3", "the next number");
	tap_ok(claim_as(&u, "", UID_A, key) == CONFESC_NAME_AS_IS, "the empty name is a name");
	confesc_names_free(&u);

	confesc_names_init(&u);
	for (unsigned i = 0; i < 20000; i++) {
		snprintf(key, sizeof key, "Replica %05u", i);
		bad += claim_as(&u, key, UID_A, key) != CONFESC_NAME_AS_IS;
	}
	tap_ok(bad == 0, "20000 different names are all kept (%u not)", bad);
	bad = 0;
	for (unsigned i = 0; i < 20000; i++) {
		char want[64];

		snprintf(key, sizeof key, "Replica %05u", i);
		snprintf(want, sizeof want, "Replica %05u [bc04d2e5]", i);
		bad += claim_as(&u, key, UID_A, key) != CONFESC_NAME_SUFFIXED || strcmp(key, want);
	}
	tap_ok(bad == 0, "and each again gets the suffix (%u not)", bad);
	confesc_names_free(&u);

	confesc_names_init(&u);
	{
		size_t len = 3;

		memcpy(key, "abc", 4);
		(void)confesc_names_claim(&u, key, &len, sizeof key, UID_A);
		tap_ok(confesc_names_claim(&u, key, &len, 6, UID_A) == CONFESC_NAME_NOMEM,
		       "no room for the suffix: an error");
		tap_ok(len == 3 && strcmp(key, "abc") == 0, "and the name is as it was");
	}
	confesc_names_free(&u);
	confesc_names_free(&u);
	tap_ok(true, "freeing twice is harmless");
}

int main(void)
{
	test_icinga2_strings();
	test_icinga2_round_trips();
	test_icinga2_cap();
	test_names();
	test_nagios_illegal();
	test_unique_names();
	return tap_done();
}
