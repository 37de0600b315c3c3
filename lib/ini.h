/* Monitoring Plugins "extra-opts": options read from an ini file.
 *
 * --extra-opts=[section][@file] names a section (default: the plugin's
 * name) of a file (default: $MP_CONFIG_FILE, else the first of the
 * Monitoring Plugins' standard paths that exists). In the section every
 * "key=value" line becomes the option "--key=value" ("-k value" for a
 * one-letter key, "--key" for "key="), in file order; blank lines and lines
 * starting with '#' or ';' are ignored; white space around keys and values
 * is trimmed. Values may hold secrets: every string is wiped when freed. */
#ifndef VSPC_INI_H
#define VSPC_INI_H

#include <stddef.h>

#define INI_MAX_ARGS 256
#define INI_MAX_FILE (256 * 1024)

enum ini_error {
	INI_OK = 0,
	INI_ERR_NO_FILE,  /* no file given and none of the default paths exists */
	INI_ERR_READ,     /* the file cannot be read, or is too large */
	INI_ERR_SYNTAX,   /* a line is not key=value, or text before any section */
	INI_ERR_SECTION,  /* the section is not in the file */
	INI_ERR_TOO_MANY, /* more than INI_MAX_ARGS arguments */
	INI_ERR_NOMEM
};

struct ini_args {
	char **argv; /* owned */
	size_t argc;
};

/* The file used when a locator names none: $MP_CONFIG_FILE, else the first
 * standard path that exists; NULL if none does. */
const char *ini_default_file(void);

/* Appends the options of @locator ("section", "@file", "section@file", or
 * NULL/"" for the defaults) to @out. On error a one-line reason is in @err. */
enum ini_error ini_read_locator(const char *locator, const char *default_section,
				struct ini_args *out, char *err, size_t errlen);

/* Reads the options of @section from @size bytes of ini text. */
enum ini_error ini_parse_text(const char *text, size_t size, const char *section,
			      struct ini_args *out, char *err, size_t errlen);

/* Wipes and frees the strings. Accepts an empty struct. */
void ini_args_free(struct ini_args *args);

#endif
