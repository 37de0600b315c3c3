#include "autoconfig.h"

#include "ini.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "readfile.h"
#include "secret.h"

/* The Monitoring Plugins' search order, newest names first. */
static const char *const default_paths[] = {
	"/usr/local/etc/monitoring-plugins/monitoring-plugins.ini",
	"/usr/local/etc/monitoring-plugins.ini",
	"/etc/monitoring-plugins/monitoring-plugins.ini",
	"/etc/monitoring-plugins.ini",
	"/etc/nagios/plugins.ini",
	"/usr/local/nagios/etc/plugins.ini",
	"/usr/local/etc/nagios/plugins.ini",
	"/etc/opt/nagios/plugins.ini",
	"/etc/nagios-plugins.ini",
	"/usr/local/etc/nagios-plugins.ini",
	"/etc/opt/nagios-plugins.ini",
};

const char *ini_default_file(void)
{
	const char *env = getenv("MP_CONFIG_FILE");

	if (env && *env)
		return env;
	for (size_t i = 0; i < sizeof default_paths / sizeof default_paths[0]; i++)
		if (access(default_paths[i], F_OK) == 0)
			return default_paths[i];
	return NULL;
}

void ini_args_free(struct ini_args *args)
{
	for (size_t i = 0; i < args->argc; i++) {
		secret_wipe(args->argv[i], strlen(args->argv[i]));
		free(args->argv[i]);
	}
	free(args->argv);
	args->argv = NULL;
	args->argc = 0;
}

static enum ini_error push(struct ini_args *out, const char *s, size_t len)
{
	char **argv;
	char *copy;

	if (out->argc == INI_MAX_ARGS)
		return INI_ERR_TOO_MANY;
	copy = malloc(len + 1);
	argv = realloc(out->argv, (out->argc + 1) * sizeof *argv);
	if (copy == NULL || argv == NULL) {
		free(copy);
		if (argv)
			out->argv = argv;
		return INI_ERR_NOMEM;
	}
	memcpy(copy, s, len);
	copy[len] = '\0';
	out->argv = argv;
	out->argv[out->argc++] = copy;
	return INI_OK;
}

/* Trims white space from both ends of [*s, *s + *len). */
static void trim(const char **s, size_t *len)
{
	while (*len && isspace((unsigned char)**s))
		(*s)++, (*len)--;
	while (*len && isspace((unsigned char)(*s)[*len - 1]))
		(*len)--;
}

/* One "key=value" line of the wanted section into arguments. */
static enum ini_error add_option(const char *line, size_t len, struct ini_args *out)
{
	const char *eq = memchr(line, '=', len);
	const char *key = line;
	const char *value;
	size_t key_len;
	size_t value_len;
	char opt[160];
	enum ini_error rc;

	if (eq == NULL)
		return INI_ERR_SYNTAX;
	key_len = (size_t)(eq - line);
	value = eq + 1;
	value_len = len - key_len - 1;
	trim(&key, &key_len);
	trim(&value, &value_len);
	if (key_len == 0 || key_len > 100 || key[0] == '-')
		return INI_ERR_SYNTAX;
	for (size_t i = 0; i < key_len; i++)
		if (isspace((unsigned char)key[i]))
			return INI_ERR_SYNTAX;
	if (key_len == 1) {
		snprintf(opt, sizeof opt, "-%c", key[0]);
		rc = push(out, opt, 2);
		return rc == INI_OK && value_len ? push(out, value, value_len) : rc;
	}
	if (value_len == 0) {
		snprintf(opt, sizeof opt, "--%.*s", (int)key_len, key);
		return push(out, opt, strlen(opt));
	}
	{
		size_t n = 2 + key_len + 1 + value_len;
		char *arg = malloc(n + 1);

		if (arg == NULL)
			return INI_ERR_NOMEM;
		snprintf(arg, n + 1, "--%.*s=%.*s", (int)key_len, key, (int)value_len, value);
		rc = push(out, arg, n);
		secret_wipe(arg, n);
		free(arg);
		return rc;
	}
}

