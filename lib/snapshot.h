/* The job snapshot: one SQLite database per server, port and identity in
 * the private cache directory (lib/privdir.h), holding the last complete
 * walk of every job collection (each element as VSPC sent it) or the last
 * refresh that failed, shared by every check of that identity.
 *
 * Readers never block each other or the writer (WAL); a refresh is one
 * transaction, so a reader sees the old walk or the new one, never a mix.
 * A file of another schema or application, or one SQLite calls corrupt, is
 * discarded and rebuilt by the next refresh; a file or directory that
 * fails the ownership checks (another owner, a symlink, group or other
 * permissions) is not opened at all. Who refreshes is decided by a lock
 * file beside the database: one run walks while the others wait.
 *
 * The schema (SNAPSHOT_SCHEMA_VERSION, PRAGMA user_version; PRAGMA
 * application_id is SNAPSHOT_APPLICATION_ID) is documented in the README
 * for anyone inspecting a file with the sqlite3 shell. */
#ifndef VSPC_SNAPSHOT_H
#define VSPC_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "state.h"
#include "walk.h"

#define SNAPSHOT_SCHEMA_VERSION 1
#define SNAPSHOT_APPLICATION_ID 0x56535043 /* "VSPC" */
#define SNAPSHOT_MESSAGE_MAX    1024

/* Whose snapshot: everything that changes what the walk would see. */
struct snapshot_key {
	const char *host;
	unsigned port;
	bool plain_http;
	const char *api_version; /* --api-version, or NULL (negotiated) */
	const char *user;        /* a login's user name, or NULL... */
	const char *token;       /* ...then the token or API key: only hashed */
	size_t token_len;
};

/* What a snapshot file holds besides its jobs. */
struct snapshot_info {
	bool present;     /* a complete walk is stored */
	int64_t taken_at; /* when it ended, seconds since 1970 */
	uint64_t jobs[VSPC_KIND_COUNT];
	unsigned skipped; /* bit (1 << kind): VSPC had no such collection */
	char api_version[32];
	bool failed; /* the last refresh failed */
	int64_t failed_at;
	int64_t retry_at; /* no refresh is tried before */
	enum state failed_state;
	char failed_message[SNAPSHOT_MESSAGE_MAX];
};

struct snapshot;

/* Opens (creating it if need be) the snapshot of @key in the cache
 * directory @dir (NULL: the default); SQLite waits for its own locks until
 * @deadline_ms at most. NULL, with the reason in @note, when no trusted
 * file can be used: the caller asks VSPC instead. */
struct snapshot *snapshot_open(const char *dir, const struct snapshot_key *key, int64_t deadline_ms,
			       char *note, size_t notelen);

/* Closes it, rolling back a refresh that was not committed. Accepts NULL. */
void snapshot_close(struct snapshot *sn);

/* The database file, for messages. */
const char *snapshot_path(const struct snapshot *sn);

/* Reading: begin a read transaction (everything read until
 * snapshot_read_end() comes from one committed state) and read the info.
 * False with a note when the file cannot be read (then it needs
 * snapshot_refresh_begin(), which rebuilds it). */
bool snapshot_read_begin(struct snapshot *sn, struct snapshot_info *info, char *note,
			 size_t notelen);
void snapshot_read_end(struct snapshot *sn);

enum snapshot_find {
	SNAPSHOT_FOUND = 0,
	SNAPSHOT_ABSENT,    /* no job of the snapshot has this UID */
	SNAPSHOT_AMBIGUOUS, /* more than one has */
	SNAPSHOT_BROKEN     /* the file could not be read (note) */
};

/* What a stored element gives back. */
struct snapshot_item {
	enum vspc_kind kind;
	struct walk_item item; /* points into store and the element */
	struct walk_item_store store;
	struct json_doc *doc;
};

/* Finds the job one of whose UIDs (instanceUid, uniqueUid, originalUid, or
 * those of its BackupServerJob) is @uid. On SNAPSHOT_FOUND @out holds it
 * until snapshot_item_free(). */
enum snapshot_find snapshot_find(struct snapshot *sn, const char *uid, struct snapshot_item *out,
				 char *note, size_t notelen);
void snapshot_item_free(struct snapshot_item *it);

/* Hands every stored job of the kinds in @kinds (bit 1 << kind) to @fn,
 * in the order of the walk. False with a note when the file could not be
 * read (then nothing more is handed out). */
bool snapshot_each(struct snapshot *sn, unsigned kinds, walk_item_fn fn, void *ctx, char *note,
		   size_t notelen);

/* How many stored jobs belong to the backup server @uid, and how many to
 * none that is known (no BackupServerJob, or no backupServerUid in it). */
bool snapshot_count_server(struct snapshot *sn, const char *uid, uint64_t *matching,
			   uint64_t *unknown, char *note, size_t notelen);

/* Marks the stored walk as too old for anyone (a row that could not be
 * read): the next run refreshes it. Ends the read transaction. */
void snapshot_invalidate(struct snapshot *sn);

/* Opens the file again: after a wait for the lock, another run may have
 * rebuilt it. False with a note when it is no longer usable. */
bool snapshot_reopen(struct snapshot *sn, char *note, size_t notelen);

/* Refreshing: take the lock file (waiting until @deadline_ms at most; *@busy
 * tells a wait that ran out from an error). */
bool snapshot_lock(struct snapshot *sn, int64_t deadline_ms, bool *busy, char *note,
		   size_t notelen);
void snapshot_unlock(struct snapshot *sn);

/* Under the lock: reopens the file (another run may have rebuilt it),
 * rebuilding it when it is foreign, old or corrupt, and starts the write
 * transaction that replaces the jobs. */
bool snapshot_refresh_begin(struct snapshot *sn, char *note, size_t notelen);

/* Stores one element of the walk. */
bool snapshot_refresh_add(struct snapshot *sn, enum vspc_kind kind, const struct walk_item *item,
			  char *note, size_t notelen);

/* Ends the refresh: commits the walk with @info's taken_at, jobs, skipped
 * and api_version and clears a stored failure. Then removes the other
 * snapshots of the directory that nothing has written for two days (an
 * identity that is gone: no --snapshot-max-age is longer than a day). */
bool snapshot_refresh_commit(struct snapshot *sn, const struct snapshot_info *info, char *note,
			     size_t notelen);

/* Or drops it (the old walk stays) and stores the failure in @info
 * (failed_at, retry_at, failed_state, failed_message). */
bool snapshot_refresh_fail(struct snapshot *sn, const struct snapshot_info *info, char *note,
			   size_t notelen);

#endif
