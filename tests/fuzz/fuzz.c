/* libFuzzer entry: make fuzz builds one binary per FUZZ_TARGET */
#include <stddef.h>
#include <stdint.h>

#include "ivlite.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	iv_fuzz(FUZZ_TARGET, d, n);
	return 0;
}
