/* -j UID: one job. The kind comes from the job itself unless --kind says
 * it: a VM replication job costs what it always did (its configuration,
 * then its BackupServerJob; one request with --no-job-status); a CDP
 * policy at most two (with its job status, the CDP collection filtered on
 * the UID brings the policy and its BackupServerJob in one answer). */
#include "autoconfig.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "answer.h"
#include "apiver.h"
#include "evaluate.h"
#include "kinds.h"
#include "modes.h"
#include "snapshot_run.h"
#include "vspc.h"

/* What the requests found out. */
struct found {
	const struct job_kind *kind; /* NULL: not (yet) known */
	struct vspc_job job;
	struct vspc_job_session session;
	bool has_session;
	bool measured;     /* an answer came, even an error */
	char why_404[512]; /* what VSPC said to the first 404 while probing */
};

enum got {
	GOT_IT = 0, /* decoded */
	GOT_404,    /* this endpoint does not know the UID */
	GOT_FAILED  /* the result says why */
};

/* GETs @url; a 200 is parsed as it arrives into @a (lib/answer.h).
 * Anything else is reported (a 404 as CRITICAL "not found"), except a 404
 * while @probing for the kind. */
static enum got fetch(struct session *s, struct found *f, const char *url, const char *subject,
		      const char *what, bool probing, struct answer *a, struct http_response *resp)
{
	if (!answer_start(a)) {
		result_fail(s->rq.res, STATE_UNKNOWN, "plugin fault: out of memory");
		return GOT_FAILED;
	}
	if (session_get(s, url, &a->sink, VSPC_JOB_BODY_CAP, what, resp) != HTTP_OK)
		return GOT_FAILED;
	f->measured = true;
	if (resp->status == 200)
		return GOT_IT;
	if (resp->status == 404 && probing) {
		struct vspc_error_info info;

		vspc_decode_errors(buf_str(&resp->body), resp->body.len, &info);
		if (!info.unsupported_version) {
			if (f->why_404[0] == '\0')
				snprintf(f->why_404, sizeof f->why_404, "%s",
					 info.message[0] ? info.message : "no VSPC error message");
			return GOT_404;
		}
	}
	session_report_status(s, resp, subject, STATE_CRITICAL, what);
	return GOT_FAILED;
}

static enum got decode_failed(struct session *s, const char *what, const struct http_response *resp,
			      const char *err)
{
	result_fail(s->rq.res, STATE_UNKNOWN, "%sjob %s: %s (HTTP 200, Content-Type %s)", what,
		    s->rq.cfg->target.uid, err,
		    resp->content_type[0] ? resp->content_type : "none");
	return GOT_FAILED;
}

/* GET .../jobs/COLLECTION/{uid}: the kind's own object. */
static enum got get_object(struct session *s, struct found *f, const struct job_kind *k,
			   bool probing)
{
	const struct config *cfg = s->rq.cfg;
	struct http_response resp = { 0 };
	char url[512];
	char subject[96];
	char err[256];
	enum got g;

	struct answer a;
	struct json_doc *doc = NULL;

	snprintf(subject, sizeof subject, "%s %s", k->title, cfg->target.uid);
	vspc_kind_job_url(url, sizeof url, &cfg->conn.server, k->collection, cfg->target.uid);
	g = fetch(s, f, url, subject, "", probing, &a, &resp);
	if (g == GOT_IT && (answer_finish(&a, &doc, err, sizeof err) != VSPC_OK ||
			    kind_decode_answer_doc(k, doc, &f->job, err, sizeof err) != VSPC_OK))
		g = decode_failed(s, "", &resp, err);
	if (g == GOT_IT)
		f->kind = k;
	json_free(doc);
	answer_free(&a);
	http_response_free(&resp);
	return g;
}

/* GET .../backupServers/jobs/{uid}: the job's session (and its type). */
static enum got get_session(struct session *s, struct found *f, const char *what, bool probing)
{
	const struct config *cfg = s->rq.cfg;
	struct http_response resp = { 0 };
	char url[512];
	char subject[80];
	char err[256];
	enum got g;

	struct answer a;
	struct json_doc *doc = NULL;

