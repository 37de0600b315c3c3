/* --all and --list: consumers of the collection walker (lib/walk.h). The
 * fleet check evaluates each job as it arrives and adds the results up
 * (lib/tally.h); the listing prints each (plugins/listing.c). Memory stays
 * flat whatever the number of jobs. */
#include "autoconfig.h"

#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "evaluate.h"
#include "kinds.h"
#include "listing.h"
#include "modes.h"
#include "tally.h"
#include "walk.h"

/* One walk through the collections. */
struct fleet {
	struct session *s;
	const struct config *cfg;
	int64_t now;
	struct tally tally;
	struct buf job_perfdata; /* --perfdata-per-job, appended at the end */
	struct listing listing;  /* --list */
	char stop_reason[512];   /* why the item function stopped the walk */
};

static bool uid_in(const struct vspc_uid *u, const char (*list)[VSPC_UID_LEN + 1], size_t n)
{
	if (u->f.state != VSPC_FIELD_VALUE)
		return false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(u->value, list[i]) == 0)
			return true;
	return false;
}

static bool name_in(const char *name, const char *const *patterns, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fnmatch(patterns[i], name, 0) == 0)
			return true;
	return false;
}

/* Client-side filters: organizations and name globs. */
static bool job_selected(const struct fleet_filter *f, const struct vspc_job_session *js)
{
	const char *name = js->name.f.state == VSPC_FIELD_VALUE ? js->name.value : "";

	if (f->n_organizations &&
	    !uid_in(&js->organization_uid, f->organizations, f->n_organizations) &&
	    !uid_in(&js->mapped_organization_uid, f->organizations, f->n_organizations))
		return false;
	if (f->n_names && !name_in(name, f->names, f->n_names))
		return false;
	return !(f->n_excludes && name_in(name, f->excludes, f->n_excludes));
}

/* Counts a job evaluated into @jr, makes it a sub-check of the run's
 * result and gives it the line "[STATE] subject: what". */
static void count_job(struct fleet *fl, enum vspc_kind kind, const struct vspc_job *job,
		      const char *subject, const struct result *jr)
{
	const char *id = job && job->ids.instance_uid.f.state == VSPC_FIELD_VALUE
			     ? job->ids.instance_uid.value
			     : NULL;

	tally_add(&fl->tally, kind, jr->state, job);
	result_adopt(fl->s->rq.res, "job", id, kind_of(kind)->name, jr);
	result_line(fl->s->rq.res, jr->state == STATE_OK ? 1 : 0, "[%s] %s: %s",
		    state_name(jr->state), subject, buf_str(&jr->summary));
}

/* A job that could not be evaluated: UNKNOWN with @why. */
static void count_bad_job(struct fleet *fl, enum vspc_kind kind, const struct vspc_job *job,
			  const char *subject, const char *why)
{
	struct result jr;

	result_init(&jr, 0);
	result_fail(&jr, STATE_UNKNOWN, "%s", why);
	count_job(fl, kind, job, subject, &jr);
	result_free(&jr);
}

static void check_one(struct fleet *fl, const struct vspc_job *job,
		      const struct vspc_job_session *js)
{
	char subject[VSPC_NAME_MAX + 64];
	char prefix[VSPC_NAME_MAX + 2];
	struct result jr;

	result_init(&jr, 0);
	/* --perfdata-per-job: the job's own perfdata under "name:" */
	snprintf(prefix, sizeof prefix, "%s:",
		 js->name.f.state == VSPC_FIELD_VALUE ? js->name.value
						      : job->ids.instance_uid.value);
	jr.perf_prefix = prefix;
	evaluate_job(&fl->cfg->policy, NULL, job, js, fl->now, &jr);
	evaluate_subject(subject, sizeof subject, NULL, job, js);
	count_job(fl, job->kind, job, subject, &jr);
	if (fl->cfg->perfdata_per_job && jr.perfdata.len) {
		if (fl->job_perfdata.len)
			(void)buf_append_str(&fl->job_perfdata, " ");
		(void)buf_append_str(&fl->job_perfdata, buf_str(&jr.perfdata));
	}
	result_free(&jr);
}

static bool on_fleet_item(void *ctx, const struct walk_item *it)
{
	struct fleet *fl = ctx;
	char subject[VSPC_NAME_MAX + 64];

	if (it->job == NULL) {
		char where[64];

		snprintf(where, sizeof where, "element %zu of the page", it->index);
		count_bad_job(fl, VSPC_KIND_VM, NULL, where, it->problem);
	} else if (it->session == NULL) {
		evaluate_subject(subject, sizeof subject, NULL, it->job, NULL);
		count_bad_job(fl, it->job->kind, it->job, subject,
			      "no _embedded.backupServerJob (expand was not honoured)");
	} else if (job_selected(&fl->cfg->filter, it->session)) {
		check_one(fl, it->job, it->session);
	}
	return true;
}

/* A table or JSON lines show what they can; a configuration has every
 * job or fails, since a job left out would lose its service. */
