/* The bearer token (access token or API key) and where it comes from. */
#ifndef VSPC_TOKEN_H
#define VSPC_TOKEN_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "config.h"

#define TOKEN_MAX 8192

enum token_error {
	TOKEN_OK = 0,
	TOKEN_ERR_NONE,  /* no source gave a token */
	TOKEN_ERR_FILE,  /* the token file cannot be read */
	TOKEN_ERR_EMPTY, /* the chosen source is empty */
	TOKEN_ERR_BAD,   /* control characters, or longer than TOKEN_MAX */
	TOKEN_LOGIN      /* no token: log in with the credentials file */
};

/* Loads the token from the first source that is set: the file (first line,
 * white space trimmed), the inline token, then (TOKEN_LOGIN, nothing
 * loaded) the credentials file, then the environment variable. *@loose is
 * set when the token file is readable by group or others.
 * @token must have been buf_init()ed with a cap of at least TOKEN_MAX; the
 * caller releases it with buf_free_wipe(). Reads done here are wiped. On
 * error a one-line reason that never contains the token is in @err. */
enum token_error token_load(const struct token_source *src, struct buf *token, bool *loose,
			    char *err, size_t errlen);

#endif
