/* fuzz_element for the replay of tests/unit/test_replay.c (see there). */
#define FUZZ_TARGET            10
#define LLVMFuzzerTestOneInput replay_element
#include "../fuzz_store.c"
