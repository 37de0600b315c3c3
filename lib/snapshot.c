#include "autoconfig.h"

#include "snapshot.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <nettle/sha2.h>
#include <sqlite3.h>

#include "buf.h"
#include "clock.h"
#include "json.h"
#include "kinds.h"
#include "privdir.h"

/* the largest stored element: what a page may hold */
#define ELEMENT_CAP WALK_PAGE_BODY_CAP

static const char schema_sql[] = "CREATE TABLE snapshot ("
				 " id INTEGER PRIMARY KEY CHECK (id = 1),"
				 " taken_at INTEGER NOT NULL,"
				 " api_version TEXT NOT NULL,"
				 " vm_jobs INTEGER NOT NULL,"
				 " cdp_jobs INTEGER NOT NULL,"
				 " skipped_kinds INTEGER NOT NULL);"
				 "CREATE TABLE failure ("
				 " id INTEGER PRIMARY KEY CHECK (id = 1),"
				 " failed_at INTEGER NOT NULL,"
				 " retry_at INTEGER NOT NULL,"
				 " state INTEGER NOT NULL,"
				 " message TEXT NOT NULL);"
				 "CREATE TABLE jobs ("
				 " seq INTEGER PRIMARY KEY,"
				 " kind TEXT NOT NULL,"
				 " page_index INTEGER NOT NULL,"
				 " uid TEXT,"
				 " name TEXT,"
				 " backup_server TEXT,"
				 " body TEXT NOT NULL);"
				 "CREATE TABLE names ("
				 " uid TEXT NOT NULL,"
				 " seq INTEGER NOT NULL REFERENCES jobs(seq));"
				 "CREATE INDEX names_uid ON names(uid);";

struct snapshot {
	sqlite3 *db;
	char path[PATH_MAX];
	char lock_path[PATH_MAX];
	int lock_fd;
	int64_t deadline_ms;
	ino_t ino;      /* of the file opened */
	bool schema_ok; /* our application id and schema version */
	bool damaged;   /* SQLite called it corrupt, or a row made no sense */
	bool reading;   /* a read transaction is open */
	bool writing;   /* a refresh transaction is open */
	sqlite3_stmt *ins_job;
	sqlite3_stmt *ins_name;
	int64_t seq;
	struct buf body;
};

/* --- names and trust ------------------------------------------------------ */

static void hash_part(struct sha256_ctx *h, const char *s, size_t len)
{
	uint8_t n[8];

	/* the length first, so that no two lists of parts hash alike */
	for (int i = 0; i < 8; i++)
		n[i] = (uint8_t)((uint64_t)len >> (8 * i));
	sha256_update(h, sizeof n, n);
	sha256_update(h, len, (const uint8_t *)s);
}

/* 32 hex digits of SHA-256 over the key: the file name carries no host,
 * user or token, and a token cannot be found from it. */
static void key_name(const struct snapshot_key *key, char hex[33])
{
	struct sha256_ctx h;
	uint8_t d[SHA256_DIGEST_SIZE];
	char port[16];
	const char *api = key->api_version ? key->api_version : "auto";

	snprintf(port, sizeof port, "%u", key->port);
	sha256_init(&h);
	hash_part(&h, "check_vspc_replication snapshot", 31);
	hash_part(&h, key->host, strlen(key->host));
	hash_part(&h, port, strlen(port));
	hash_part(&h, key->plain_http ? "http" : "https", key->plain_http ? 4 : 5);
	hash_part(&h, api, strlen(api));
	if (key->user) {
		hash_part(&h, "user", 4);
		hash_part(&h, key->user, strlen(key->user));
	} else {
		hash_part(&h, "token", 5);
		hash_part(&h, key->token ? key->token : "", key->token ? key->token_len : 0);
	}
	sha256_digest(&h, sizeof d, d);
	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	explicit_bzero(&h, sizeof h);
}

/* A file that exists must be a regular file of this user with no group or
 * other permissions; *@exists says whether it does. */
static bool trusted(const char *path, bool *exists, char *note, size_t notelen)
{
	struct stat st;

	*exists = false;
	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return true;
		snprintf(note, notelen, "cannot examine %s: %s", path, strerror(errno));
		return false;
	}
	*exists = true;
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
		snprintf(note, notelen,
			 "%s is not a private file of this user (a symlink, another owner, or "
			 "group or other permissions): not used",
			 path);
		return false;
	}
	return true;
}

