/* fuzz_session for the replay of tests/unit/test_replay.c (see there). */
#define FUZZ_TARGET            2
#define LLVMFuzzerTestOneInput replay_session
#include "../fuzz_decode.c"
