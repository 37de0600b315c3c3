/* Reading small files that may hold secrets. */
#ifndef VSPC_READFILE_H
#define VSPC_READFILE_H

#include <sys/types.h>

#include "buf.h"

/* Reads the whole of @path into @out, which must be empty and whose cap is
 * the largest size accepted. Returns 0, or an errno value (EFBIG when the
 * file is larger than the cap, EISDIR for a directory, ...). When @mode is
 * not NULL it receives the file's st_mode. The caller releases @out with
 * buf_free_wipe(); on error nothing of the file is left in it. */
int readfile(const char *path, struct buf *out, mode_t *mode);

#endif