	snprintf(subject, sizeof subject, "job %s", cfg->target.uid);
	vspc_job_url(url, sizeof url, &cfg->conn.server, cfg->target.uid);
	g = fetch(s, f, url, subject, what, probing, &a, &resp);
	if (g == GOT_IT && (answer_finish(&a, &doc, err, sizeof err) != VSPC_OK ||
			    answer_decode_session(doc, &f->session, err, sizeof err) != VSPC_OK))
		g = decode_failed(s, what, &resp, err);
	f->has_session = g == GOT_IT;
	json_free(doc);
	answer_free(&a);
	http_response_free(&resp);
	return g;
}

/* The CDP collection filtered on the UID, with the BackupServerJob. */
static enum got get_cdp_with_session(struct session *s, struct found *f, bool probing)
{
	const struct config *cfg = s->rq.cfg;
	struct http_response resp = { 0 };
	char url[768];
	char err[256];
	bool found = false;
	enum got g;

	struct answer a;
	struct json_doc *doc = NULL;

	vspc_collection_url(url, sizeof url, &cfg->conn.server, kind_cdp.collection, NULL, 1, 0,
			    cfg->target.uid);
	g = fetch(s, f, url, "the CDP policy collection", "", false, &a, &resp);
	if (g == GOT_IT &&
	    (answer_finish(&a, &doc, err, sizeof err) != VSPC_OK ||
	     kind_decode_filtered_doc(&kind_cdp, doc, cfg->target.uid, &f->job, &f->session, &found,
				      &f->has_session, err, sizeof err) != VSPC_OK))
		g = decode_failed(s, "", &resp, err);
	json_free(doc);
	answer_free(&a);
	http_response_free(&resp);
	if (g != GOT_IT)
		return g;
	if (!found && !probing) {
		result_fail(s->rq.res, STATE_CRITICAL, "CDP policy %s not found", cfg->target.uid);
		return GOT_FAILED;
	}
	if (!found)
		return GOT_404;
	f->kind = &kind_cdp;
	/* a server that does not embed it: one more request */
	return f->has_session ? GOT_IT : get_session(s, f, "job session: ", false);
}

static enum got get_cdp(struct session *s, struct found *f, bool probing)
{
	enum got g;

	/* under API 3.5 instanceUid is the VSPC UID: a filter on it cannot
	 * find the B&R UID, so the policy and its job come one by one */
	if (s->rq.cfg->job_status && apiver_compare(s->api.v.current, "3.5") != 0)
		return get_cdp_with_session(s, f, probing);
	g = get_object(s, f, &kind_cdp, probing);
	if (g == GOT_IT && s->rq.cfg->job_status)
		g = get_session(s, f, "job session: ", false);
	return g;
}

/* Neither kind knows the UID: not found, or a job of another kind. */
static void not_a_replication_job(struct session *s, struct found *f)
{
	const char *uid = s->rq.cfg->target.uid;
	char type[VSPC_NAME_MAX];
	enum got g = get_session(s, f, "", true);

	if (g == GOT_404)
		result_fail(s->rq.res, STATE_CRITICAL,
			    "job %s not found: VSPC knows no VM replication job or CDP policy with "
			    "this UID (HTTP 404: %s)",
			    uid, f->why_404);
	if (g != GOT_IT)
		return;
	output_sanitise(type, sizeof type, f->session.type.value, f->session.type.len);
	if (f->session.type.f.state == VSPC_FIELD_VALUE && kind_by_type(type))
		result_fail(s->rq.res, STATE_UNKNOWN,
			    "job %s is a %s (BackupServerJob.type %s), but VSPC's %s endpoint does "
			    "not know it",
			    uid, kind_by_type(type)->title, type, kind_by_type(type)->collection);
	else
		result_fail(
		    s->rq.res, STATE_UNKNOWN,
		    "job %s is a %s job (BackupServerJob.type), not a VM replication job or "
		    "CDP policy",
		    uid, f->session.type.f.state == VSPC_FIELD_VALUE ? type : "(no type)");
}

/* Finds the job and reads what the check needs. */
static bool find(struct session *s, struct found *f)
{
	const struct config *cfg = s->rq.cfg;
	bool probing = !cfg->target.kind_given;
	enum got g = GOT_404;

	if (cfg->target.kinds & (1u << VSPC_KIND_VM)) {
		g = get_object(s, f, &kind_vm, probing);
		if (g == GOT_IT && cfg->job_status)
			g = get_session(s, f, "job session: ", false);
	}
	if (g == GOT_404 && (cfg->target.kinds & (1u << VSPC_KIND_CDP)))
		g = get_cdp(s, f, probing);
	if (g == GOT_404)
		not_a_replication_job(s, f);
	return g == GOT_IT;
}

