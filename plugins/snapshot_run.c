#include "autoconfig.h"

#include "snapshot_run.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "pages.h"
#include "timeutil.h"

/* a snapshot from a clock this far ahead is still believed */
#define CLOCK_SLACK 5
/* what a run that waits for another's refresh keeps for its own answer */
#define WAIT_RESERVE_MS 500

static void note(struct session *s, const char *what, const char *why)
{
	result_line(s->rq.res, 1, "note: %s: %s", what, why);
}

static bool fresh(const struct snap_run *r, int64_t max_age)
{
	const struct snapshot_info *in = &r->info;

	return in->present && in->taken_at > 0 && in->taken_at <= r->now + CLOCK_SLACK &&
	       r->now - in->taken_at <= max_age;
}

static bool backing_off(const struct snap_run *r)
{
	const struct snapshot_info *in = &r->info;

	return in->failed && in->failed_at <= r->now + CLOCK_SLACK && r->now < in->retry_at;
}

void snap_say(struct session *s, const struct snap_run *r, bool answered)
{
	char age[32];

	time_format_age(age, sizeof age, r->now - r->info.taken_at);
	result_line(s->rq.res, 1,
		    "%s the snapshot %s (%s, %s old, at most %lld s allowed; %llu VM "
		    "replication jobs, %llu CDP policies)",
		    answered ? "answered from" : "looked in", snapshot_path(r->sn), r->how, age,
		    (long long)s->rq.cfg->snapshot_max_age,
		    (unsigned long long)r->info.jobs[VSPC_KIND_VM],
		    (unsigned long long)r->info.jobs[VSPC_KIND_CDP]);
}

/* Every run in the back-off period says what the failed refresh said. */
static void report_failure(struct session *s, const struct snap_run *r)
{
	const struct snapshot_info *in = &r->info;
	char ago[32];
	char next[32];

	time_format_age(ago, sizeof ago, r->now - in->failed_at);
	time_format_age(next, sizeof next, in->retry_at - r->now);
	result_fail(s->rq.res, in->failed_state,
		    "%s (the snapshot refresh failed %s ago; VSPC is asked again in %s)",
		    in->failed_message, ago, next);
}

/* Reads the info; a file that cannot be read counts as stale. */
static void read_info(struct session *s, struct snap_run *r)
{
	char why[PATH_MAX + 256];

	if (!snapshot_read_begin(r->sn, &r->info, why, sizeof why)) {
		note(s, "the snapshot is rebuilt", why);
		memset(&r->info, 0, sizeof r->info);
	}
}

struct refresh {
	struct snapshot *sn;
	bool stored; /* every item went in */
	char why[PATH_MAX + 256];
};

static bool on_refresh_item(void *ctx, const struct walk_item *it)
{
	struct refresh *rf = ctx;

	rf->stored = snapshot_refresh_add(rf->sn, it->kind, it, rf->why, sizeof rf->why);
	return rf->stored;
}

static int64_t backoff(const struct session *s)
{
	double ra = s->retry_after;

	if (ra < 0)
		return SNAPSHOT_BACKOFF;
	if (ra > SNAPSHOT_BACKOFF_MAX)
		return SNAPSHOT_BACKOFF_MAX;
	if (ra < 1)
		return 1;
	return (int64_t)ra + ((double)(int64_t)ra < ra); /* rounded up */
}

/* Under the lock: one walk of everything into the snapshot. */
static enum snap_use refresh(struct session *s, struct snap_run *r)
{
	struct result *res = s->rq.res;
	struct refresh rf = { .sn = r->sn, .stored = true };
	struct snapshot_info done;
	struct walk_stats stats;
	enum walk_error rc;

