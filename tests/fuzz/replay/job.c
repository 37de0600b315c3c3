/* fuzz_job for the replay of tests/unit/test_replay.c (see there). */
#define FUZZ_TARGET            1
#define LLVMFuzzerTestOneInput replay_job
#include "../fuzz_decode.c"
