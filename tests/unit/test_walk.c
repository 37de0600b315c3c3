/* The collection walker against pages served from memory, the UID set and
 * the tally: every defense of the walk, and what a good walk hands out. */
#include "autoconfig.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "tally.h"
#include "tap.h"
#include "uidset.h"
#include "walk.h"

#define MAX_PAGES 8

/* A fake server: pages[i] is the body of the i-th request of each kind. */
struct fake {
	const char *vm_pages[MAX_PAGES];
	const char *cdp_pages[MAX_PAGES];
	int vm_next, cdp_next;
	bool cdp_missing;
	char urls[MAX_PAGES * 2][768];
	int nurls;
	/* what the consumer saw */
	int items, vm_items, cdp_items, no_session, bad_items;
	char first_uid[40];
};

static enum walk_fetch_rc fake_fetch(void *ctx, enum vspc_kind kind, uint64_t offset,
				     const char *url, const struct http_sink *sink,
				     const char *what)
{
	struct fake *f = ctx;
	const char *body;
	size_t len;

	(void)offset;
	(void)what;
	if (f->nurls < MAX_PAGES * 2)
		snprintf(f->urls[f->nurls++], sizeof f->urls[0], "%s", url);
	if (kind == VSPC_KIND_CDP && f->cdp_missing)
		return WALK_FETCH_NO_KIND;
	body = kind == VSPC_KIND_VM ? f->vm_pages[f->vm_next++] : f->cdp_pages[f->cdp_next++];
	if (body == NULL)
		return WALK_FETCH_FAILED;
	len = strlen(body);
	/* in two pieces, as a network would */
	if (!sink->write(sink->ctx, body, len / 2) ||
	    !sink->write(sink->ctx, body + len / 2, len - len / 2))
		return WALK_FETCH_ABORTED;
	return WALK_FETCH_OK;
}

static bool fake_item(void *ctx, const struct walk_item *it)
{
	struct fake *f = ctx;

	f->items++;
	if (it->job == NULL) {
		f->bad_items++;
		return true;
	}
	if (it->job->kind == VSPC_KIND_VM)
		f->vm_items++;
	else
		f->cdp_items++;
	if (it->session == NULL)
		f->no_session++;
	if (f->items == 1)
		snprintf(f->first_uid, sizeof f->first_uid, "%s", it->job->ids.instance_uid.value);
	return true;
}

static enum walk_error walk(struct fake *f, unsigned kinds, unsigned limit, char *err,
			    size_t errlen)
{
	static const struct vspc_server srv = { "vspc", 1280, false };
	const struct walk_spec spec = { .server = &srv,
					.kinds = kinds,
					.limit = limit,
					.fetch = fake_fetch,
					.fetch_ctx = f,
					.item = fake_item,
					.item_ctx = f };
	struct walk_stats stats;

	err[0] = '\0';
	return walk_run(&spec, &stats, err, errlen);
}

/* A page of @n jobs with UIDs from @first, and pagingInfo (or none). */
static char *page(unsigned first, unsigned n, long total, long offset, bool skip)
{
	struct buf b;
	char *out;

	buf_init(&b, 1u << 20);
	(void)buf_append_str(&b, "{\"data\": [");
	for (unsigned i = 0; i < n; i++)
		(void)buf_printf(&b,
				 "%s{\"instanceUid\": \"00000000-0000-4000-8000-%012u\", "
				 "\"protectedVmCount\": 2, \"rpo\": 15, \"rpoUnit\": \"Seconds\", "
				 "\"_embedded\": {\"backupServerJob\": {\"name\": \"J%u\", "
				 "\"status\": \"Success\"}}}",
				 i ? ", " : "", first + i, first + i);
	(void)buf_append_str(&b, "]");
	if (total >= 0)
		(void)buf_printf(&b,
				 ", \"meta\": {\"pagingInfo\": {\"total\": %ld, \"count\": %u, "
				 "\"%s\": %ld}}",
				 total, n, skip ? "skip" : "offset", offset);
	(void)buf_append_str(&b, "}");
	out = strdup(buf_str(&b));
	buf_free(&b);
	return out;
}

