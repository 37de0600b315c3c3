/* The bearer token (access token or API key) and where it comes from. */
#ifndef VSPC_TOKEN_H
#define VSPC_TOKEN_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "config.h"
#include "vspc.h"

/* The longest token accepted; one limit with the OAuth2 answers, so a token
 * the server hands out always fits where a loaded one goes. */
#define TOKEN_MAX VSPC_TOKEN_MAX

enum token_error {
	TOKEN_OK = 0,
	TOKEN_ERR_NONE,  /* no source gave a token */
	TOKEN_ERR_FILE,  /* the token file cannot be read */
	TOKEN_ERR_EMPTY, /* the chosen source is empty */
	TOKEN_ERR_BAD    /* control characters, or longer than TOKEN_MAX */
};

/* Loads the token from the first source that is set: the file (first line,
 * white space trimmed), the inline token, then the credentials file, then
 * the environment variable. When the credentials file is the source,
 * TOKEN_OK comes back with *@login set and nothing loaded: the caller logs
 * in; otherwise *@login is false. *@loose is set when the token file is
 * readable by group or others.
 * @token must have been buf_init()ed with a cap of at least TOKEN_MAX; the
 * caller releases it with buf_free_wipe(). Reads done here are wiped. On
 * error a one-line reason that never contains the token is in @err. */
enum token_error token_load(const struct token_source *src, struct buf *token, bool *loose,
			    bool *login, char *err, size_t errlen);

#endif
