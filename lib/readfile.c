#include "autoconfig.h"

#include "readfile.h"
#include "secret.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

int readfile(const char *path, struct buf *out, mode_t *mode)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	char chunk[4096];
	int rc = 0;

	if (fd < 0)
		return errno;
	if (fstat(fd, &st) != 0)
		rc = errno; /* and st is not filled in */
	else if (S_ISDIR(st.st_mode))
		rc = EISDIR;
	if (rc != 0) {
		close(fd);
		return rc;
	}
	if (mode)
		*mode = st.st_mode;
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof chunk);
		enum buf_error b;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = errno;
			break;
		}
		if (n == 0)
			break;
		b = buf_append(out, chunk, (size_t)n);
		if (b != BUF_OK) {
			rc = b == BUF_TOO_BIG ? EFBIG : ENOMEM;
			break;
		}
	}
	close(fd);
	secret_wipe(chunk, sizeof chunk);
	if (rc != 0)
		buf_free_wipe(out);
	return rc;
}
