/* The end of a run that ran out of memory inside a library that cannot
 * report it (yajl's allocations are not checked by yajl itself): one
 * prepared UNKNOWN line on stdout, written with write(2), and exit code 3.
 * Never a crash, never a partial line. */
#ifndef VSPC_OOM_H
#define VSPC_OOM_H

/* the line, so that a test can hold it against output.h's prefix */
#define OOM_LINE "VSPC REPLICATION UNKNOWN - plugin fault: out of memory\n"

_Noreturn void oom_exit(void);

#endif
