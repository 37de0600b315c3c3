#include "autoconfig.h"

#include "pages.h"

#include <stdio.h>

#include "kinds.h"

struct pages {
	struct session *s;
	enum pages_scope scope;
};

void pages_note_missing(struct result *res, const struct job_kind *k)
{
	result_line(res, 1, "note: VSPC has no %s collection (HTTP 404): none are checked",
		    k->title);
}

/* The walker's fetch: one page over the session. */
static enum walk_fetch_rc fetch_page(void *ctx, enum vspc_kind kind, uint64_t offset,
				     const char *url, const struct http_sink *sink,
				     const char *what)
{
	const struct pages *pg = ctx;
	struct session *s = pg->s;
	const struct config *cfg = s->rq.cfg;
	bool whole = pg->scope == PAGES_WHOLE;
	bool filtered = !whole && cfg->filter.has_backup_server;
	struct http_response resp = { 0 };
	enum walk_fetch_rc rc = WALK_FETCH_FAILED;
	char subject[80];

	if (session_get(s, url, sink, WALK_PAGE_BODY_CAP, what, &resp) != HTTP_OK) {
		if (resp.sink_aborted)
			rc = WALK_FETCH_ABORTED;
	} else if (resp.status == 200) {
		rc = WALK_FETCH_OK;
	} else if (resp.status == 404 && offset == 0 && kind != VSPC_KIND_VM &&
		   (whole || (!cfg->target.kind_given && !filtered))) {
		/* a VSPC without the collection (API 3.4 may lack the CDP one);
		 * the snapshot records it and says so when it answers */
		if (!whole)
			pages_note_missing(s->rq.res, kind_of(kind));
		rc = WALK_FETCH_NO_KIND;
	} else if (filtered) {
		/* a backup server that is gone is news; a missing collection is not */
		snprintf(subject, sizeof subject, "backup server %s", cfg->filter.backup_server);
		session_report_status(s, &resp, subject, STATE_CRITICAL, what);
	} else {
		session_report_status(s, &resp, "the replication job collection", STATE_UNKNOWN,
				      what);
	}
	http_response_free(&resp);
	return rc;
}

enum walk_error pages_walk(struct session *s, enum pages_scope scope, walk_item_fn item,
			   void *item_ctx, struct walk_stats *stats)
{
	const struct config *cfg = s->rq.cfg;
	bool whole = scope == PAGES_WHOLE;
	struct pages pg = { s, scope };
	const struct walk_spec spec = {
		.server = &cfg->conn.server,
		.backup_server =
		    !whole && cfg->filter.has_backup_server ? cfg->filter.backup_server : NULL,
		.kinds = whole ? (1u << VSPC_KIND_COUNT) - 1 : cfg->target.kinds,
		.limit = WALK_PAGE_LIMIT,
		.fetch = fetch_page,
		.fetch_ctx = &pg,
		.item = item,
		.item_ctx = item_ctx,
	};
	char err[512];
	enum walk_error rc = walk_run(&spec, stats, err, sizeof err);

	if (rc != WALK_OK && rc != WALK_ERR_FETCH && rc != WALK_ERR_STOPPED)
		result_fail(s->rq.res, STATE_UNKNOWN, "%s", err);
	return rc;
}
