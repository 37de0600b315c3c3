/* fuzz_confesc for the replay of tests/unit/test_replay.c (see there). */
#define FUZZ_TARGET            12
#define LLVMFuzzerTestOneInput replay_confesc
#include "../fuzz_confesc.c"