/* The database and the files SQLite keeps beside it. */
static bool files_trusted(const struct snapshot *sn, bool *db_exists, char *note, size_t notelen)
{
	static const char *const suffixes[] = { "-wal", "-shm" };
	char path[PATH_MAX + 8];
	bool exists;

	if (!trusted(sn->path, db_exists, note, notelen) ||
	    !trusted(sn->lock_path, &exists, note, notelen))
		return false;
	for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
		snprintf(path, sizeof path, "%s%s", sn->path, suffixes[i]);
		if (!trusted(path, &exists, note, notelen))
			return false;
	}
	return true;
}

/* --- snapshots nobody uses ---------------------------------------------- */

/* No --snapshot-max-age is longer than a day, so any check of an identity
 * that still runs refreshes its snapshot at least that often. One not
 * written for two days belongs to an identity that is gone (a token that
 * was replaced, an account removed) and would otherwise stay forever. */
#define SNAPSHOT_DEAD_AGE (2 * 86400)

/* "snapshot-" 32 hex digits ".db" */
static bool snapshot_db_name(const char *name)
{
	static const char prefix[] = "snapshot-";
	size_t n = strlen(name), p = sizeof prefix - 1;

	if (n != p + 32 + 3 || strncmp(name, prefix, p) != 0 || strcmp(name + p + 32, ".db") != 0)
		return false;
	for (size_t i = p; i < p + 32; i++)
		if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
			return false;
	return true;
}

/* A private file of this user last written before @before. */
static bool old_private(const struct stat *st, time_t before)
{
	return S_ISREG(st->st_mode) && st->st_uid == geteuid() && (st->st_mode & 077) == 0 &&
	       st->st_mtime < before;
}

/* A snapshot nothing has written since @before: the database a private
 * file that old, its WAL absent or as old. One that is not private is
 * never touched. */
static bool dead(const char *db, const char *wal, time_t before)
{
	struct stat st;

	if (lstat(db, &st) != 0 || !old_private(&st, before))
		return false;
	if (lstat(wal, &st) != 0)
		return errno == ENOENT;
	return old_private(&st, before);
}

/* Removes the other snapshots of the directory that no check has written
 * for SNAPSHOT_DEAD_AGE, each under its own lock (a refresh that holds it
 * is left alone). Called after a refresh, not by the checks it serves. */
static void sweep_dead(const struct snapshot *sn)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(sn->path, '/');
	time_t before = time(NULL) - SNAPSHOT_DEAD_AGE;
	DIR *d;
	struct dirent *e;

	if (slash == NULL || (size_t)(slash - sn->path) >= sizeof dir)
		return;
	memcpy(dir, sn->path, (size_t)(slash - sn->path));
	dir[slash - sn->path] = '\0';
	d = opendir(dir);
	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		char db[PATH_MAX], wal[PATH_MAX + 8], shm[PATH_MAX + 8], lock[PATH_MAX];
		char note[256];
		int fd = -1, n;
		bool busy;

		if (!snapshot_db_name(e->d_name))
			continue;
		n = snprintf(db, sizeof db, "%s/%s", dir, e->d_name);
		if (n < 0 || (size_t)n >= sizeof db || strcmp(db, sn->path) == 0)
			continue;
		snprintf(wal, sizeof wal, "%s-wal", db);
		snprintf(shm, sizeof shm, "%s-shm", db);
		snprintf(lock, sizeof lock, "%.*s.lock", n - 3, db);
		if (!dead(db, wal, before) || !privdir_lock(lock, 0, &fd, &busy, note, sizeof note))
			continue;
		/* looked at again under the lock: a refresh may have just ended */
		if (dead(db, wal, before)) {
			unlink(wal);
			unlink(shm);
			unlink(db);
			unlink(lock);
		}
		privdir_unlock(&fd);
	}
	closedir(d);
}

/* --- SQLite ------------------------------------------------------------- */

static bool is_damage(int rc)
{
	rc &= 0xff;
	return rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB || rc == SQLITE_FORMAT;
}

/* Notes the SQLite error of @what; marks the file damaged when it is. */
static bool sql_failed(struct snapshot *sn, int rc, const char *what, char *note, size_t notelen)
{
	if (is_damage(rc))
		sn->damaged = true;
	snprintf(note, notelen, "snapshot %s: %s: %s", sn->path, what,
		 sn->db ? sqlite3_errmsg(sn->db) : sqlite3_errstr(rc));
	return false;
}

