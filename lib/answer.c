#include "autoconfig.h"

#include "answer.h"

#include <string.h>

#include "envelope.h"
#include "fields.h"

static bool answer_write(void *ctx, const char *data, size_t len)
{
	struct answer *a = ctx;

	if (!a->failed && json_stream_feed(a->stream, data, len, a->why, sizeof a->why) != JSON_OK)
		a->failed = true;
	/* read on: like a buffered answer, it is judged once it is all in */
	return true;
}

bool answer_start(struct answer *a)
{
	memset(a, 0, sizeof *a);
	a->stream = json_stream_new(NULL, NULL, NULL);
	if (a->stream == NULL)
		return false;
	json_stream_trim(a->stream, &field_job_trim);
	a->sink.write = answer_write;
	a->sink.ctx = a;
	return true;
}

enum vspc_error answer_finish(struct answer *a, struct json_doc **doc, char *err, size_t errlen)
{
	enum json_error jrc = JSON_ERR_SYNTAX;

	*doc = NULL;
	if (!a->failed)
		jrc = json_stream_finish(a->stream, doc, a->why, sizeof a->why);
	else
		jrc = json_stream_feed(a->stream, "", 0, a->why, sizeof a->why);
	if (jrc == JSON_OK)
		return VSPC_OK;
	return vspc_json_failed(jrc, a->why, err, errlen);
}

void answer_free(struct answer *a)
{
	json_stream_free(a->stream);
	a->stream = NULL;
}

static void fill_session(const struct json_value *data, void *out)
{
	field_backup_server_job(data, out);
}

enum vspc_error answer_decode_session(const struct json_doc *doc, struct vspc_job_session *session,
				      char *err, size_t errlen)
{
	memset(session, 0, sizeof *session);
	return envelope_decode_doc(doc, fill_session, session, err, errlen);
}
