/* fuzz_ini for the replay of tests/unit/test_replay.c (see there). */
#define FUZZ_TARGET            7
#define LLVMFuzzerTestOneInput replay_ini
#include "../fuzz_parse.c"
