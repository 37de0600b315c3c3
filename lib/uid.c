#include "autoconfig.h"

#include "uid.h"

#include <ctype.h>

bool vspc_uid_valid(const char *s, size_t len)
{
	if (len != VSPC_UID_LEN)
		return false;
	for (size_t i = 0; i < len; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return false;
	}
	return true;
}

void vspc_uid_normalise(char *dst, const char *uid)
{
	for (size_t i = 0; i < VSPC_UID_LEN; i++)
		dst[i] = (char)tolower((unsigned char)uid[i]);
	dst[VSPC_UID_LEN] = '\0';
}
