#include "autoconfig.h"

#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "evaluate.h"
#include "json.h"
#include "modes.h"
#include "timeutil.h"
#include "vspc.h"

#define PAGE_LIMIT    500
#define PAGE_BODY_CAP (64u * 1024u * 1024u)
#define MAX_PAGES     20000
#define ROW_CAP       (16u * 1024u)

/* The state of one walk through the job collection. */
struct fleet_walk {
	const struct request_ctx *rq;
	int64_t now;
	enum run_mode mode;
	/* counters over every matching job */
	unsigned long jobs;
	unsigned long by_state[4];
	int64_t vms_total;
	struct buf job_perfdata; /* --perfdata-per-job, appended at the end */
	/* the page being read */
	size_t page_items;
	struct json_stream *stream;
	char stream_error[200];
	double seconds;
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

/* Counts a job and gives it the line "[STATE] subject: what". */
static void count_job(struct fleet_walk *w, enum state s, const char *subject, const char *what)
{
	struct result *res = w->rq->res;

	w->jobs++;
	w->by_state[s <= STATE_UNKNOWN ? s : STATE_UNKNOWN]++;
	result_raise(res, s);
	result_line(res, s == STATE_OK ? 1 : 0, "[%s] %s: %s", state_name(s), subject, what);
}

static void check_one(struct fleet_walk *w, const struct vspc_replication_job *job,
		      const struct vspc_job_session *js)
{
	char subject[VSPC_NAME_MAX + 64];
	char prefix[VSPC_NAME_MAX + 2];
	struct result jr;

	result_init(&jr, 0);
	/* --perfdata-per-job: the job's own perfdata under "name:" */
	snprintf(prefix, sizeof prefix, "%s:",
		 js->name.f.state == VSPC_FIELD_VALUE ? js->name.value : job->instance_uid.value);
	jr.perf_prefix = prefix;
	evaluate_job(&w->rq->cfg->policy, job, js, w->now, &jr);
	evaluate_subject(subject, sizeof subject, &w->rq->cfg->policy, job, js);
	count_job(w, jr.state, subject, buf_str(&jr.summary));
	if (job->protected_vm_count.f.state == VSPC_FIELD_VALUE)
		w->vms_total += job->protected_vm_count.value;
	if (w->rq->cfg->perfdata_per_job && jr.perfdata.len) {
		if (w->job_perfdata.len)
			(void)buf_append_str(&w->job_perfdata, " ");
		(void)buf_append_str(&w->job_perfdata, buf_str(&jr.perfdata));
	}
	result_free(&jr);
}

static const char *uid_or(const struct vspc_uid *u, const char *fallback)
{
	return u->f.state == VSPC_FIELD_VALUE ? u->value : fallback;
}

static void list_table_row(const struct fleet_walk *w, const struct vspc_replication_job *job,
			   const struct vspc_job_session *js)
{
	char name[40];
	char end[48];
	char age[24] = "-";
	char vms[16] = "-";

	output_sanitise(name, sizeof name, js->name.value, js->name.len);
	output_sanitise(end, sizeof end, js->last_end_time.text, strlen(js->last_end_time.text));
	if (js->last_end_time.f.state == VSPC_FIELD_VALUE)
		time_format_age(age, sizeof age, w->now - js->last_end_time.epoch);
	if (job->protected_vm_count.f.state == VSPC_FIELD_VALUE)
		snprintf(vms, sizeof vms, "%d", (int)job->protected_vm_count.value);
	printf("%-36s  %-30s  %-17s  %-33s  %8s  %5s  %-3s  %-5s\n",
	       uid_or(&job->instance_uid, "-"), name[0] ? name : "-",
	       js->status_text.f.state == VSPC_FIELD_VALUE ? js->status_text.value : "-",
	       end[0] ? end : "-", age, vms,
	       job->through_wan.f.state != VSPC_FIELD_VALUE ? "-"
	       : job->through_wan.value                     ? "on"
							    : "off",
	       job->is_cloud_job.f.state != VSPC_FIELD_VALUE ? "-"
	       : job->is_cloud_job.value                     ? "yes"
							     : "no");
}

static void json_member_uid(struct buf *b, const char *key, const struct vspc_uid *u)
{
	(void)buf_printf(b, ",\"%s\":", key);
	if (u->f.state == VSPC_FIELD_VALUE)
		json_append_string(b, u->value, strlen(u->value));
	else
		(void)buf_append_str(b, "null");
}

static void json_member_text(struct buf *b, const char *key, const struct vspc_field *f,
			     const char *s, size_t len)
{
	(void)buf_printf(b, ",\"%s\":", key);
	if (f->state == VSPC_FIELD_VALUE)
		json_append_string(b, s, len);
	else
		(void)buf_append_str(b, "null");
}

static void json_member_bool(struct buf *b, const char *key, const struct vspc_bool *v)
{
	(void)buf_printf(b, ",\"%s\":%s", key,
			 v->f.state != VSPC_FIELD_VALUE ? "null"
			 : v->value                     ? "true"
							: "false");
}

static void list_json_row(const struct fleet_walk *w, const struct vspc_replication_job *job,
			  const struct vspc_job_session *js)
{
	struct buf b;

	buf_init(&b, ROW_CAP);
	(void)buf_append_str(&b, "{\"instanceUid\":");
	if (job->instance_uid.f.state == VSPC_FIELD_VALUE)
		json_append_string(&b, job->instance_uid.value, strlen(job->instance_uid.value));
	else
		(void)buf_append_str(&b, "null");
	json_member_text(&b, "name", &js->name.f, js->name.value, js->name.len);
	json_member_text(&b, "status", &js->status_text.f, js->status_text.value,
			 js->status_text.len);
	json_member_text(&b, "lastEndTime", &js->last_end_time.f, js->last_end_time.text,
			 strlen(js->last_end_time.text));
	if (js->last_end_time.f.state == VSPC_FIELD_VALUE)
		(void)buf_printf(&b, ",\"ageSeconds\":%" PRId64, w->now - js->last_end_time.epoch);
	else
		(void)buf_append_str(&b, ",\"ageSeconds\":null");
	if (job->protected_vm_count.f.state == VSPC_FIELD_VALUE)
		(void)buf_printf(&b, ",\"protectedVmCount\":%d",
				 (int)job->protected_vm_count.value);
	else
		(void)buf_append_str(&b, ",\"protectedVmCount\":null");
	json_member_bool(&b, "throughWanAccelerators", &job->through_wan);
	json_member_bool(&b, "isCloudJob", &job->is_cloud_job);
	json_member_uid(&b, "backupServerUid", &js->backup_server_uid);
	json_member_uid(&b, "organizationUid", &js->organization_uid);
	(void)buf_append_str(&b, "}\n");
	fputs(buf_str(&b), stdout);
	buf_free(&b);
}

/* Called by the JSON stream for every element of a page's "data". */
static int on_item(void *ctx, const struct json_value *item)
{
	struct fleet_walk *w = ctx;
	struct vspc_replication_job job;
	struct vspc_job_session js;
	bool has_session;
	char err[160];

	w->page_items++;
	if (vspc_decode_collection_item(item, &job, &js, &has_session, err, sizeof err) !=
	    VSPC_OK) {
		if (w->mode == MODE_FLEET) {
			char where[64];

			snprintf(where, sizeof where, "element %zu of the page", w->page_items);
			count_job(w, STATE_UNKNOWN, where, err);
		}
		return 1;
	}
	if (!has_session) {
		if (w->mode == MODE_FLEET) {
			char subject[VSPC_NAME_MAX + 64];

			evaluate_subject(subject, sizeof subject, &w->rq->cfg->policy, &job, NULL);
			count_job(w, STATE_UNKNOWN, subject,
				  "no _embedded.backupServerJob (expand was not honoured)");
		}
		return 1;
	}
	if (!job_selected(&w->rq->cfg->filter, &js))
		return 1;
	if (w->mode == MODE_FLEET)
		check_one(w, &job, &js);
	else if (w->mode == MODE_LIST_JSON)
		list_json_row(w, &job, &js);
	else
		list_table_row(w, &job, &js);
	return 1;
}

static bool sink_write(void *ctx, const char *data, size_t len)
{
	struct fleet_walk *w = ctx;

	return json_stream_feed(w->stream, data, len, w->stream_error, sizeof w->stream_error) ==
	       JSON_OK;
}

/* Reads one page, streaming its jobs to on_item(). */
static bool read_page(struct fleet_walk *w, uint64_t offset, struct vspc_paging *paging)
{
	const struct config *cfg = w->rq->cfg;
	const struct http_sink sink = { sink_write, w };
	struct http_response resp = { 0 };
	struct json_doc *rest = NULL;
	char url[512];
	char what[64];
	char err[256];
	bool ok = false;

	snprintf(what, sizeof what, "page at offset %" PRIu64 ": ", offset);
	if (!vspc_collection_url(url, sizeof url, &cfg->conn.server,
				 cfg->filter.has_backup_server ? cfg->filter.backup_server : NULL,
				 PAGE_LIMIT, offset)) {
		result_fail(w->rq->res, STATE_UNKNOWN, "plugin fault: the URL does not fit");
		return false;
	}
	w->page_items = 0;
	w->stream = json_stream_new("data", on_item, w);
	if (w->stream == NULL) {
		result_fail(w->rq->res, STATE_UNKNOWN, "plugin fault: out of memory");
		return false;
	}
	if (request_get(w->rq, url, &sink, PAGE_BODY_CAP, what, &resp) != HTTP_OK) {
		if (resp.sink_aborted)
			result_fail(w->rq->res, STATE_UNKNOWN, "%sanswer is not valid JSON: %s",
				    what, w->stream_error);
		goto out;
	}
	w->seconds += resp.seconds;
	if (resp.status != 200) {
		char subject[80];

		/* a backup server that is gone is news; a missing collection is not */
		if (cfg->filter.has_backup_server) {
			snprintf(subject, sizeof subject, "backup server %s",
				 cfg->filter.backup_server);
			request_report_status(w->rq, &resp, subject, STATE_CRITICAL, what);
		} else {
			request_report_status(w->rq, &resp, "the replication job collection",
					      STATE_UNKNOWN, what);
		}
		goto out;
	}
	if (json_stream_finish(w->stream, &rest, err, sizeof err) != JSON_OK) {
		result_fail(w->rq->res, STATE_UNKNOWN, "%sanswer is not valid JSON: %s", what, err);
		goto out;
	}
	if (vspc_decode_page_rest(rest, paging, err, sizeof err) != VSPC_OK) {
		result_fail(w->rq->res, STATE_UNKNOWN, "%s%s", what, err);
		goto out;
	}
	ok = true;
out:
	json_free(rest);
	json_stream_free(w->stream);
	w->stream = NULL;
	http_response_free(&resp);
	return ok;
}

/* Walks every page; false (with the reason in the result) if any failed. */
static bool walk_pages(struct fleet_walk *w)
{
	uint64_t offset = 0;

	for (unsigned pages = 1;; pages++) {
		struct vspc_paging paging;

		if (!read_page(w, offset, &paging))
			return false;
		offset += w->page_items;
		if (paging.present && offset >= (uint64_t)paging.total)
			return true;
		if (!paging.present && w->page_items < PAGE_LIMIT)
			return true;
		if (w->page_items == 0) {
			result_fail(w->rq->res, STATE_UNKNOWN,
				    "paging stalled: the page at offset %" PRIu64
				    " has no jobs although the total is %" PRId64,
				    offset, paging.total);
			return false;
		}
		if (pages == MAX_PAGES) {
			result_fail(w->rq->res, STATE_UNKNOWN, "more than %d pages of jobs",
				    MAX_PAGES);
			return false;
		}
	}
}

static void walk_init(struct fleet_walk *w, const struct request_ctx *rq)
{
	memset(w, 0, sizeof *w);
	w->rq = rq;
	w->mode = rq->cfg->mode;
	w->now = (int64_t)time(NULL);
	buf_init(&w->job_perfdata, 1024u * 1024u);
}

static void fleet_summary(struct fleet_walk *w)
{
	const struct config *cfg = w->rq->cfg;
	struct result *res = w->rq->res;
	char min[32] = "";

	result_summary(res, "%lu jobs: %lu critical, %lu warning, %lu unknown, %lu ok", w->jobs,
		       w->by_state[STATE_CRITICAL], w->by_state[STATE_WARNING],
		       w->by_state[STATE_UNKNOWN], w->by_state[STATE_OK]);
	if (cfg->min_jobs_set) {
		snprintf(min, sizeof min, "%lu:", cfg->min_jobs);
		if (w->jobs < cfg->min_jobs) {
			result_raise(res, STATE_CRITICAL);
			result_summary(res, "fewer than --min-jobs %lu", cfg->min_jobs);
		}
	}
	const struct {
		const char *label;
		int64_t value;
		const char *crit;
	} counters[] = {
		{ "jobs", (int64_t)w->jobs, min },
		{ "jobs_ok", (int64_t)w->by_state[STATE_OK], NULL },
		{ "jobs_warning", (int64_t)w->by_state[STATE_WARNING], NULL },
		{ "jobs_critical", (int64_t)w->by_state[STATE_CRITICAL], NULL },
		{ "jobs_unknown", (int64_t)w->by_state[STATE_UNKNOWN], NULL },
		{ "protected_vms_total", w->vms_total, NULL },
	};

	for (size_t i = 0; i < sizeof counters / sizeof counters[0]; i++)
		result_perf(res, &(struct perfdata){ .label = counters[i].label,
						     .exact = true,
						     .ivalue = counters[i].value,
						     .uom = "",
						     .crit = counters[i].crit,
						     .min = "0" });
}

void mode_fleet(const struct request_ctx *rq)
{
	struct fleet_walk w;

	walk_init(&w, rq);
	if (walk_pages(&w))
		fleet_summary(&w);
	result_perf(
	    rq->res,
	    &(struct perfdata){
		.label = "time", .value = w.seconds, .decimals = 6, .uom = "s", .min = "0" });
	result_perf_raw(rq->res, buf_str(&w.job_perfdata));
	buf_free(&w.job_perfdata);
}

void mode_list(const struct request_ctx *rq)
{
	struct fleet_walk w;

	walk_init(&w, rq);
	if (w.mode == MODE_LIST_TABLE)
		printf("%-36s  %-30s  %-17s  %-33s  %8s  %5s  %-3s  %-5s\n", "UID", "NAME",
		       "STATUS", "LAST END", "AGE", "VMS", "WAN", "CLOUD");
	walk_pages(&w);
	fflush(stdout);
	buf_free(&w.job_perfdata);
}
