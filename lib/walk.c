#include "autoconfig.h"

#include "walk.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envelope.h"
#include "fields.h"
#include "json.h"
#include "kinds.h"
#include "uidset.h"

/* The page being read. */
struct page {
	const struct walk_spec *spec;
	const struct job_kind *kind;
	struct uidset *seen;
	struct json_stream *stream;
	char stream_error[200];
	size_t items;
	enum walk_error stop; /* why on_item() stopped the stream */
	bool muted;           /* a UID came twice: the rest of the page is not handed out */
	bool no_kind;         /* the server has no collection of this kind */
	char dup[VSPC_UID_LEN + 1];
	struct walk_item_store store;
};

/* Called by the JSON stream for every element of a page's "data". */
void walk_item_make(const struct job_kind *k, const struct json_value *element, size_t index,
		    struct walk_item_store *store, struct walk_item *out)
{
	bool has_session;

	memset(out, 0, sizeof *out);
	out->index = index;
	out->element = element;
	out->kind = k->id;
	if (json_type_of(element) != JSON_OBJECT) {
		snprintf(store->problem, sizeof store->problem,
			 "an element of \"data\" is %s, expected an object",
			 json_type_name(json_type_of(element)));
		out->problem = store->problem;
		return;
	}
	kind_decode_element(k, element, &store->job, &store->session, &has_session);
	out->job = &store->job;
	out->session = has_session ? &store->session : NULL;
}

static int on_item(void *ctx, const struct json_value *item)
{
	struct page *p = ctx;
	struct walk_item wi;

	walk_item_make(p->kind, item, ++p->items, &p->store, &wi);
	if (wi.job) {
		if (p->store.job.ids.instance_uid.f.state == VSPC_FIELD_VALUE) {
			enum uidset_rc rc =
			    uidset_add(p->seen, p->store.job.ids.instance_uid.value);

			if (rc == UIDSET_PRESENT && !p->muted) {
				/* read on: the pagingInfo may tell why (an ignored offset) */
				snprintf(p->dup, sizeof p->dup, "%s",
					 p->store.job.ids.instance_uid.value);
				p->muted = true;
			}
			if (rc == UIDSET_NOMEM) {
				p->stop = WALK_ERR_NOMEM;
				return 0;
			}
		}
	}
	if (p->muted)
		return 1;
	if (!p->spec->item(p->spec->item_ctx, &wi)) {
		p->stop = WALK_ERR_STOPPED;
		return 0;
	}
	return 1;
}

static bool sink_write(void *ctx, const char *data, size_t len)
{
	struct page *p = ctx;

	return json_stream_feed(p->stream, data, len, p->stream_error, sizeof p->stream_error) ==
	       JSON_OK;
}

/* Why on_item() stopped the page. */
static enum walk_error stopped(const struct page *p, const char *what, char *err, size_t errlen)
{
	if (p->stop == WALK_ERR_NOMEM)
		snprintf(err, errlen, "%sout of memory, or more than %u jobs", what,
			 UIDSET_MAX_MEMBERS);
	else
		snprintf(err, errlen, "%sthe walk was stopped", what);
	return p->stop;
}

/* Reads one page at @offset, handing its jobs out. */
static enum walk_error read_page(struct page *p, uint64_t offset, struct vspc_paging *paging,
				 const char *what, char *err, size_t errlen)
{
	const struct walk_spec *spec = p->spec;
	const struct http_sink sink = { sink_write, p };
	struct json_doc *rest = NULL;
	enum walk_error rc = WALK_OK;
	enum walk_fetch_rc frc;
	char url[768];
	char why[256];

	if (!vspc_collection_url(url, sizeof url, spec->server, p->kind->collection,
				 spec->backup_server, spec->limit, offset, NULL)) {
		snprintf(err, errlen, "%sthe URL does not fit", what);
		return WALK_ERR_ANSWER;
	}
	p->items = 0;
	p->stop = WALK_OK;
	p->muted = false;
	p->stream = json_stream_new("data", on_item, p);
	if (p->stream == NULL) {
		snprintf(err, errlen, "%sout of memory", what);
		return WALK_ERR_NOMEM;
	}
	json_stream_trim(p->stream, &field_job_trim);
	frc = spec->fetch(spec->fetch_ctx, p->kind->id, offset, url, &sink, what);
	if (frc == WALK_FETCH_NO_KIND && offset == 0) {
		p->no_kind = true;
	} else if (p->stop != WALK_OK) {
		rc = stopped(p, what, err, errlen);
	} else if (frc == WALK_FETCH_ABORTED) {
		snprintf(err, errlen, "%sanswer is not valid JSON: %s", what, p->stream_error);
		rc = WALK_ERR_ANSWER;
	} else if (frc != WALK_FETCH_OK) {
		rc = WALK_ERR_FETCH; /* NO_KIND after the first page is a failure too */
	} else if (json_stream_finish(p->stream, &rest, why, sizeof why) != JSON_OK) {
		snprintf(err, errlen, "%sanswer is not valid JSON: %s", what, why);
		rc = WALK_ERR_ANSWER;
	} else if (vspc_decode_page_rest(rest, paging, why, sizeof why) != VSPC_OK) {
		snprintf(err, errlen, "%s%s", what, why);
		rc = WALK_ERR_ANSWER;
	}
	json_free(rest);
	json_stream_free(p->stream);
	p->stream = NULL;
	return rc;
}

