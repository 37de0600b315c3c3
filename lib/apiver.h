/* VSPC REST API versions (the X-Client-Version header): which ones the
 * plugin negotiates, how they compare, the negotiation of one run, and the
 * per-server memory of the version a server accepted.
 *
 * Negotiation: a run starts with the pinned version (--api-version=X),
 * else the remembered one while it is fresh, else the newest the plugin
 * speaks. Each refusal (UnsupportedApiVersion) moves to the next version of
 * apiver_negotiable not yet tried in this run; a pinned version is never
 * replaced. */
#ifndef VSPC_APIVER_H
#define VSPC_APIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define APIVER_TEXT_MAX 16
/* a remembered version older than this is checked against the newest again,
 * so that an upgraded server is noticed */
#define APIVER_MEMORY_TTL (7 * 86400)

/* The versions --api-version=auto tries, newest first (VSPC 9.x, 8.1, 8.0),
 * NULL-terminated. */
extern const char *const apiver_negotiable[];

/* "3.6" style: 1 to 4 dot-separated numbers of at most 4 digits. */
bool apiver_valid(const char *text);

/* <0, 0, >0 as @a is older than, the same as, or newer than @b (both valid;
 * "3.6" equals "3.6.0"). */
int apiver_compare(const char *a, const char *b);

/* Whether POST /api/v3/token knows readOnly=true under version @v (3.6+). */
bool apiver_has_read_only(const char *v);

enum apiver_origin {
	APIVER_PINNED = 0, /* --api-version */
	APIVER_NEWEST,     /* nothing remembered: the newest */
	APIVER_REMEMBERED, /* from the memory file */
	APIVER_STEPPED     /* after the server refused another */
};

struct apiver {
	char current[APIVER_TEXT_MAX + 1];
	enum apiver_origin origin;
	unsigned tried;   /* bit i: apiver_negotiable[i] was sent this run */
	char refused[64]; /* "3.6, 3.5.1": what the server refused, in order */
	bool agreed;      /* the server answered a request with current */
};

/* Starts a run's negotiation. @pinned (NULL for auto) wins; else
 * @remembered (NULL or "" for none) when it is one of apiver_negotiable. */
void apiver_start(struct apiver *v, const char *pinned, const char *remembered);

/* The server refused v->current: records it and moves to the next version
 * not tried. False when the version is pinned or none is left. */
bool apiver_refused(struct apiver *v);

/* Reads a memory file written by apiver_memory_store(): the version into
 * @version (APIVER_TEXT_MAX + 1 bytes) and when it was agreed into
 * *@agreed_at. False, with a note, when there is none or it is not
 * trustworthy (lib/privdir.h) or does not parse. */
bool apiver_memory_load(const char *path, char *version, int64_t *agreed_at, char *note,
			size_t notelen);

/* Replaces the memory file atomically. False with a note. */
bool apiver_memory_store(const char *path, const char *version, int64_t agreed_at, char *note,
			 size_t notelen);

#endif
