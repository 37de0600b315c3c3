/* --all and --list: consumers of the collection walker (lib/walk.h). The
 * fleet check evaluates each job as it arrives and adds the results up
 * (lib/tally.h); the listing prints each (plugins/listing.c). Memory stays
 * flat whatever the number of jobs. */
#include "autoconfig.h"

#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "evaluate.h"
#include "kinds.h"
#include "listing.h"
#include "pages.h"
#include "snapshot_run.h"
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

/* The item function stopped the walk (a listing that cannot be complete). */
static void stopped(struct fleet *fl)
{
	result_fail(fl->s->rq.res, STATE_UNKNOWN, "%s",
		    fl->stop_reason[0] ? fl->stop_reason : "the walk was stopped");
}

/* Walks the collections of the selected kinds; false (with the reason in
 * the result) if the walk failed. */
static bool walk(struct fleet *fl, walk_item_fn item)
{
	struct walk_stats stats;
	enum walk_error rc = pages_walk(fl->s, PAGES_SELECTED, item, fl, &stats);

	if (rc == WALK_ERR_STOPPED)
		stopped(fl);
	return rc == WALK_OK;
}

/* With --backup-server only that server's jobs; the walk asked VSPC for
 * them, the snapshot holds every server's. */
struct server_filter {
	struct fleet *fl;
	walk_item_fn item;
};

static bool on_server_item(void *ctx, const struct walk_item *it)
{
	const struct server_filter *sf = ctx;
	const struct vspc_job_session *js = it->session;

	if (js && js->backup_server_uid.f.state == VSPC_FIELD_VALUE &&
	    strcmp(js->backup_server_uid.value, sf->fl->cfg->filter.backup_server) != 0)
		return true;
	return sf->item(sf->fl, it);
}

/* Whether the snapshot gives the answer the walk would: not when a
 * missing collection was asked for by name (the walk reports it), nor
 * for a backup server it knows no job of (it may be gone, which only
 * VSPC can say) or while some job's server is unknown. */
static bool servable(const struct fleet *fl, struct snap_run *r)
{
	const struct config *cfg = fl->cfg;
	bool filtered = cfg->filter.has_backup_server;
	uint64_t matching = 0, unknown = 0;
	char why[PATH_MAX + 256];

	if ((r->info.skipped & cfg->target.kinds) && (cfg->target.kind_given || filtered))
		return false;
	return !filtered || (snapshot_count_server(r->sn, cfg->filter.backup_server, &matching,
						   &unknown, why, sizeof why) &&
			     matching > 0 && unknown == 0);
}

/* Hands the selected jobs of a fresh snapshot out in the walk's order,
 * with the walk's notes. False, with the result failed, when a stored
 * job could not be read. */
static bool from_snapshot(struct fleet *fl, struct snap_run *r, walk_item_fn item)
{
	const struct config *cfg = fl->cfg;
	struct result *res = fl->s->rq.res;
	struct server_filter sf = { fl, item };
	bool filtered = cfg->filter.has_backup_server;
	char why[PATH_MAX + 256];

	for (size_t i = 0; i < VSPC_KIND_COUNT; i++) {
		const struct job_kind *k = job_kinds[i];

		if (!(cfg->target.kinds & (1u << k->id)))
			continue;
		if (r->info.skipped & (1u << k->id)) {
			pages_note_missing(res, k);
			continue;
		}
		why[0] = '\0';
		if (!snapshot_each(r->sn, 1u << k->id, filtered ? on_server_item : item,
				   filtered ? (void *)&sf : (void *)fl, why, sizeof why)) {
			if (why[0] == '\0') { /* the item function stopped it */
				stopped(fl);
				return false;
			}
			snapshot_invalidate(r->sn);
			result_fail(res, STATE_UNKNOWN,
				    "the job snapshot could not be read: %s (the next run makes a "
				    "new one)",
				    why);
			return false;
		}
	}
	return true;
}

static void no_header(struct fleet *fl)
{
	(void)fl;
}

static void list_header(struct fleet *fl)
{
	listing_header(&fl->listing);
}

/* The selected jobs, from the snapshot when --snapshot-max-age allows,
 * else from a walk; @before runs first (the listing's header). False,
 * with the result failed, when not every job was handed out. */
static bool jobs(struct fleet *fl, walk_item_fn item, void (*before)(struct fleet *fl))
{
	if (fl->cfg->snapshot_max_age > 0) {
		struct snap_run r;
		enum snap_use use = snap_acquire(fl->s, &r);
		bool served = use == SNAP_READY && servable(fl, &r);
		bool ok = false;

		if (use == SNAP_READY)
			snap_say(fl->s, &r, served);
		if (served) {
			before(fl);
			ok = from_snapshot(fl, &r, item);
		}
		snap_release(&r);
		if (served)
			return ok;
		if (use == SNAP_REPORTED)
			return false;
		if (use == SNAP_READY)
			result_line(fl->s->rq.res, 1,
				    "note: the snapshot cannot tell about this backup server or "
				    "collection: asking VSPC");
	}
	before(fl);
	return walk(fl, item);
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
	if (jobs(&fl, on_fleet_item, no_header))
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
	if (jobs(&fl, on_list_item, list_header))
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
