/* fuzz_snapshot for the replay of tests/unit/test_replay.c (see there). */
#define FUZZ_TARGET            9
#define LLVMFuzzerTestOneInput replay_snapshot
#include "../fuzz_store.c"
