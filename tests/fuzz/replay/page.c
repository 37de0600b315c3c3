/* fuzz_page for the replay of tests/unit/test_replay.c (see there). */
#define FUZZ_TARGET            3
#define LLVMFuzzerTestOneInput replay_page
#include "../fuzz_decode.c"
