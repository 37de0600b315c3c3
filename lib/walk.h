/* The collection walker: every job of the selected kinds, page by page,
 * handed out one at a time, and a walk that a server cannot fool.
 *
 * It owns the page format (the "data" array, streamed, so memory does not
 * grow with the page), the paging rules and their defenses: a stable sort
 * on instanceUid is asked for; the offset a page echoes must be the one
 * asked for (servers have been seen to ignore offset when expand is
 * given); a UID seen before (items that moved between pages, a repeated
 * page) stops the walk; a page that comes back short before the total is
 * reached, a total that changes, a page with no jobs and too many pages all
 * stop it. A walk that stops is never a silently wrong count: the caller
 * reports it as UNKNOWN.
 *
 * The walker does no HTTP itself: the caller's fetch function GETs a URL
 * and streams a 200 body into the sink it is given. */
#ifndef VSPC_WALK_H
#define VSPC_WALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http.h"
#include "json.h"
#include "vspc.h"

#define WALK_PAGE_LIMIT 500u
#define WALK_MAX_PAGES  20000u
/* the largest page body a fetch function should accept */
#define WALK_PAGE_BODY_CAP (64u * 1024u * 1024u)

enum walk_fetch_rc {
	WALK_FETCH_OK = 0,  /* a 200 answer, its body streamed into the sink */
	WALK_FETCH_ABORTED, /* the sink stopped the transfer (its reason wins) */
	WALK_FETCH_FAILED,  /* anything else; the fetch function reported it */
	WALK_FETCH_NO_KIND  /* the server has no such collection: skip the kind */
};

/* GETs @url (page @offset of the collection of @kind) with @sink; @what
 * ("page at offset 500: ") prefixes whatever the fetch function reports. */
typedef enum walk_fetch_rc (*walk_fetch_fn)(void *ctx, enum vspc_kind kind, uint64_t offset,
					    const char *url, const struct http_sink *sink,
					    const char *what);

/* One element of a page. */
struct walk_item {
	const struct vspc_job *job;             /* NULL when the element is not an object */
	const struct vspc_job_session *session; /* NULL when not embedded */
	const char *problem;                    /* why job is NULL */
	size_t index;                           /* 1-based, within the page */
	const struct json_value *element;       /* the element itself, as sent */
	enum vspc_kind kind;                    /* of the collection it came from */
};

/* What an item points into. */
struct walk_item_store {
	struct vspc_job job;
	struct vspc_job_session session;
	char problem[96];
};

struct job_kind;

/* The item for @element, element @index of a page of kind @k, decoded into
 * @store: what the walk hands out, and what a stored element gives back. */
void walk_item_make(const struct job_kind *k, const struct json_value *element, size_t index,
		    struct walk_item_store *store, struct walk_item *out);

/* Receives the items as they arrive; returns false to stop the walk. */
typedef bool (*walk_item_fn)(void *ctx, const struct walk_item *item);

struct walk_spec {
	const struct vspc_server *server;
	const char *backup_server; /* NULL: every backup server */
	unsigned kinds;            /* bit (1 << enum vspc_kind) per kind to walk */
	unsigned limit;            /* page size, 1 to 500 */
	walk_fetch_fn fetch;
	void *fetch_ctx;
	walk_item_fn item;
	void *item_ctx;
};

enum walk_error {
	WALK_OK = 0,
	WALK_ERR_FETCH,  /* a page could not be fetched (reported by fetch) */
	WALK_ERR_ANSWER, /* a page is not the documented envelope or JSON */
	WALK_ERR_PAGING, /* the pages do not add up to one consistent walk */
	WALK_ERR_NOMEM,
	WALK_ERR_STOPPED /* the item function stopped it */
};

struct walk_stats {
	uint64_t jobs[VSPC_KIND_COUNT]; /* items handed out, per kind */
	bool skipped[VSPC_KIND_COUNT];  /* the server has no such collection */
	unsigned pages;
};

/* Walks the collections of spec->kinds in the order of lib/kinds.h. On an
 * error other than WALK_ERR_FETCH a one-line reason naming the kind and the
 * offset is in @err. */
enum walk_error walk_run(const struct walk_spec *spec, struct walk_stats *stats, char *err,
			 size_t errlen);

#endif
