/* libFuzzer targets for everything that reads server answers: one binary
 * per FUZZ_TARGET (set with -D when building, see build.sh). */
#include "autoconfig.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "evaluate.h"
#include "kinds.h"
#include "vspc.h"
#include "walk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* build.sh picks the target with -DFUZZ_TARGET=n; without it, say so
 * rather than let the tests below read an unset macro as 0 (-Wundef) */
#ifndef FUZZ_TARGET
#error "build with -DFUZZ_TARGET=n, n from 1 to 4 (see build.sh)"
#elif FUZZ_TARGET ==                                                                               \
    1 /* fuzz_job: GET .../replicationVmJobs/{uid} and .../cdpReplicationJobs/{uid} */
static struct threshold range_of(const char *text)
{
	struct threshold t = { .set = true, .text = text };

	range_parse(text, &t.range);
	return t;
}

/* Every rule of each kind on, so that evaluation reads every field. */
static void all_rules(struct check_policy *p)
{
	policy_init(p);
	p->vm.critical = range_of("1:");
	p->vm.wan = EXPECT_TRUE;
	p->vm.source_wan.set = p->vm.source_wan.none = true;
	p->cdp.sla_critical = range_of("90:");
	p->cdp.errors_warning = range_of("0");
	p->cdp.max_delay_warning = (struct duration_limit){ 60, "1m" };
	p->cdp.rpo = (struct duration_limit){ 15, "15s" };
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vspc_job job;
	struct check_policy p;
	char err[256];

	all_rules(&p);
	for (size_t k = 0; k < VSPC_KIND_COUNT; k++) {
		struct result res;

		if (kind_decode_answer(job_kinds[k], (const char *)data, size, &job, err,
				       sizeof err) != VSPC_OK)
			continue;
		result_init(&res, 3);
		evaluate_job(&p, NULL, &job, NULL, 1700000000, &res);
		result_free(&res);
	}
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
#elif FUZZ_TARGET == 3 /* fuzz_page: the walker over one page, in pieces; odd sizes are CDP pages */
struct input {
	const uint8_t *data;
	size_t size;
};

static enum walk_fetch_rc fetch(void *ctx, enum vspc_kind kind, uint64_t offset, const char *url,
				const struct http_sink *sink, const char *what)
{
	const struct input *in = ctx;
	size_t chunk = in->size ? (in->data[0] % 61) + 1 : 1;

	(void)kind;
	(void)url;
	(void)what;
	if (offset > 0)
		return WALK_FETCH_FAILED; /* one page is enough */
	for (size_t off = 0; off < in->size; off += chunk)
		if (!sink->write(sink->ctx, (const char *)in->data + off,
				 in->size - off < chunk ? in->size - off : chunk))
			return WALK_FETCH_ABORTED;
	return WALK_FETCH_OK;
}

static bool on_item(void *ctx, const struct walk_item *item)
{
	(void)ctx;
	return item->index < 100000;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct vspc_server srv = { "vspc", 1280, false };
	struct input in = { data, size };
	const struct walk_spec spec = { .server = &srv,
					.kinds = size % 2 ? 2u : 1u,
					.limit = 500,
					.fetch = fetch,
					.fetch_ctx = &in,
					.item = on_item };
	struct walk_stats stats;
	char err[512];

	walk_run(&spec, &stats, err, sizeof err);
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