enum from {
	FROM_SNAPSHOT = 0, /* found in a fresh snapshot */
	FROM_NOWHERE,      /* the result says why (a failed refresh) */
	FROM_VSPC          /* to be asked for directly */
};

/* With --snapshot-max-age: the job from a fresh snapshot. A job it does
 * not hold (new, deleted), of a kind not asked for, or without the
 * BackupServerJob the check needs, is asked for directly, so the answer is
 * the direct check's. */
static enum from from_snapshot(struct session *s, struct found *f)
{
	const struct config *cfg = s->rq.cfg;
	const char *uid = cfg->target.uid;
	struct snapshot_item it;
	struct snap_run r;
	char why[PATH_MAX + 256];
	enum from from = FROM_VSPC;
	enum snap_use use = snap_acquire(s, &r);

	if (use != SNAP_READY) {
		snap_release(&r);
		return use == SNAP_REPORTED ? FROM_NOWHERE : FROM_VSPC;
	}
	switch (snapshot_find(r.sn, uid, &it, why, sizeof why)) {
	case SNAPSHOT_FOUND:
		if (!(cfg->target.kinds & (1u << it.kind))) {
			snap_say(s, &r, false);
			result_line(s->rq.res, 1,
				    "note: job %s is a %s in the snapshot: asking VSPC", uid,
				    kind_of(it.kind)->title);
		} else if (cfg->job_status && it.item.session == NULL) {
			snap_say(s, &r, false);
			result_line(s->rq.res, 1,
				    "note: the snapshot has no BackupServerJob for job %s: asking "
				    "VSPC",
				    uid);
		} else {
			snap_say(s, &r, true);
			f->kind = kind_of(it.kind);
			f->job = *it.item.job;
			f->has_session = cfg->job_status;
			if (f->has_session)
				f->session = *it.item.session;
			f->measured = true;
			from = FROM_SNAPSHOT;
		}
		snapshot_item_free(&it);
		break;
	case SNAPSHOT_ABSENT:
		snap_say(s, &r, false);
		result_line(s->rq.res, 1,
			    "note: job %s is not in the snapshot (new, or deleted): asking VSPC",
			    uid);
		break;
	case SNAPSHOT_AMBIGUOUS:
		snap_say(s, &r, false);
		result_line(s->rq.res, 1,
			    "note: more than one job of the snapshot has UID %s: asking VSPC", uid);
		break;
	case SNAPSHOT_BROKEN:
		snap_say(s, &r, false);
		snapshot_invalidate(r.sn);
		result_line(s->rq.res, 1, "note: %s: asking VSPC (the next run makes a new one)",
			    why);
		break;
	}
	snap_release(&r);
	return from;
}

void mode_single(struct session *s)
{
	const struct config *cfg = s->rq.cfg;
	struct found *f = calloc(1, sizeof *f);
	enum from from = FROM_VSPC;

	if (f == NULL) {
		result_fail(s->rq.res, STATE_UNKNOWN, "plugin fault: out of memory");
		return;
	}
	if (cfg->snapshot_max_age > 0)
		from = from_snapshot(s, f);
	if (from == FROM_SNAPSHOT || (from == FROM_VSPC && find(s, f))) {
		const char *foreign = kind_foreign_option(f->kind, &cfg->policy);
		if (foreign)
			result_fail(s->rq.res, STATE_UNKNOWN,
				    "%s does not apply to job %s: it is a %s (see --help for the "
				    "options of each kind)",
				    foreign, cfg->target.uid, f->kind->title);
		else
			evaluate_job(&cfg->policy, cfg->target.uid, &f->job,
				     f->has_session ? &f->session : NULL, (int64_t)time(NULL),
				     s->rq.res);
	}
	if (f->measured)
		result_perf(s->rq.res, &(struct perfdata){ .label = "time",
							   .value = s->seconds,
							   .decimals = 6,
							   .uom = "s",
							   .min = "0" });
	free(f);
}
