// libFuzzer's driver entry point. It is linked only into builds made with
// `-Xswiftc -sanitize=fuzzer,address -Xswiftc -DEASYNETS_LIBFUZZER` (scripts/fuzz.sh); other builds
// never reference it.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
