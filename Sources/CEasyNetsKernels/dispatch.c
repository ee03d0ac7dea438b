#include "EasyNetsKernelDispatch.h"

#if defined(__x86_64__) && defined(__linux__) && defined(__clang__)
const char *easynets_kernels_isa(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return "avx512f";
    if (__builtin_cpu_supports("avx2")) return "avx2";
    return "baseline";
}
#else
const char *easynets_kernels_isa(void) { return "baseline"; }
#endif
