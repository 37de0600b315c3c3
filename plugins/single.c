#include "autoconfig.h"

#include <stdio.h>
#include <time.h>

#include "evaluate.h"
#include "modes.h"
#include "vspc.h"

/* GETs @url into @resp and checks it is a 200; on failure the result says
 * why and false is returned. @seconds accumulates the request time. */
static bool fetch_ok(const struct request_ctx *rq, const char *url, const char *subject,
		     const char *what, struct http_response *resp, double *seconds)
{
	if (request_get(rq, url, NULL, VSPC_JOB_BODY_CAP, what, resp) != HTTP_OK)
		return false;
	*seconds += resp->seconds;
	if (resp->status == 200)
		return true;
	request_report_status(rq, resp, subject, STATE_CRITICAL, what);
	return false;
}

static void decode_failed(const struct request_ctx *rq, const char *what,
			  const struct http_response *resp, const char *err)
{
	result_fail(rq->res, STATE_UNKNOWN, "%sjob %s: %s (HTTP 200, Content-Type %s)", what,
		    rq->cfg->policy.job_uid, err,
		    resp->content_type[0] ? resp->content_type : "none");
}

void mode_single(const struct request_ctx *rq)
{
	const struct config *cfg = rq->cfg;
	const char *uid = cfg->policy.job_uid;
	struct http_response resp = { 0 };
	struct vspc_replication_job job;
	struct vspc_job_session session;
	char url[512];
	char subject[80];
	char err[256];
	double seconds = 0;
	bool measured;
	bool ok;

	snprintf(subject, sizeof subject, "replication job %s", uid);
	if (!vspc_replication_job_url(url, sizeof url, &cfg->conn.server, uid)) {
		result_fail(rq->res, STATE_UNKNOWN, "plugin fault: the URL does not fit");
		return;
	}
	ok = fetch_ok(rq, url, subject, "", &resp, &seconds);
	measured = resp.status != 0; /* an answer came, even an error */
	if (!ok)
		goto out;
	if (vspc_decode_replication_job(buf_str(&resp.body), resp.body.len, &job, err,
					sizeof err) != VSPC_OK) {
		decode_failed(rq, "", &resp, err);
		goto out;
	}
	if (!cfg->job_status) {
		evaluate_job(&cfg->policy, &job, NULL, (int64_t)time(NULL), rq->res);
		goto out;
	}

	http_response_free(&resp);
	snprintf(subject, sizeof subject, "job %s", uid);
	vspc_job_url(url, sizeof url, &cfg->conn.server, uid);
	if (!fetch_ok(rq, url, subject, "job session: ", &resp, &seconds))
		goto out;
	if (vspc_decode_job_session(buf_str(&resp.body), resp.body.len, &session, err,
				    sizeof err) != VSPC_OK) {
		decode_failed(rq, "job session: ", &resp, err);
		goto out;
	}
	evaluate_job(&cfg->policy, &job, &session, (int64_t)time(NULL), rq->res);
out:
	if (measured)
		result_perf(
		    rq->res,
		    &(struct perfdata){
			.label = "time", .value = seconds, .decimals = 6, .uom = "s", .min = "0" });
	http_response_free(&resp);
}
