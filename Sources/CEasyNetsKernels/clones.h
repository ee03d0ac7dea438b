// Shared by every kernel file, included first: how the loops are compiled.
#ifndef EASYNETS_CLONES_H
#define EASYNETS_CLONES_H

// No fused multiply-adds: each * and + rounds on its own, as in Swift. This is what lets a loop
// promise the bits of its Swift reference (scripts/check_kernels.sh checks every clone for them).
#pragma STDC FP_CONTRACT OFF
#ifdef __clang__
#pragma clang fp contract(off)
#endif

// One body per function, compiled once per vector width; the dynamic loader's ifunc resolver
// picks the clone for the running CPU. Elsewhere the plain baseline build is used.
#if defined(__x86_64__) && defined(__linux__) && defined(__clang__)
#define CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define CLONES
#endif

#endif
