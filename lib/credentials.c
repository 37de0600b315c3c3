#include "autoconfig.h"

#include "credentials.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "readfile.h"

#define VALUE_MAX 2048

void credentials_init(struct credentials *c)
{
	buf_init(&c->username, VALUE_MAX);
	buf_init(&c->password, VALUE_MAX);
	c->loose_permissions = false;
}

void credentials_free(struct credentials *c)
{
	buf_free_wipe(&c->username);
	buf_free_wipe(&c->password);
}

static bool control_free(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 && s[i] != '\t')
			return false;
	return true;
}

/* One "key=value" line. */
static enum credentials_error take_line(const char *line, size_t len, size_t line_no,
					struct credentials *c, char *err, size_t errlen)
{
	const char *eq = memchr(line, '=', len);
	const char *key = line;
	size_t key_len;
	const char *value;
	size_t value_len;
	struct buf *dst;

	if (eq == NULL) {
		snprintf(err, errlen, "line %zu is not key=value", line_no);
		return CREDENTIALS_ERR_SYNTAX;
	}
	key_len = (size_t)(eq - line);
	while (key_len && isspace((unsigned char)*key))
		key++, key_len--;
	while (key_len && isspace((unsigned char)key[key_len - 1]))
		key_len--;
	value = eq + 1;
	value_len = len - (size_t)(value - line);
	if (key_len == 8 && memcmp(key, "username", 8) == 0)
		dst = &c->username;
	else if (key_len == 8 && memcmp(key, "password", 8) == 0)
		dst = &c->password;
	else {
		snprintf(err, errlen, "line %zu: unknown key (expected username or password)",
			 line_no);
		return CREDENTIALS_ERR_SYNTAX;
	}
	if (dst->len) {
		snprintf(err, errlen, "line %zu: %s given twice", line_no,
			 dst == &c->username ? "username" : "password");
		return CREDENTIALS_ERR_SYNTAX;
	}
	if (value_len == 0 || !control_free(value, value_len) ||
	    buf_append(dst, value, value_len) != BUF_OK) {
		snprintf(err, errlen, "line %zu: %s is empty, too long or has control characters",
			 line_no, dst == &c->username ? "username" : "password");
		return CREDENTIALS_ERR_SYNTAX;
	}
	return CREDENTIALS_OK;
}

enum credentials_error credentials_parse(const char *text, size_t len, struct credentials *c,
					 char *err, size_t errlen)
{
	size_t pos = 0;
	size_t line_no = 0;

	while (pos < len) {
		const char *line = text + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos;
		size_t lead = 0;
		enum credentials_error rc;

		pos += n + (nl != NULL);
		line_no++;
		/* cppcheck-suppress knownConditionTrueFalse ; an empty line has n == 0 */
		if (n && line[n - 1] == '\r')
			n--;
		while (lead < n && isspace((unsigned char)line[lead]))
			lead++;
		if (lead == n || line[lead] == '#')
			continue;
		rc = take_line(line, n, line_no, c, err, errlen);
		if (rc != CREDENTIALS_OK)
			return rc;
	}
	if (c->username.len == 0 || c->password.len == 0) {
		snprintf(err, errlen, "no %s= line",
			 c->username.len == 0 ? "username" : "password");
		return CREDENTIALS_ERR_SYNTAX;
	}
	return CREDENTIALS_OK;
}

enum credentials_error credentials_load(const char *path, struct credentials *c, char *err,
					size_t errlen)
{
	struct buf text;
	char why[400];
	mode_t mode = 0;
	int e;
	enum credentials_error rc;

	buf_init(&text, CREDENTIALS_MAX_FILE);
	e = readfile(path, &text, &mode);
	if (e != 0) {
		snprintf(err, errlen, "cannot read credentials file %s: %s", path,
			 e == EFBIG ? "larger than 64 KiB" : strerror(e));
		return CREDENTIALS_ERR_READ;
	}
	c->loose_permissions = (mode & 077) != 0;
	rc = credentials_parse(buf_str(&text), text.len, c, why, sizeof why);
	if (rc != CREDENTIALS_OK)
		snprintf(err, errlen, "credentials file %s: %s", path, why);
	buf_free_wipe(&text);
	return rc;
}