static void test_good_walks(void)
{
	struct fake f = { 0 };
	char err[512];
	char *p[6];

	p[0] = page(0, 3, 7, 0, false);
	p[1] = page(3, 3, 7, 3, true);
	p[2] = page(6, 1, 7, 6, false);
	f.vm_pages[0] = p[0];
	f.vm_pages[1] = p[1];
	f.vm_pages[2] = p[2];
	p[3] = page(100, 2, 2, 0, false);
	f.cdp_pages[0] = p[3];
	tap_ok(walk(&f, 3, 3, err, sizeof err) == WALK_OK && f.vm_items == 7 && f.cdp_items == 2 &&
		   f.no_session == 0,
	       "both kinds walk to their totals (%s)", err);
	tap_ok(f.nurls == 4 &&
		   strstr(f.urls[0], "/jobs/replicationVmJobs?expand=BackupServerJob") &&
		   strstr(f.urls[0], "sort=%5B%7B%22property%22%3A%22instanceUid%22") &&
		   strstr(f.urls[1], "&limit=3&offset=3") && strstr(f.urls[2], "&offset=6") &&
		   strstr(f.urls[3], "/jobs/cdpReplicationJobs?expand="),
	       "pages are asked for sorted, at the right offsets, VM jobs first");

	memset(&f, 0, sizeof f);
	p[4] = page(0, 3, -1, 0, false);
	p[5] = page(3, 1, -1, 0, false);
	f.vm_pages[0] = p[4];
	f.vm_pages[1] = p[5];
	tap_ok(walk(&f, 1, 3, err, sizeof err) == WALK_OK && f.vm_items == 4 && f.nurls == 2,
	       "without pagingInfo a short page ends the walk (%s)", err);

	memset(&f, 0, sizeof f);
	f.cdp_missing = true;
	f.vm_pages[0] = p[3];
	tap_ok(walk(&f, 3, 3, err, sizeof err) == WALK_OK && f.vm_items == 2 && f.cdp_items == 0,
	       "a kind the server lacks is skipped when the fetch says so");
	for (int i = 0; i < 6; i++)
		free(p[i]);
}

static void test_cdp_page_is_named(void)
{
	struct fake f = { 0 };
	char err[512];
	char *vm = page(0, 1, 1, 0, false);
	char *cdp = page(100, 2, 5, 7, false); /* echoes offset 7 for 0 */

	f.vm_pages[0] = vm;
	f.cdp_pages[0] = cdp;
	tap_ok(walk(&f, 3, 3, err, sizeof err) != WALK_OK &&
		   strncmp(err, "CDP policies, page at offset 0: ", 32) == 0,
	       "a CDP page that fails is named in the plural (%s)", err);
	free(vm);
	free(cdp);
}

static void test_defenses(void)
{
	static const struct {
		const char *name;
		unsigned first[2], n[2];
		long total[2], offset[2];
		const char *says;
	} cases[] = {
		{ "offset ignored: the first page again",
		  { 0, 0 },
		  { 3, 3 },
		  { 6, 6 },
		  { 0, 0 },
		  "ignored the offset" },
		{ "a repeated job",
		  { 0, 2 },
		  { 3, 3 },
		  { 6, 6 },
		  { 0, 3 },
		  "already on an earlier page" },
		{ "a short page before the total",
		  { 0, 3 },
		  { 3, 2 },
		  { 9, 9 },
		  { 0, 3 },
		  "short of the limit" },
		{ "the total changes",
		  { 0, 3 },
		  { 3, 3 },
		  { 6, 7 },
		  { 0, 3 },
		  "total changed from 6 to 7" },
		{ "more jobs than the total",
		  { 0, 3 },
		  { 3, 3 },
		  { 5, 5 },
		  { 0, 3 },
		  "more than the total" },
		{ "an empty page before the total",
		  { 0, 3 },
		  { 3, 0 },
		  { 6, 6 },
		  { 0, 3 },
		  "paging stalled" },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct fake f = { 0 };
		char err[512];
		char *a = page(cases[i].first[0], cases[i].n[0], cases[i].total[0],
			       cases[i].offset[0], false);
		char *b = page(cases[i].first[1], cases[i].n[1], cases[i].total[1],
			       cases[i].offset[1], false);
		enum walk_error rc;

		f.vm_pages[0] = a;
		f.vm_pages[1] = b;
		rc = walk(&f, 1, 3, err, sizeof err);
		tap_ok(rc == WALK_ERR_PAGING && strstr(err, cases[i].says) != NULL &&
			   strstr(err, "offset 3") != NULL,
		       "%s: the walk stops naming the offset (%s)", cases[i].name, err);
		free(a);
		free(b);
	}
}

