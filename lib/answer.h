/* A 200 answer about one job, parsed as it arrives rather than kept whole
 * and parsed afterwards: with the trim of job answers (lib/fields.h) the
 * memory a check takes follows what it reads (a few fields), not what
 * VSPC sends (up to the 8 MiB cap: thousands of session tasks, a huge
 * failure message). Errors are those of the whole-text decoders, word for
 * word. */
#ifndef VSPC_ANSWER_H
#define VSPC_ANSWER_H

#include <stdbool.h>

#include "http.h"
#include "json.h"
#include "model.h"

struct answer {
	struct json_stream *stream;
	bool failed; /* the text is not JSON: why is in the stream */
	char why[160];
	struct http_sink sink; /* give this to the request */
};

/* Prepares @a; false when out of memory. */
bool answer_start(struct answer *a);

/* After a 200 answer: its document in *@doc (the caller frees it), or an
 * error (VSPC_ERR_JSON, VSPC_ERR_NOMEM) with the reason in @err. */
enum vspc_error answer_finish(struct answer *a, struct json_doc **doc, char *err, size_t errlen);

/* Releases @a; accepts one that was never started. */
void answer_free(struct answer *a);

/* vspc_decode_job_session() of a parsed answer. */
enum vspc_error answer_decode_session(const struct json_doc *doc, struct vspc_job_session *session,
				      char *err, size_t errlen);

#endif
