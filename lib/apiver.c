#include "autoconfig.h"

#include "apiver.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "privdir.h"

#define MEMORY_MAGIC "check_vspc_replication api version 1\n"
#define MEMORY_MAX   256

const char *const apiver_negotiable[] = { "3.6", "3.5.1", "3.4", NULL };

/* The up to four numbers of a version; false if it is not one. */
static bool parts_of(const char *text, long parts[4])
{
	const char *p = text;
	int n = 0;

	memset(parts, 0, 4 * sizeof parts[0]);
	if (strlen(text) > APIVER_TEXT_MAX)
		return false;
	for (;;) {
		size_t digits = strspn(p, "0123456789");

		if (digits == 0 || digits > 4 || n == 4)
			return false;
		parts[n++] = strtol(p, NULL, 10);
		p += digits;
		if (*p == '\0')
			return true;
		if (*p++ != '.')
			return false;
	}
}

bool apiver_valid(const char *text)
{
	long parts[4];

	return parts_of(text, parts);
}

int apiver_compare(const char *a, const char *b)
{
	long pa[4];
	long pb[4];

	parts_of(a, pa);
	parts_of(b, pb);
	for (int i = 0; i < 4; i++)
		if (pa[i] != pb[i])
			return pa[i] < pb[i] ? -1 : 1;
	return 0;
}

bool apiver_has_read_only(const char *v)
{
	return apiver_compare(v, "3.6") >= 0;
}

static int negotiable_index(const char *v)
{
	for (int i = 0; apiver_negotiable[i]; i++)
		if (strcmp(apiver_negotiable[i], v) == 0)
			return i;
	return -1;
}

static void set_current(struct apiver *v, const char *version, enum apiver_origin origin)
{
	int i = negotiable_index(version);

	snprintf(v->current, sizeof v->current, "%s", version);
	v->origin = origin;
	if (i >= 0)
		v->tried |= 1u << i;
}

void apiver_start(struct apiver *v, const char *pinned, const char *remembered)
{
	memset(v, 0, sizeof *v);
	if (pinned)
		set_current(v, pinned, APIVER_PINNED);
	else if (remembered && negotiable_index(remembered) >= 0)
		set_current(v, remembered, APIVER_REMEMBERED);
	else
		set_current(v, apiver_negotiable[0], APIVER_NEWEST);
}

bool apiver_refused(struct apiver *v)
{
	size_t used = strlen(v->refused);

	snprintf(v->refused + used, sizeof v->refused - used, "%s%s", used ? ", " : "", v->current);
	v->agreed = false;
	if (v->origin == APIVER_PINNED)
		return false;
	for (int i = 0; apiver_negotiable[i]; i++)
		if (!(v->tried & (1u << i))) {
			set_current(v, apiver_negotiable[i], APIVER_STEPPED);
			return true;
		}
	return false;
}

bool apiver_memory_load(const char *path, char *version, int64_t *agreed_at, char *note,
			size_t notelen)
{
	char text[MEMORY_MAX];
	char *end;
	const char *p;
	size_t len;
	size_t vlen;

	version[0] = '\0';
	if (privdir_read(path, text, sizeof text, &len, note, notelen) != PRIVDIR_OK)
		return false;
	p = text + strlen(MEMORY_MAGIC);
	if (len < strlen(MEMORY_MAGIC) || memcmp(text, MEMORY_MAGIC, strlen(MEMORY_MAGIC)) != 0 ||
	    strncmp(p, "version=", 8) != 0)
		goto corrupt;
	p += 8;
	vlen = strcspn(p, "\n");
	if (vlen == 0 || vlen > APIVER_TEXT_MAX || p[vlen] != '\n')
		goto corrupt;
	memcpy(version, p, vlen);
	version[vlen] = '\0';
	p += vlen + 1;
	if (!apiver_valid(version) || strncmp(p, "agreed=", 7) != 0 ||
	    !isdigit((unsigned char)p[7]))
		goto corrupt;
	errno = 0;
	*agreed_at = strtoll(p + 7, &end, 10);
	if (errno != 0 || *end != '\n' || end[1] != '\0')
		goto corrupt;
	return true;
corrupt:
	version[0] = '\0';
	snprintf(note, notelen, "%s is corrupt: ignored", path);
	return false;
}

bool apiver_memory_store(const char *path, const char *version, int64_t agreed_at, char *note,
			 size_t notelen)
{
	char text[MEMORY_MAX];
	int n = snprintf(text, sizeof text, MEMORY_MAGIC "version=%s\nagreed=%" PRId64 "\n",
			 version, agreed_at);

	if (n < 0 || (size_t)n >= sizeof text) {
		snprintf(note, notelen, "the API version is too long to remember");
		return false;
	}
	return privdir_write(path, text, (size_t)n, note, notelen);
}