static void test_bad_pages(void)
{
	struct fake f = { 0 };
	char err[512];

	f.vm_pages[0] =
	    "{\"data\": [42, {\"instanceUid\": \"00000000-0000-4000-8000-000000000001\"}],"
	    " \"meta\": {\"pagingInfo\": {\"total\": 2}}}";
	tap_ok(walk(&f, 1, 3, err, sizeof err) == WALK_OK && f.bad_items == 1 && f.vm_items == 1 &&
		   f.no_session == 1,
	       "a non-object and a job without its BackupServerJob are handed out as such");
	memset(&f, 0, sizeof f);
	f.vm_pages[0] = "{\"data\": [{\"instanceUid\": ";
	tap_ok(walk(&f, 1, 3, err, sizeof err) == WALK_ERR_ANSWER && strstr(err, "not valid JSON"),
	       "a page cut short is a bad answer (%s)", err);
	memset(&f, 0, sizeof f);
	f.vm_pages[0] = "{\"data\": {}}";
	tap_ok(walk(&f, 1, 3, err, sizeof err) == WALK_ERR_ANSWER && strstr(err, "array"),
	       "data that is no array is a bad answer (%s)", err);
	memset(&f, 0, sizeof f);
	tap_ok(walk(&f, 1, 3, err, sizeof err) == WALK_ERR_FETCH,
	       "a failed fetch is the fetch function's to report");
}

static void test_uidset(void)
{
	struct uidset s;
	char uid[40];
	bool ok = true;

	uidset_init(&s);
	for (unsigned i = 0; i < 20000 && ok; i++) {
		snprintf(uid, sizeof uid, "%08x-0000-4000-8000-%012u", i * 2654435761u, i);
		ok = uidset_add(&s, uid) == UIDSET_ADDED;
	}
	tap_ok(ok && s.count == 20000, "20,000 UIDs go in");
	snprintf(uid, sizeof uid, "%08x-0000-4000-8000-%012u", 7 * 2654435761u, 7);
	tap_ok(uidset_add(&s, uid) == UIDSET_PRESENT &&
		   uidset_add(&s, "00000000-0000-4000-8000-00000000000A") == UIDSET_ADDED &&
		   uidset_add(&s, "00000000-0000-4000-8000-00000000000a") == UIDSET_PRESENT,
	       "a UID seen before is found, whatever its case");
	tap_ok(uidset_add(&s, "00000000-0000-0000-0000-000000000000") == UIDSET_ADDED &&
		   uidset_add(&s, "00000000-0000-0000-0000-000000000000") == UIDSET_PRESENT,
	       "the all-zero UUID too");
	tap_ok(uidset_add(&s, "not a uid") == UIDSET_BAD, "a non-UUID is refused");
	uidset_free(&s);
	tap_ok(s.count == 0 && s.slots == NULL, "freeing empties the set");
}

static void test_tally(void)
{
	struct tally t;
	struct vspc_job vm = { .kind = VSPC_KIND_VM };
	struct result res;

	vm.vm.protected_vm_count.f.state = VSPC_FIELD_VALUE;
	vm.vm.protected_vm_count.value = 4;
	tally_init(&t);
	tally_add(&t, VSPC_KIND_VM, STATE_OK, &vm);
	tally_add(&t, VSPC_KIND_VM, STATE_WARNING, &vm);
	tally_add(&t, VSPC_KIND_CDP, STATE_CRITICAL, NULL);
	tally_add(&t, VSPC_KIND_VM, STATE_UNKNOWN, NULL);
	tap_ok(t.jobs == 4 && t.by_state[STATE_OK] == 1 && t.by_state[STATE_CRITICAL] == 1 &&
		   t.by_kind[VSPC_KIND_VM] == 3 && t.vms_total == 8,
	       "counts per state and kind, VMs of the VM jobs");
	tap_ok(tally_state(&t, false, 0) == STATE_CRITICAL, "the worst job wins (CRITICAL)");
	result_init(&res, 0);
	tally_report(&t, true, 5, &res);
	tap_ok(
	    res.state == STATE_CRITICAL &&
		strcmp(buf_str(&res.summary),
		       "4 jobs: 1 critical, 1 warning, 1 unknown, 1 ok, fewer than --min-jobs 5") ==
		    0,
	    "the summary ('%s')", buf_str(&res.summary));
	tap_ok(strstr(buf_str(&res.perfdata), "jobs=4;;5:;0;") &&
		   strstr(buf_str(&res.perfdata), "protected_vms_total=8;;;0;"),
	       "the perfdata ('%s')", buf_str(&res.perfdata));
	result_free(&res);
	tally_init(&t);
	tap_ok(tally_state(&t, false, 0) == STATE_OK && tally_state(&t, true, 1) == STATE_CRITICAL,
	       "no jobs: OK, unless --min-jobs asks for some");
}

int main(void)
{
	test_good_walks();
	test_cdp_page_is_named();
	test_defenses();
	test_bad_pages();
	test_uidset();
	test_tally();
	return tap_done();
}
