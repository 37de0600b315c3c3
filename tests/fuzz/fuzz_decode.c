/* libFuzzer targets for everything that reads server answers: one binary
 * per FUZZ_TARGET (set with -D when building, see build.sh). */
#include "autoconfig.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "vspc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#if FUZZ_TARGET == 1 /* fuzz_job: GET .../replicationVmJobs/{uid} */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vspc_replication_job job;
	char err[256];

	vspc_decode_replication_job((const char *)data, size, &job, err, sizeof err);
	return 0;
}
#elif FUZZ_TARGET == 2 /* fuzz_session: GET .../jobs/{uid} */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vspc_job_session js;
	struct vspc_error_info info;
	char err[256];

	vspc_decode_job_session((const char *)data, size, &js, err, sizeof err);
	vspc_decode_errors((const char *)data, size, &info);
	return 0;
}
#elif FUZZ_TARGET == 3 /* fuzz_page: a collection page, streamed in pieces */
static int on_item(void *ctx, const struct json_value *item)
{
	struct vspc_replication_job job;
	struct vspc_job_session js;
	bool has;
	char err[160];

	(void)ctx;
	vspc_decode_collection_item(item, &job, &js, &has, err, sizeof err);
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_stream *st = json_stream_new("data", on_item, NULL);
	struct json_doc *rest = NULL;
	struct vspc_paging paging;
	char err[256];
	size_t chunk = size ? (data[0] % 61) + 1 : 1;
	enum json_error rc = JSON_OK;

	for (size_t off = 0; off < size && rc == JSON_OK; off += chunk)
		rc = json_stream_feed(st, (const char *)data + off,
				      size - off < chunk ? size - off : chunk, err, sizeof err);
	if (rc == JSON_OK && json_stream_finish(st, &rest, err, sizeof err) == JSON_OK)
		vspc_decode_page_rest(rest, &paging, err, sizeof err);
	json_free(rest);
	json_stream_free(st);
	return 0;
}
#elif FUZZ_TARGET == 4 /* fuzz_oauth: POST /api/v3/token answers */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vspc_oauth o;
	struct vspc_error_info info;
	char err[256];

	vspc_decode_oauth((const char *)data, size, &o, err, sizeof err);
	vspc_oauth_wipe(&o);
	/* a token answer that is no token is reported through the error reader */
	vspc_decode_errors((const char *)data, size, &info);
	return 0;
}
#else
#error "FUZZ_TARGET must be 1 to 4"
#endif
