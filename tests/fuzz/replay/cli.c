/* fuzz_cli for the replay of tests/unit/test_replay.c (see there). */
#define FUZZ_TARGET            8
#define LLVMFuzzerTestOneInput replay_cli
#include "../fuzz_parse.c"
