/* Wiping secrets from memory. */
#ifndef VSPC_SECRET_H
#define VSPC_SECRET_H

#include <stddef.h>

/* Overwrites @n bytes at @p with zeros in a way the compiler may not remove.
 * Accepts NULL. */
void secret_wipe(void *p, size_t n);

#endif
