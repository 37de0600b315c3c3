/* libFuzzer targets for the job snapshot (lib/snapshot.h): one binary per
 * FUZZ_TARGET (set with -D when building, see build.sh).
 *
 *   9  fuzz_snapshot  the input is the snapshot file itself: whatever the
 *                     disk holds, opening, reading, finding and walking it
 *                     never crash and never hand out a job that is not one
 *   10 fuzz_element   the input is one element of a page: what the
 *                     snapshot stores (json_write) decodes exactly as the
 *                     element did */
#include "autoconfig.h"

#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "json.h"
#include "kinds.h"
#include "snapshot.h"
#include "walk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#ifndef FUZZ_TARGET
#error "build with -DFUZZ_TARGET=9 or 10 (see build.sh)"
#elif FUZZ_TARGET == 9 /* fuzz_snapshot */

static char dir[64];
static char path[PATH_MAX];

/* The scratch directory goes when the process ends. */
static void remove_scratch(void)
{
	static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };
	char file[PATH_MAX + 16];

	for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
		snprintf(file, sizeof file, "%s%s", path, suffixes[i]);
		unlink(file);
	}
	snprintf(file, sizeof file, "%s", path);
	memcpy(file + strlen(file) - 3, ".lock", 6);
	unlink(file);
	rmdir(dir);
}

static bool count_item(void *ctx, const struct walk_item *it)
{
	size_t *n = ctx;

	/* an item is a job, or says why it is not one */
	if ((it->job == NULL) == (it->problem == NULL))
		abort();
	++*n;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct snapshot_key key = {
		.host = "vspc.example.com", .port = 1280, .token = "fuzz", .token_len = 4
	};
	char note[PATH_MAX + 256];
	struct snapshot *sn;
	struct snapshot_info info;
	struct snapshot_item it;
	size_t n = 0;
	int fd;

	if (dir[0] == '\0') {
		snprintf(dir, sizeof dir, "/tmp/fuzz_snapshot.XXXXXX");
		if (mkdtemp(dir) == NULL)
			abort();
		sn = snapshot_open(dir, &key, INT64_MAX / 2, note, sizeof note);
		if (sn == NULL)
			abort(); /* a new private directory of ours: always usable */
		snprintf(path, sizeof path, "%s", snapshot_path(sn));
		snapshot_close(sn);
		atexit(remove_scratch);
	}
	for (size_t i = 0; i < 3; i++) {
		static const char *const side_files[] = { "-wal", "-shm", "-journal" };
		char side[PATH_MAX + 16];

		snprintf(side, sizeof side, "%s%s", path, side_files[i]);
		unlink(side);
	}
	fd = open(path, O_WRONLY | O_TRUNC);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);

	sn = snapshot_open(dir, &key, INT64_MAX / 2, note, sizeof note);
	if (sn && snapshot_read_begin(sn, &info, note, sizeof note)) {
		if (snapshot_find(sn, "bc04d2e5-dd4c-4f85-af0e-424106a32a75", &it, note,
				  sizeof note) == SNAPSHOT_FOUND) {
			if (it.item.job == NULL)
				abort(); /* found by a UID: must be a job */
			snapshot_item_free(&it);
		}
		(void)snapshot_each(sn, (1u << VSPC_KIND_COUNT) - 1, count_item, &n, note,
				    sizeof note);
		snapshot_read_end(sn);
	}
	snapshot_close(sn);
	return 0;
}

#elif FUZZ_TARGET == 10 /* fuzz_element */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct walk_item_store a, b;
	struct json_doc *first = NULL;
	struct json_doc *again = NULL;
	struct walk_item ia, ib;
	struct buf text;
	char err[160];

	if (json_parse((const char *)data, size, &first, err, sizeof err) != JSON_OK)
		return 0;
	buf_init(&text, 64u << 20);
	if (json_write(json_root(first), &text) != BUF_OK ||
	    json_parse(text.data ? text.data : "", text.len, &again, err, sizeof err) != JSON_OK)
		abort(); /* what was parsed must write and parse back */
	for (size_t k = 0; k < VSPC_KIND_COUNT; k++) {
		memset(&a, 0, sizeof a);
		memset(&b, 0, sizeof b);
		walk_item_make(job_kinds[k], json_root(first), 1, &a, &ia);
		walk_item_make(job_kinds[k], json_root(again), 1, &b, &ib);
		if ((ia.job == NULL) != (ib.job == NULL) ||
		    (ia.session == NULL) != (ib.session == NULL) ||
		    memcmp(&a.job, &b.job, sizeof a.job) != 0 ||
		    memcmp(&a.session, &b.session, sizeof a.session) != 0 ||
		    strcmp(a.problem, b.problem) != 0)
			abort(); /* the stored element decodes otherwise */
	}
	json_free(first);
	json_free(again);
	buf_free(&text);
	return 0;
}

#endif
