/* The plugin's private cache directory and the small files kept in it (the
 * token cache, the remembered API version).
 *
 * The directory is created 0700 and must belong to the user and not be
 * writable by group or others. A file in it is trusted only if it is a
 * regular file (not a symlink) owned by the user with no group or other
 * permissions. Files are replaced atomically: written to a temporary name
 * in the same directory and renamed into place, so a reader sees the old
 * file or the new one, never half of one. Nothing here is fatal: callers
 * turn a false return into a note for -v and go on without the file. */
#ifndef VSPC_PRIVDIR_H
#define VSPC_PRIVDIR_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PRIVDIR_NAME "check_vspc_replication"

struct privdir {
	char path[PATH_MAX];
};

/* Picks and prepares the directory: @dir when given, else
 * $XDG_CACHE_HOME/NAME, $HOME/.cache/NAME, else /var/tmp/NAME-UID. False,
 * with the reason in @note, when no safe directory is usable. */
bool privdir_open(struct privdir *pd, const char *dir, char *note, size_t notelen);

/* Removes what a killed or failed writer left behind: temporary files of
 * privdir_write() ("NAME.XXXXXX") owned by the user and older than
 * @older_than seconds (a younger one may be a write in progress). Returns
 * how many were removed. privdir_open() calls it, once a run per directory. */
int privdir_sweep(const struct privdir *pd, int64_t older_than);

/* Writes "DIR/PREFIX-KEY[SUFFIX]" to @dst, KEY being 16 hex digits of a
 * hash of the @nparts strings in @parts (so that no host or user name
 * appears in a file name). False if it does not fit. */
bool privdir_file(const struct privdir *pd, char *dst, size_t dstlen, const char *prefix,
		  const char *const *parts, size_t nparts, const char *suffix);

enum privdir_status {
	PRIVDIR_OK = 0,
	PRIVDIR_MISSING,   /* no such file */
	PRIVDIR_UNTRUSTED, /* a symlink, not a regular file, not private, too big */
	PRIVDIR_ERROR      /* could not be read (errno-style reason in the note) */
};

/* Reads the private file @path into @dst (at most @cap - 1 bytes, then a
 * NUL); *@len gets the length. The caller wipes @dst if it held a secret. */
enum privdir_status privdir_read(const char *path, char *dst, size_t cap, size_t *len, char *note,
				 size_t notelen);

/* Replaces @path atomically with @len bytes at @data (mode 0600). False
 * with a reason naming the file and the error in @note; no temporary file
 * is left behind. */
bool privdir_write(const char *path, const char *data, size_t len, char *note, size_t notelen);

/* Takes an exclusive lock on the lock file @path (created 0600), waiting
 * until @deadline_ms at most. *@fd is -1 when not locked; *@busy tells a
 * wait that ran out (another process holds the lock) from an error. */
bool privdir_lock(const char *path, int64_t deadline_ms, int *fd, bool *busy, char *note,
		  size_t notelen);

/* Releases a lock taken by privdir_lock(); accepts -1. */
void privdir_unlock(int *fd);

#endif
