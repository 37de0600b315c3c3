#include "autoconfig.h"

#include "privdir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

/* a temporary file this old is no write in progress any more */
#define PRIVDIR_SWEEP_AGE 60

/* mkdir 0700 unless it exists, then insist it is ours and private. */
static bool private_dir(const char *path, char *note, size_t notelen)
{
	struct stat st;

	if (mkdir(path, 0700) != 0 && errno != EEXIST) {
		snprintf(note, notelen, "cannot create %s: %s", path, strerror(errno));
		return false;
	}
	if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
		snprintf(note, notelen, "%s is not a directory", path);
		return false;
	}
	if (st.st_uid != geteuid() || (st.st_mode & 022) != 0) {
		snprintf(note, notelen, "%s is not owned by this user or is writable by others",
			 path);
		return false;
	}
	return true;
}

static bool try_dir(struct privdir *pd, const char *base, const char *sub, char *note,
		    size_t notelen)
{
	int n;

	if (sub) {
		/* the parent (e.g. ~/.cache) may not exist yet */
		if (mkdir(base, 0700) != 0 && errno != EEXIST)
			return false;
		n = snprintf(pd->path, sizeof pd->path, "%s/%s", base, sub);
	} else {
		n = snprintf(pd->path, sizeof pd->path, "%s", base);
	}
	return n > 0 && (size_t)n < sizeof pd->path && private_dir(pd->path, note, notelen);
}

/* A temporary name of privdir_write(): "token-" or "api-", 16 hex digits,
 * then "." and mkstemp's six characters. */
static bool temporary_name(const char *name)
{
	const char *p = name;
	size_t n;

	if (strncmp(p, "token-", 6) == 0)
		p += 6;
	else if (strncmp(p, "api-", 4) == 0)
		p += 4;
	else
		return false;
	if (strspn(p, "0123456789abcdef") != 16)
		return false;
	p += 16;
	if (*p++ != '.')
		return false;
	n = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
	return n == 6 && p[n] == '\0';
}

int privdir_sweep(const struct privdir *pd, int64_t older_than)
{
	DIR *d = opendir(pd->path);
	struct dirent *e;
	int removed = 0;
	time_t now = time(NULL);

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		char path[PATH_MAX];
		struct stat st;
		int n;

		if (!temporary_name(e->d_name))
			continue;
		n = snprintf(path, sizeof path, "%s/%s", pd->path, e->d_name);
		if (n < 0 || (size_t)n >= sizeof path || lstat(path, &st) != 0 ||
		    !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
		    (int64_t)(now - st.st_mtime) < older_than)
			continue;
		if (unlink(path) == 0)
			removed++;
	}
	closedir(d);
	return removed;
}

static bool privdir_pick(struct privdir *pd, const char *dir, char *note, size_t notelen)
{
	const char *xdg = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");
	char path[PATH_MAX];

	memset(pd, 0, sizeof *pd);
	snprintf(note, notelen, "no usable cache directory");
	if (dir)
		return try_dir(pd, dir, NULL, note, notelen);
	if (xdg && xdg[0] == '/' && try_dir(pd, xdg, PRIVDIR_NAME, note, notelen))
		return true;
	if (home && home[0] == '/') {
		snprintf(path, sizeof path, "%s/.cache", home);
		if (try_dir(pd, path, PRIVDIR_NAME, note, notelen))
			return true;
	}
	snprintf(path, sizeof path, "/var/tmp/%s-%lu", PRIVDIR_NAME, (unsigned long)geteuid());
	return try_dir(pd, path, NULL, note, notelen);
}

bool privdir_open(struct privdir *pd, const char *dir, char *note, size_t notelen)
{
	/* the API version memory, the token cache and the snapshot each open
	 * the directory: one sweep a run is enough */
	static char swept[PATH_MAX];

	if (!privdir_pick(pd, dir, note, notelen))
		return false;
	if (strcmp(swept, pd->path) != 0) {
		(void)privdir_sweep(pd, PRIVDIR_SWEEP_AGE);
		snprintf(swept, sizeof swept, "%s", pd->path);
	}
	return true;
}

/* FNV-1a with a separator after each part: not a secret hash, only a name
 * that carries no host or user name and no odd characters. */