static bool on_list_item(void *ctx, const struct walk_item *it)
{
	static const struct vspc_job_session none;
	struct fleet *fl = ctx;
	bool config = MODE_IS_CONFIG_LIST(fl->cfg->mode);

	if (it->job == NULL) {
		if (config)
			snprintf(fl->stop_reason, sizeof fl->stop_reason,
				 "element %zu of a page is not a job (%s): the configuration would "
				 "lack it",
				 it->index, it->problem);
		return !config;
	}
	if (config && it->session == NULL)
		return listing_row(&fl->listing, it->job, NULL, fl->now, fl->stop_reason,
				   sizeof fl->stop_reason);
	if (!job_selected(&fl->cfg->filter, it->session ? it->session : &none))
		return true;
	return listing_row(&fl->listing, it->job, it->session, fl->now, fl->stop_reason,
			   sizeof fl->stop_reason);
}

/* The walker's fetch: one page over the session. */
static enum walk_fetch_rc fetch_page(void *ctx, enum vspc_kind kind, uint64_t offset,
				     const char *url, const struct http_sink *sink,
				     const char *what)
{
	struct fleet *fl = ctx;
	const struct config *cfg = fl->cfg;
	struct http_response resp = { 0 };
	enum walk_fetch_rc rc = WALK_FETCH_FAILED;
	char subject[80];

	if (session_get(fl->s, url, sink, WALK_PAGE_BODY_CAP, what, &resp) != HTTP_OK) {
		if (resp.sink_aborted)
			rc = WALK_FETCH_ABORTED;
	} else if (resp.status == 200) {
		rc = WALK_FETCH_OK;
	} else if (resp.status == 404 && offset == 0 && kind != VSPC_KIND_VM &&
		   !cfg->target.kind_given && !cfg->filter.has_backup_server) {
		/* a VSPC without the collection (API 3.4 may lack the CDP one) */
		result_line(fl->s->rq.res, 1,
			    "note: VSPC has no %s collection (HTTP 404): none are checked",
			    kind_of(kind)->title);
		rc = WALK_FETCH_NO_KIND;
	} else if (cfg->filter.has_backup_server) {
		/* a backup server that is gone is news; a missing collection is not */
		snprintf(subject, sizeof subject, "backup server %s", cfg->filter.backup_server);
		session_report_status(fl->s, &resp, subject, STATE_CRITICAL, what);
	} else {
		session_report_status(fl->s, &resp, "the replication job collection", STATE_UNKNOWN,
				      what);
	}
	http_response_free(&resp);
	return rc;
}

/* Walks the collections of the selected kinds; false (with the reason in
 * the result) if the walk failed. */
static bool walk(struct fleet *fl, walk_item_fn item)
{
	const struct config *cfg = fl->cfg;
	const struct walk_spec spec = {
		.server = &cfg->conn.server,
		.backup_server = cfg->filter.has_backup_server ? cfg->filter.backup_server : NULL,
		.kinds = cfg->target.kinds,
		.limit = WALK_PAGE_LIMIT,
		.fetch = fetch_page,
		.fetch_ctx = fl,
		.item = item,
		.item_ctx = fl,
	};
	struct walk_stats stats;
	char err[512];
	enum walk_error rc = walk_run(&spec, &stats, err, sizeof err);

	if (rc == WALK_ERR_STOPPED && fl->stop_reason[0])
		result_fail(fl->s->rq.res, STATE_UNKNOWN, "%s", fl->stop_reason);
	else if (rc != WALK_OK && rc != WALK_ERR_FETCH)
		result_fail(fl->s->rq.res, STATE_UNKNOWN, "%s", err);
	return rc == WALK_OK;
}

static void fleet_init(struct fleet *fl, struct session *s)
{
	memset(fl, 0, sizeof *fl);
	fl->s = s;
	fl->cfg = s->rq.cfg;
	fl->now = (int64_t)time(NULL);
	tally_init(&fl->tally);
	buf_init(&fl->job_perfdata, 1024u * 1024u);
}

void mode_fleet(struct session *s)
{
	const struct config *cfg = s->rq.cfg;
	struct fleet fl;

	fleet_init(&fl, s);
	if (walk(&fl, on_fleet_item))
		tally_report(&fl.tally, cfg->min_jobs_set, cfg->min_jobs, s->rq.res);
	result_perf(
	    s->rq.res,
	    &(struct perfdata){
		.label = "time", .value = s->seconds, .decimals = 6, .uom = "s", .min = "0" });
	result_perf_raw(s->rq.res, buf_str(&fl.job_perfdata));
	buf_free(&fl.job_perfdata);
}

/* The footer only after a walk that worked, and a listing that could not
 * all be written (a full disk) is a failure: exit 3, so that a script
 * never takes part of a configuration for all of it. */
void mode_list(struct session *s)
{
	struct fleet fl;

	fleet_init(&fl, s);
	listing_init(&fl.listing, s->rq.cfg);
	listing_header(&fl.listing);
	if (walk(&fl, on_list_item))
		listing_footer(&fl.listing);
	else
		listing_abort(&fl.listing);
	errno = 0;
	if (fflush(stdout) != 0 || ferror(stdout))
		result_fail(s->rq.res, STATE_UNKNOWN,
			    "the listing could not be written to stdout%s%s", errno ? ": " : "",
			    errno ? strerror(errno) : "");
	listing_free(&fl.listing);
	buf_free(&fl.job_perfdata);
}
