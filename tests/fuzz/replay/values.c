/* fuzz_values for the replay of tests/unit/test_replay.c (see there). */
#define FUZZ_TARGET            5
#define LLVMFuzzerTestOneInput replay_values
#include "../fuzz_parse.c"
