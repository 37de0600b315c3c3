/* fuzz_credentials for the replay of tests/unit/test_replay.c (see there). */
#define FUZZ_TARGET            6
#define LLVMFuzzerTestOneInput replay_credentials
#include "../fuzz_parse.c"