/* Is this line "[section]" (white space allowed inside the brackets)? */
static bool is_header(const char *line, size_t len, const char **name, size_t *name_len)
{
	if (len < 2 || line[0] != '[' || line[len - 1] != ']')
		return false;
	*name = line + 1;
	*name_len = len - 2;
	trim(name, name_len);
	return true;
}

static enum ini_error parse(const char *text, size_t size, const char *section,
			    struct ini_args *out, size_t *line_no)
{
	bool seen_header = false;
	bool inside = false;
	bool found = false;
	size_t pos = 0;

	*line_no = 0;
	while (pos < size) {
		const char *line = text + pos;
		const char *nl = memchr(line, '\n', size - pos);
		size_t len = nl ? (size_t)(nl - line) : size - pos;
		const char *name;
		size_t name_len;
		enum ini_error rc;

		pos += len + (nl != NULL);
		(*line_no)++;
		trim(&line, &len);
		if (len == 0 || line[0] == '#' || line[0] == ';')
			continue;
		if (is_header(line, len, &name, &name_len)) {
			seen_header = true;
			inside =
			    name_len == strlen(section) && memcmp(name, section, name_len) == 0;
			found |= inside;
			continue;
		}
		if (!seen_header)
			return INI_ERR_SYNTAX;
		if (!inside)
			continue;
		rc = add_option(line, len, out);
		if (rc != INI_OK)
			return rc;
	}
	return found ? INI_OK : INI_ERR_SECTION;
}

/* parse() with a one-line reason naming @path. */
static enum ini_error parse_reporting(const char *text, size_t size, const char *path,
				      const char *section, struct ini_args *out, char *err,
				      size_t errlen)
{
	size_t line_no = 0;
	enum ini_error rc = parse(text, size, section, out, &line_no);

	if (rc == INI_ERR_SECTION)
		snprintf(err, errlen, "--extra-opts: no section [%s] in %s", section, path);
	else if (rc == INI_ERR_SYNTAX)
		snprintf(err, errlen, "--extra-opts: %s line %zu is not key=value in a section",
			 path, line_no);
	else if (rc == INI_ERR_TOO_MANY)
		snprintf(err, errlen, "--extra-opts: more than %d arguments in [%s]", INI_MAX_ARGS,
			 section);
	else if (rc == INI_ERR_NOMEM)
		snprintf(err, errlen, "--extra-opts: out of memory");
	return rc;
}

enum ini_error ini_parse_text(const char *text, size_t size, const char *section,
			      struct ini_args *out, char *err, size_t errlen)
{
	return parse_reporting(text, size, "(text)", section, out, err, errlen);
}

enum ini_error ini_read_locator(const char *locator, const char *default_section,
				struct ini_args *out, char *err, size_t errlen)
{
	const char *at = locator ? strchr(locator, '@') : NULL;
	size_t section_len = locator ? (at ? (size_t)(at - locator) : strlen(locator)) : 0;
	char section[128];
	const char *path = at && at[1] ? at + 1 : NULL;
	struct buf text;
	enum ini_error rc;
	int e;

	if (section_len >= sizeof section) {
		snprintf(err, errlen, "--extra-opts: section name too long");
		return INI_ERR_SYNTAX;
	}
	if (section_len)
		snprintf(section, sizeof section, "%.*s", (int)section_len, locator);
	else
		snprintf(section, sizeof section, "%s", default_section);
	if (path == NULL)
		path = ini_default_file();
	if (path == NULL) {
		snprintf(
		    err, errlen,
		    "--extra-opts: no file given and no default ini file found (set MP_CONFIG_FILE)");
		return INI_ERR_NO_FILE;
	}
	buf_init(&text, INI_MAX_FILE);
	e = readfile(path, &text, NULL);
	if (e != 0) {
		snprintf(err, errlen, "--extra-opts: cannot read %s: %s", path, strerror(e));
		return e == ENOMEM ? INI_ERR_NOMEM : INI_ERR_READ;
	}
	rc = parse_reporting(buf_str(&text), text.len, path, section, out, err, errlen);
	buf_free_wipe(&text);
	return rc;
}
