/* fuzz_oauth for the replay of tests/unit/test_replay.c (see there). */
#define FUZZ_TARGET            4
#define LLVMFuzzerTestOneInput replay_oauth
#include "../fuzz_decode.c"