static bool exec(struct snapshot *sn, const char *sql, char *note, size_t notelen)
{
	int rc = sqlite3_exec(sn->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK || sql_failed(sn, rc, sql, note, notelen);
}

static void set_busy_timeout(struct snapshot *sn)
{
	int64_t ms = clock_remaining_ms(sn->deadline_ms);

	sqlite3_busy_timeout(sn->db, ms > INT_MAX ? INT_MAX : (int)ms);
}

static void db_close(struct snapshot *sn)
{
	sqlite3_finalize(sn->ins_job);
	sqlite3_finalize(sn->ins_name);
	sn->ins_job = sn->ins_name = NULL;
	if (sn->db)
		sqlite3_close(sn->db); /* rolls back what was not committed */
	sn->db = NULL;
	sn->reading = sn->writing = false;
	sn->schema_ok = false;
}

static bool pragma_int(struct snapshot *sn, const char *sql, int64_t *out, char *note,
		       size_t notelen)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(sn->db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || sql_failed(sn, rc, sql, note, notelen);
}

/* Opens the file, creating it 0600 first if it is missing (SQLite gives
 * its -wal and -shm files the database's permissions), and reads which
 * schema it holds. */
static bool db_open(struct snapshot *sn, char *note, size_t notelen)
{
	struct stat st;
	int64_t app = 0;
	int64_t version = 0;
	bool exists;
	int rc;

	db_close(sn);
	if (!files_trusted(sn, &exists, note, notelen))
		return false;
	if (!exists) {
		int fd = open(sn->path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

		if (fd < 0 && errno != EEXIST) {
			snprintf(note, notelen, "cannot create %s: %s", sn->path, strerror(errno));
			return false;
		}
		if (fd >= 0)
			close(fd);
	}
	rc = sqlite3_open_v2(sn->path, &sn->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL);
	if (rc != SQLITE_OK)
		return sql_failed(sn, rc, "cannot open", note, notelen);
	sqlite3_extended_result_codes(sn->db, 1);
	set_busy_timeout(sn);
	if (stat(sn->path, &st) == 0)
		sn->ino = st.st_ino;
	/* WAL is safe against corruption with synchronous=NORMAL; a power cut
	 * may lose the last refresh, which the next run makes again */
	if (!exec(sn, "PRAGMA synchronous=NORMAL", note, notelen) ||
	    !exec(sn, "PRAGMA cache_size=-1024", note, notelen) ||
	    !pragma_int(sn, "PRAGMA application_id", &app, note, notelen) ||
	    !pragma_int(sn, "PRAGMA user_version", &version, note, notelen))
		return false;
	sn->schema_ok = app == SNAPSHOT_APPLICATION_ID && version == SNAPSHOT_SCHEMA_VERSION;
	return true;
}

/* Empties the file and gives it our schema. Only under the lock. The file
 * is emptied in place (SQLite's reset: a VACUUM from nothing, which works
 * on a corrupt file too), never unlinked and made anew: other runs may have
 * it open, and with their locks on the old file they would take this
 * run's journal under the same name for a hot journal of theirs and roll
 * it back (a disk I/O error here). */
static bool db_rebuild(struct snapshot *sn, char *note, size_t notelen)
{
	char sql[128];
	int rc;

	/* a file SQLite calls corrupt still opens: the reset is for it */
	if (!db_open(sn, note, notelen) && sn->db == NULL)
		return false;
	rc = sqlite3_db_config(sn->db, SQLITE_DBCONFIG_RESET_DATABASE, 1, (int *)NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(sn->db, "VACUUM", NULL, NULL, NULL);
	(void)sqlite3_db_config(sn->db, SQLITE_DBCONFIG_RESET_DATABASE, 0, (int *)NULL);
	if (rc != SQLITE_OK)
		return sql_failed(sn, rc, "emptying it", note, notelen);
	sn->damaged = false;
	snprintf(sql, sizeof sql, "PRAGMA application_id=%d; PRAGMA user_version=%d;",
		 SNAPSHOT_APPLICATION_ID, SNAPSHOT_SCHEMA_VERSION);
	if (!exec(sn, "PRAGMA journal_mode=WAL", note, notelen) ||
	    !exec(sn, "BEGIN IMMEDIATE", note, notelen) || !exec(sn, schema_sql, note, notelen) ||
	    !exec(sn, sql, note, notelen) || !exec(sn, "COMMIT", note, notelen))
		return false;
	sn->schema_ok = true;
	return true;
}

/* --- opening ------------------------------------------------------------ */

struct snapshot *snapshot_open(const char *dir, const struct snapshot_key *key, int64_t deadline_ms,
			       char *note, size_t notelen)
{
	struct snapshot *sn = calloc(1, sizeof *sn);
	struct privdir pd;
	char hex[33];
	int n, m;

	if (sn == NULL) {
		snprintf(note, notelen, "out of memory");
		return NULL;
	}
	sn->lock_fd = -1;
	sn->deadline_ms = deadline_ms;
	buf_init(&sn->body, ELEMENT_CAP);
	if (!privdir_open(&pd, dir, note, notelen)) {
		snapshot_close(sn);
		return NULL;
	}
	key_name(key, hex);
	n = snprintf(sn->path, sizeof sn->path, "%s/snapshot-%s.db", pd.path, hex);
	m = snprintf(sn->lock_path, sizeof sn->lock_path, "%s/snapshot-%s.lock", pd.path, hex);
	if (n < 0 || (size_t)n >= sizeof sn->path || m < 0 || (size_t)m >= sizeof sn->lock_path) {
		snprintf(note, notelen, "the cache directory's path is too long");
		snapshot_close(sn);
		return NULL;
	}
	if (!db_open(sn, note, notelen) && !sn->damaged) {
		snapshot_close(sn);
		return NULL;
	}
	return sn; /* a damaged file is rebuilt by the refresh */
}

void snapshot_close(struct snapshot *sn)
{
	if (sn == NULL)
		return;
	db_close(sn);
	privdir_unlock(&sn->lock_fd);
	buf_free(&sn->body);
	free(sn);
}

const char *snapshot_path(const struct snapshot *sn)
{
	return sn->path;
}

/* --- reading ------------------------------------------------------------ */

static void read_info_row(sqlite3_stmt *st, struct snapshot_info *info)
{
	const unsigned char *api = sqlite3_column_text(st, 1);

	info->present = true;
	info->taken_at = sqlite3_column_int64(st, 0);
	snprintf(info->api_version, sizeof info->api_version, "%s", api ? (const char *)api : "");
	info->jobs[VSPC_KIND_VM] = (uint64_t)sqlite3_column_int64(st, 2);
	info->jobs[VSPC_KIND_CDP] = (uint64_t)sqlite3_column_int64(st, 3);
	info->skipped = (unsigned)sqlite3_column_int64(st, 4);
}

static void read_failure_row(sqlite3_stmt *st, struct snapshot_info *info)
{
	const unsigned char *msg = sqlite3_column_text(st, 3);
	int64_t state = sqlite3_column_int64(st, 2);

	info->failed = true;
	info->failed_at = sqlite3_column_int64(st, 0);
	info->retry_at = sqlite3_column_int64(st, 1);
	info->failed_state =
	    state >= STATE_OK && state <= STATE_UNKNOWN ? (enum state)state : STATE_UNKNOWN;
	snprintf(info->failed_message, sizeof info->failed_message, "%s",
		 msg && msg[0] ? (const char *)msg : "(no message)");
}

/* Runs the one-row query @sql and hands its row to @row. */
static bool query_row(struct snapshot *sn, const char *sql,
		      void (*row)(sqlite3_stmt *st, struct snapshot_info *info),
		      struct snapshot_info *info, char *note, size_t notelen)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(sn->db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		row(st, info);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE || sql_failed(sn, rc, sql, note, notelen);
}

bool snapshot_read_begin(struct snapshot *sn, struct snapshot_info *info, char *note,
			 size_t notelen)
{
	memset(info, 0, sizeof *info);
	if (sn->damaged || sn->db == NULL) {
		snprintf(note, notelen, "snapshot %s is damaged", sn->path);
		return false;
	}
	if (!sn->schema_ok)
		return true; /* nothing of ours in it yet: the refresh rebuilds it */
	set_busy_timeout(sn);
	snapshot_read_end(sn);
	if (!exec(sn, "BEGIN", note, notelen))
		return false;
	sn->reading = true;
	if (!query_row(sn,
		       "SELECT taken_at, api_version, vm_jobs, cdp_jobs, skipped_kinds FROM "
		       "snapshot WHERE id = 1",
		       read_info_row, info, note, notelen) ||
	    !query_row(sn, "SELECT failed_at, retry_at, state, message FROM failure WHERE id = 1",
		       read_failure_row, info, note, notelen)) {
		snapshot_read_end(sn);
		return false;
	}
	return true;
}

void snapshot_read_end(struct snapshot *sn)
{
	if (sn->reading && sn->db)
		(void)sqlite3_exec(sn->db, "COMMIT", NULL, NULL, NULL);
	sn->reading = false;
}

/* Turns a stored row (kind, page_index, body) into an item. */
static bool row_item(struct snapshot *sn, sqlite3_stmt *st, struct snapshot_item *out, char *note,
		     size_t notelen)
{
	const char *kind = (const char *)sqlite3_column_text(st, 0);
	int64_t index = sqlite3_column_int64(st, 1);
	const char *body = (const char *)sqlite3_column_text(st, 2);
	int body_len = sqlite3_column_bytes(st, 2);
	const struct job_kind *k = kind ? kind_by_name(kind) : NULL;
	char why[160];

	memset(out, 0, sizeof *out);
	if (k == NULL || body == NULL || index < 1) {
		sn->damaged = true;
		snprintf(note, notelen, "snapshot %s holds a job row that makes no sense",
			 sn->path);
		return false;
	}
	if (json_parse(body, (size_t)body_len, &out->doc, why, sizeof why) != JSON_OK) {
		sn->damaged = true;
		snprintf(note, notelen, "snapshot %s holds a job that is not JSON: %s", sn->path,
			 why);
		return false;
	}
	out->kind = k->id;
	walk_item_make(k, json_root(out->doc), (size_t)index, &out->store, &out->item);
	return true;
}

void snapshot_item_free(struct snapshot_item *it)
{
	json_free(it->doc);
	it->doc = NULL;
}

enum snapshot_find snapshot_find(struct snapshot *sn, const char *uid, struct snapshot_item *out,
				 char *note, size_t notelen)
{
	static const char sql[] = "SELECT j.kind, j.page_index, j.body FROM names n JOIN jobs j "
				  "ON j.seq = n.seq WHERE n.uid = ?1 GROUP BY j.seq LIMIT 2";
	sqlite3_stmt *st = NULL;
	enum snapshot_find found = SNAPSHOT_BROKEN;
	int rc = sqlite3_prepare_v2(sn->db, sql, -1, &st, NULL);

	memset(out, 0, sizeof *out);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 1, uid, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		found = SNAPSHOT_ABSENT;
	} else if (rc == SQLITE_ROW) {
		if (!row_item(sn, st, out, note, notelen)) {
			found = SNAPSHOT_BROKEN;
		} else if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			snapshot_item_free(out);
			found = SNAPSHOT_AMBIGUOUS;
		} else if (rc == SQLITE_DONE) {
			found = SNAPSHOT_FOUND;
		} else {
			snapshot_item_free(out);
			sql_failed(sn, rc, "reading a job", note, notelen);
		}
	} else {
		sql_failed(sn, rc, "reading a job", note, notelen);
	}
	sqlite3_finalize(st);
	return found;
}

bool snapshot_each(struct snapshot *sn, unsigned kinds, walk_item_fn fn, void *ctx, char *note,
		   size_t notelen)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(sn->db, "SELECT kind, page_index, body FROM jobs ORDER BY seq",
				    -1, &st, NULL);
	bool ok = true;

	while (ok && rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct snapshot_item it;

		if (!row_item(sn, st, &it, note, notelen)) {
			ok = false;
			break;
		}
		if (kinds & (1u << it.kind))
			ok = fn(ctx, &it.item);
		snapshot_item_free(&it);
		rc = SQLITE_OK;
	}
	if (ok && rc != SQLITE_DONE)
		ok = sql_failed(sn, rc, "reading the jobs", note, notelen);
	sqlite3_finalize(st);
	return ok;
}

