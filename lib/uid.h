/* UUIDs as VSPC writes them (job, server and organization UIDs). */
#ifndef VSPC_UID_H
#define VSPC_UID_H

#include <stdbool.h>
#include <stddef.h>

#define VSPC_UID_LEN 36

/* True if the @len bytes at @s are a UUID in 8-4-4-4-12 hex form. */
bool vspc_uid_valid(const char *s, size_t len);

/* Copies a valid UUID in lower case to @dst (VSPC_UID_LEN + 1 bytes). */
void vspc_uid_normalise(char *dst, const char *uid);

#endif