static uint64_t fnv1a(const char *s, uint64_t h)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return (h ^ 0xff) * 0x100000001b3ULL;
}

bool privdir_file(const struct privdir *pd, char *dst, size_t dstlen, const char *prefix,
		  const char *const *parts, size_t nparts, const char *suffix)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	int n;

	for (size_t i = 0; i < nparts; i++)
		h = fnv1a(parts[i], h);
	n = snprintf(dst, dstlen, "%s/%s-%016" PRIx64 "%s", pd->path, prefix, h,
		     suffix ? suffix : "");
	return n > 0 && (size_t)n < dstlen;
}

enum privdir_status privdir_read(const char *path, char *dst, size_t cap, size_t *len, char *note,
				 size_t notelen)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	size_t used = 0;

	*len = 0;
	dst[0] = '\0';
	if (fd < 0) {
		if (errno == ENOENT) {
			snprintf(note, notelen, "%s does not exist", path);
			return PRIVDIR_MISSING;
		}
		snprintf(note, notelen,
			 errno == ELOOP ? "%s is a symlink: ignored" : "cannot open %s: %s", path,
			 strerror(errno));
		return errno == ELOOP ? PRIVDIR_UNTRUSTED : PRIVDIR_ERROR;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 077) != 0 || st.st_size < 0 || (size_t)st.st_size >= cap) {
		snprintf(note, notelen, "%s is not a private file of this user: ignored", path);
		close(fd);
		return PRIVDIR_UNTRUSTED;
	}
	while (used + 1 < cap) {
		ssize_t n = read(fd, dst + used, cap - 1 - used);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(note, notelen, "cannot read %s: %s", path, strerror(errno));
			close(fd);
			dst[used] = '\0';
			return PRIVDIR_ERROR;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	close(fd);
	dst[used] = '\0';
	*len = used;
	return PRIVDIR_OK;
}

static bool write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			return false;
		}
		p += w;
		n -= (size_t)w;
	}
	return true;
}

bool privdir_write(const char *path, const char *data, size_t len, char *note, size_t notelen)
{
	char tmp[PATH_MAX + 16];
	int fd;
	int saved;
	bool ok;

	if (snprintf(tmp, sizeof tmp, "%s.XXXXXX", path) >= (int)sizeof tmp) {
		snprintf(note, notelen, "the path %s is too long", path);
		return false;
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		snprintf(note, notelen, "cannot write %s: %s", path, strerror(errno));
		return false;
	}
	ok = fchmod(fd, 0600) == 0 && write_all(fd, data, len) && fsync(fd) == 0;
	saved = errno;
	ok = close(fd) == 0 && ok;
	if (ok && rename(tmp, path) != 0) {
		saved = errno;
		ok = false;
	}
	if (!ok) {
		snprintf(note, notelen, "cannot write %s: %s", path, strerror(saved));
		/* emptied first: should the unlink fail too, what privdir_sweep()
		 * removes later holds no token meanwhile */
		(void)truncate(tmp, 0);
		unlink(tmp);
	}
	return ok;
}

bool privdir_lock(const char *path, int64_t deadline_ms, int *fd, bool *busy, char *note,
		  size_t notelen)
{
	int lfd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);

	*fd = -1;
	*busy = false;
	if (lfd < 0) {
		snprintf(note, notelen, "cannot open %s: %s", path, strerror(errno));
		return false;
	}
	while (flock(lfd, LOCK_EX | LOCK_NB) != 0) {
		struct timespec ts = { 0, 20 * 1000000 };

		if (errno != EWOULDBLOCK && errno != EINTR) {
			snprintf(note, notelen, "cannot lock %s: %s", path, strerror(errno));
			close(lfd);
			return false;
		}
		if (clock_remaining_ms(deadline_ms) <= 20) {
			snprintf(note, notelen, "%s stayed locked until the deadline", path);
			*busy = true;
			close(lfd);
			return false;
		}
		nanosleep(&ts, NULL);
	}
	*fd = lfd;
	return true;
}

void privdir_unlock(int *fd)
{
	if (*fd >= 0) {
		flock(*fd, LOCK_UN);
		close(*fd);
		*fd = -1;
	}
}
