/* The credentials file: "username=" and "password=" lines.
 *
 * Format: one "key=value" per line; blank lines and lines starting with '#'
 * are ignored; the key is trimmed; the value is everything after the first
 * '=' up to the end of the line (a trailing CR is dropped), kept as it is so
 * that it may contain spaces, '=', ';' or '\' (DOMAIN\svc). Both keys are
 * required, once each; any other key or line is an error naming the line.
 * Both values are wiped when freed. */
#ifndef VSPC_CREDENTIALS_H
#define VSPC_CREDENTIALS_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

#define CREDENTIALS_MAX_FILE (64 * 1024)

struct credentials {
	struct buf username;
	struct buf password;
	bool loose_permissions; /* the file is readable by group or others */
};

enum credentials_error {
	CREDENTIALS_OK = 0,
	CREDENTIALS_ERR_READ,
	CREDENTIALS_ERR_SYNTAX
};

void credentials_init(struct credentials *c);
void credentials_free(struct credentials *c);

/* Parses @len bytes of file text; errors name the line ("line 3: ...") or
 * the missing key. */
enum credentials_error credentials_parse(const char *text, size_t len, struct credentials *c,
					 char *err, size_t errlen);

/* Reads and parses @path (at most CREDENTIALS_MAX_FILE bytes) and notes
 * loose permissions; errors name the file. */
enum credentials_error credentials_load(const char *path, struct credentials *c, char *err,
					size_t errlen);

#endif