/* Whether the page at @offset fits the walk so far; sets *@done at the end. */
static enum walk_error check_page(const struct page *p, uint64_t offset,
				  const struct vspc_paging *paging, int64_t *total, bool *done,
				  const char *what, char *err, size_t errlen)
{
	uint64_t next = offset + p->items;

	if (paging->present && paging->has_offset && (uint64_t)paging->offset != offset) {
		snprintf(err, errlen,
			 "%sVSPC sent the page at offset %" PRId64
			 " instead: it ignored the offset",
			 what, paging->offset);
		return WALK_ERR_PAGING;
	}
	if (p->muted) {
		snprintf(err, errlen,
			 "%sjob %s was already on an earlier page: the jobs moved between pages "
			 "or a page was sent twice, so the count would be wrong",
			 what, p->dup);
		return WALK_ERR_PAGING;
	}
	if (!paging->present) {
		*done = p->items < p->spec->limit;
		return WALK_OK;
	}
	if (*total >= 0 && paging->total != *total) {
		snprintf(err, errlen,
			 "%sthe total changed from %" PRId64 " to %" PRId64
			 " while the jobs were read (jobs were added or removed)",
			 what, *total, paging->total);
		return WALK_ERR_PAGING;
	}
	*total = paging->total;
	if (next > (uint64_t)paging->total) {
		snprintf(err, errlen, "%s%zu jobs, more than the total %" PRId64 " allows", what,
			 p->items, paging->total);
		return WALK_ERR_PAGING;
	}
	*done = next == (uint64_t)paging->total;
	if (*done)
		return WALK_OK;
	if (p->items == 0) {
		snprintf(err, errlen,
			 "paging stalled: the page at offset %" PRIu64
			 " has no jobs although the total is %" PRId64,
			 offset, paging->total);
		return WALK_ERR_PAGING;
	}
	if (p->items < p->spec->limit) {
		snprintf(err, errlen,
			 "%sonly %zu jobs came, short of the limit %u, although the total %" PRId64
			 " is not reached",
			 what, p->items, p->spec->limit, paging->total);
		return WALK_ERR_PAGING;
	}
	return WALK_OK;
}

static void describe(char *what, size_t len, const struct job_kind *kind, uint64_t offset)
{
	if (kind->id == VSPC_KIND_VM)
		snprintf(what, len, "page at offset %" PRIu64 ": ", offset);
	else
		snprintf(what, len, "%s, page at offset %" PRIu64 ": ", kind->plural, offset);
}

static enum walk_error walk_kind(struct page *p, struct walk_stats *stats, char *err, size_t errlen)
{
	uint64_t offset = 0;
	int64_t total = -1;

	for (unsigned pages = 1;; pages++) {
		struct vspc_paging paging;
		char what[96];
		bool done = false;
		enum walk_error rc;

		describe(what, sizeof what, p->kind, offset);
		rc = read_page(p, offset, &paging, what, err, errlen);
		stats->jobs[p->kind->id] += p->items;
		stats->pages++;
		if (p->no_kind) {
			stats->skipped[p->kind->id] = true;
			return WALK_OK;
		}
		if (rc == WALK_OK)
			rc = check_page(p, offset, &paging, &total, &done, what, err, errlen);
		if (rc != WALK_OK || done)
			return rc;
		if (pages == WALK_MAX_PAGES) {
			snprintf(err, errlen, "more than %u pages of jobs", WALK_MAX_PAGES);
			return WALK_ERR_PAGING;
		}
		offset += p->items;
	}
}

enum walk_error walk_run(const struct walk_spec *spec, struct walk_stats *stats, char *err,
			 size_t errlen)
{
	struct uidset seen;
	enum walk_error rc = WALK_OK;
	struct page *page = calloc(1, sizeof *page); /* a few KB: not on the stack */

	memset(stats, 0, sizeof *stats);
	if (page == NULL) {
		snprintf(err, errlen, "out of memory");
		return WALK_ERR_NOMEM;
	}
	for (size_t i = 0; i < VSPC_KIND_COUNT && rc == WALK_OK; i++) {
		if (!(spec->kinds & (1u << job_kinds[i]->id)))
			continue;
		memset(page, 0, sizeof *page);
		uidset_init(&seen);
		page->spec = spec;
		page->kind = job_kinds[i];
		page->seen = &seen;
		rc = walk_kind(page, stats, err, errlen);
		uidset_free(&seen);
	}
	free(page);
	return rc;
}