bool snapshot_count_server(struct snapshot *sn, const char *uid, uint64_t *matching,
			   uint64_t *unknown, char *note, size_t notelen)
{
	static const char sql[] = "SELECT count(backup_server = ?1 OR NULL), "
				  "count(*) - count(backup_server) FROM jobs";
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(sn->db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 1, uid, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*matching = (uint64_t)sqlite3_column_int64(st, 0);
		*unknown = (uint64_t)sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || sql_failed(sn, rc, "counting jobs", note, notelen);
}

void snapshot_invalidate(struct snapshot *sn)
{
	snapshot_read_end(sn);
	if (sn->db && sn->schema_ok) {
		/* best effort: not worth waiting long for a refresh in progress,
		 * which replaces the walk anyway */
		sqlite3_busy_timeout(sn->db, 200);
		(void)sqlite3_exec(sn->db, "UPDATE snapshot SET taken_at = 0", NULL, NULL, NULL);
	}
}

bool snapshot_reopen(struct snapshot *sn, char *note, size_t notelen)
{
	snapshot_read_end(sn);
	/* the run that held the lock may have rebuilt it (in place) */
	sn->damaged = false;
	return db_open(sn, note, notelen) || sn->damaged;
}

/* --- refreshing --------------------------------------------------------- */

bool snapshot_lock(struct snapshot *sn, int64_t deadline_ms, bool *busy, char *note, size_t notelen)
{
	bool exists;

	*busy = false;
	if (!trusted(sn->lock_path, &exists, note, notelen))
		return false;
	return privdir_lock(sn->lock_path, deadline_ms, &sn->lock_fd, busy, note, notelen);
}

void snapshot_unlock(struct snapshot *sn)
{
	privdir_unlock(&sn->lock_fd);
}

static bool start_refresh(struct snapshot *sn, char *note, size_t notelen)
{
	static const char job_sql[] = "INSERT INTO jobs (seq, kind, page_index, uid, name, "
				      "backup_server, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
	static const char name_sql[] = "INSERT INTO names (uid, seq) VALUES (?1, ?2)";
	int rc;

	if (!exec(sn, "BEGIN IMMEDIATE", note, notelen))
		return false;
	sn->writing = true;
	if (!exec(sn, "DELETE FROM names", note, notelen) ||
	    !exec(sn, "DELETE FROM jobs", note, notelen))
		return false;
	rc = sqlite3_prepare_v2(sn->db, job_sql, -1, &sn->ins_job, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(sn->db, name_sql, -1, &sn->ins_name, NULL);
	if (rc != SQLITE_OK)
		return sql_failed(sn, rc, "preparing the refresh", note, notelen);
	sn->seq = 0;
	return true;
}

bool snapshot_refresh_begin(struct snapshot *sn, char *note, size_t notelen)
{
	ino_t before = sn->ino;
	bool damaged = sn->damaged;

	snapshot_read_end(sn);
	set_busy_timeout(sn);
	/* another run may have rebuilt the file while this one waited */
	if (!db_open(sn, note, notelen) && !sn->damaged)
		return false;
	if (sn->ino != before)
		damaged = false;
	if ((damaged || sn->damaged || !sn->schema_ok) && !db_rebuild(sn, note, notelen))
		return false;
	if (start_refresh(sn, note, notelen))
		return true;
	if (!sn->damaged)
		return false;
	/* corrupt beyond what opening it showed: start afresh once */
	return db_rebuild(sn, note, notelen) && start_refresh(sn, note, notelen);
}

static int bind_text(sqlite3_stmt *st, int col, const char *s, size_t len)
{
	return sqlite3_bind_text(st, col, s, (int)len, SQLITE_STATIC);
}

static bool add_name(struct snapshot *sn, const char *uid, char *note, size_t notelen)
{
	int rc;

	sqlite3_reset(sn->ins_name);
	rc = sqlite3_bind_text(sn->ins_name, 1, uid, -1, SQLITE_TRANSIENT);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(sn->ins_name, 2, sn->seq);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(sn->ins_name);
	return rc == SQLITE_DONE || sql_failed(sn, rc, "storing a job", note, notelen);
}

/* Every UID the job is known by (its own and its BackupServerJob's), each
 * once: a check finds it by whichever its API version calls it. */
static bool add_names(struct snapshot *sn, const struct walk_item *item, char *note, size_t notelen)
{
	const struct vspc_uid *uids[6];
	size_t count = 0;

	if (item->job) {
		uids[count++] = &item->job->ids.instance_uid;
		uids[count++] = &item->job->ids.unique_uid;
		uids[count++] = &item->job->ids.original_uid;
	}
	if (item->session) {
		uids[count++] = &item->session->instance_uid;
		uids[count++] = &item->session->unique_uid;
		uids[count++] = &item->session->original_uid;
	}
	for (size_t i = 0; i < count; i++) {
		bool dup = uids[i]->f.state != VSPC_FIELD_VALUE;

		for (size_t j = 0; j < i && !dup; j++)
			dup = uids[j]->f.state == VSPC_FIELD_VALUE &&
			      strcmp(uids[j]->value, uids[i]->value) == 0;
		if (!dup && !add_name(sn, uids[i]->value, note, notelen))
			return false;
	}
	return true;
}

bool snapshot_refresh_add(struct snapshot *sn, enum vspc_kind kind, const struct walk_item *item,
			  char *note, size_t notelen)
{
	const struct vspc_job *job = item->job;
	const struct vspc_job_session *js = item->session;
	sqlite3_stmt *st = sn->ins_job;
	int rc;

	if (!sn->writing) {
		snprintf(note, notelen, "snapshot %s: no refresh is in progress", sn->path);
		return false;
	}
	buf_reset(&sn->body);
	if (json_write(item->element, &sn->body) != BUF_OK) {
		snprintf(note, notelen, "snapshot %s: element %zu of a page is too large to store",
			 sn->path, item->index);
		return false;
	}
	sn->seq++;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	rc = sqlite3_bind_int64(st, 1, sn->seq);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 2, kind_of(kind)->name, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, (sqlite3_int64)item->index);
	if (rc == SQLITE_OK && job && job->ids.instance_uid.f.state == VSPC_FIELD_VALUE)
		rc = sqlite3_bind_text(st, 4, job->ids.instance_uid.value, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK && js && js->name.f.state == VSPC_FIELD_VALUE)
		rc = bind_text(st, 5, js->name.value, js->name.len);
	if (rc == SQLITE_OK && js && js->backup_server_uid.f.state == VSPC_FIELD_VALUE)
		rc = sqlite3_bind_text(st, 6, js->backup_server_uid.value, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = bind_text(st, 7, buf_str(&sn->body), sn->body.len);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		return sql_failed(sn, rc, "storing a job", note, notelen);
	return add_names(sn, item, note, notelen);
}

bool snapshot_refresh_commit(struct snapshot *sn, const struct snapshot_info *info, char *note,
			     size_t notelen)
{
	static const char sql[] =
	    "INSERT OR REPLACE INTO snapshot (id, taken_at, api_version, "
	    "vm_jobs, cdp_jobs, skipped_kinds) VALUES (1, ?1, ?2, ?3, ?4, ?5)";
	sqlite3_stmt *st = NULL;
	int rc;

	if (!sn->writing) {
		snprintf(note, notelen, "snapshot %s: no refresh is in progress", sn->path);
		return false;
	}
	rc = sqlite3_prepare_v2(sn->db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 1, info->taken_at);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 2, info->api_version, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, (sqlite3_int64)info->jobs[VSPC_KIND_VM]);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 4, (sqlite3_int64)info->jobs[VSPC_KIND_CDP]);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 5, info->skipped);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sql_failed(sn, rc, "storing the walk", note, notelen);
	if (!exec(sn, "DELETE FROM failure", note, notelen) || !exec(sn, "COMMIT", note, notelen))
		return false;
	sn->writing = false;
	sweep_dead(sn);
	return true;
}

bool snapshot_refresh_fail(struct snapshot *sn, const struct snapshot_info *info, char *note,
			   size_t notelen)
{
	static const char sql[] = "INSERT OR REPLACE INTO failure (id, failed_at, retry_at, state, "
				  "message) VALUES (1, ?1, ?2, ?3, ?4)";
	sqlite3_stmt *st = NULL;
	int rc;

	if (sn->writing)
		(void)sqlite3_exec(sn->db, "ROLLBACK", NULL, NULL, NULL);
	sn->writing = false;
	if (sn->db == NULL || !sn->schema_ok) {
		snprintf(note, notelen, "snapshot %s cannot be written", sn->path);
		return false;
	}
	if (!exec(sn, "BEGIN IMMEDIATE", note, notelen))
		return false;
	rc = sqlite3_prepare_v2(sn->db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 1, info->failed_at);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, info->retry_at);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 3, (int)info->failed_state);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 4, info->failed_message, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		(void)sqlite3_exec(sn->db, "ROLLBACK", NULL, NULL, NULL);
		return sql_failed(sn, rc, "storing the failure", note, notelen);
	}
	return exec(sn, "COMMIT", note, notelen);
}