	if (!snapshot_refresh_begin(r->sn, rf.why, sizeof rf.why)) {
		note(s, "not using the snapshot", rf.why);
		return SNAP_DIRECT;
	}
	rc = pages_walk(s, PAGES_WHOLE, on_refresh_item, &rf, &stats);
	memset(&done, 0, sizeof done);
	done.failed_at = (int64_t)time(NULL);
	if (rc == WALK_OK) {
		done.taken_at = done.failed_at;
		for (int k = 0; k < VSPC_KIND_COUNT; k++) {
			done.jobs[k] = stats.jobs[k];
			if (stats.skipped[k])
				done.skipped |= 1u << k;
		}
		snprintf(done.api_version, sizeof done.api_version, "%s", s->api.v.current);
		if (!snapshot_refresh_commit(r->sn, &done, rf.why, sizeof rf.why)) {
			note(s, "the walk could not be stored, so it is asked again", rf.why);
			return SNAP_DIRECT;
		}
		r->now = (int64_t)time(NULL);
		read_info(s, r);
		if (!fresh(r, s->rq.cfg->snapshot_max_age)) {
			note(s, "the snapshot just stored cannot be read back",
			     snapshot_path(r->sn));
			return SNAP_DIRECT;
		}
		r->how = "refreshed by this run";
		return SNAP_READY;
	}
	if (!rf.stored) {
		note(s, "the walk could not be stored, so it is asked again", rf.why);
		return SNAP_DIRECT;
	}
	/* the walk failed and the result says why: every run says the same
	 * until the back-off ends */
	done.retry_at = done.failed_at + backoff(s);
	done.failed_state = res->state == STATE_OK ? STATE_UNKNOWN : res->state;
	snprintf(done.failed_message, sizeof done.failed_message, "%s",
		 res->summary.len ? buf_str(&res->summary) : "the snapshot refresh failed");
	if (!snapshot_refresh_fail(r->sn, &done, rf.why, sizeof rf.why))
		note(s, "the failed refresh could not be stored", rf.why);
	else
		result_line(res, 1,
			    "the snapshot refresh failed: every check reports it for %lld s",
			    (long long)(done.retry_at - done.failed_at));
	return SNAP_REPORTED;
}

static enum snap_use decide(struct session *s, struct snap_run *r, bool *stale)
{
	*stale = false;
	if (fresh(r, s->rq.cfg->snapshot_max_age))
		return SNAP_READY;
	if (backing_off(r)) {
		snapshot_read_end(r->sn);
		report_failure(s, r);
		return SNAP_REPORTED;
	}
	snapshot_read_end(r->sn);
	*stale = true;
	return SNAP_DIRECT;
}

static void snapshot_key_of(const struct session *s, struct snapshot_key *key)
{
	const struct config *cfg = s->rq.cfg;

	memset(key, 0, sizeof *key);
	key->host = cfg->conn.server.host;
	key->port = cfg->conn.server.port;
	key->plain_http = cfg->conn.server.plain_http;
	key->api_version = cfg->conn.api_version;
	if (s->login) {
		key->user = buf_str(&s->auth.creds.username);
	} else {
		key->token = buf_str(s->rq.token);
		key->token_len = s->rq.token->len;
	}
}

enum snap_use snap_acquire(struct session *s, struct snap_run *r)
{
	const struct config *cfg = s->rq.cfg;
	struct snapshot_key key;
	char why[PATH_MAX + 256];
	enum snap_use use;
	bool stale;
	bool busy;

	memset(r, 0, sizeof *r);
	r->now = (int64_t)time(NULL);
	snapshot_key_of(s, &key);
	r->sn = snapshot_open(cfg->cache_dir, &key, s->rq.deadline_ms, why, sizeof why);
	if (r->sn == NULL) {
		note(s, "not using a snapshot", why);
		return SNAP_DIRECT;
	}
	read_info(s, r);
	use = decide(s, r, &stale);
	if (!stale) {
		if (use == SNAP_READY)
			r->how = "made by an earlier run";
		return use;
	}
	/* stale or missing: refresh it, or wait for the run that does */
	if (!snapshot_lock(r->sn, s->rq.deadline_ms - WAIT_RESERVE_MS, &busy, why, sizeof why)) {
		if (!busy) {
			note(s, "not using the snapshot", why);
			return SNAP_DIRECT;
		}
		result_fail(s->rq.res, cfg->timeout_state,
			    "timed out after %u s waiting for another check's refresh of the job "
			    "snapshot",
			    cfg->timeout_seconds);
		return SNAP_REPORTED;
	}
	if (!snapshot_reopen(r->sn, why, sizeof why)) {
		note(s, "not using the snapshot", why);
		return SNAP_DIRECT;
	}
	r->now = (int64_t)time(NULL);
	read_info(s, r);
	use = decide(s, r, &stale);
	if (!stale) {
		snapshot_unlock(r->sn);
		if (use == SNAP_READY)
			r->how = "refreshed by another run";
		return use;
	}
	use = refresh(s, r);
	snapshot_unlock(r->sn);
	return use;
}

void snap_release(struct snap_run *r)
{
	snapshot_close(r->sn);
	r->sn = NULL;
}
