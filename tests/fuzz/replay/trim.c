/* fuzz_trim for the replay of tests/unit/test_replay.c (see there). */
#define FUZZ_TARGET            11
#define LLVMFuzzerTestOneInput replay_trim
#include "../fuzz_trim.c"
