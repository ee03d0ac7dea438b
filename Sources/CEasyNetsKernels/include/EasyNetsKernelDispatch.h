// Which clone of the kernels runs: every other kernel is compiled by clang's target_clones for
// AVX-512, AVX2 and baseline x86-64, and the dynamic loader picks one for the running CPU.
#ifndef EASYNETS_KERNEL_DISPATCH_H
#define EASYNETS_KERNEL_DISPATCH_H

/// The name of the code path the loader picked for this CPU ("avx512f", "avx2" or "baseline").
const char *easynets_kernels_isa(void);

#endif
