#include "clones.h"
#include "EasyNetsPoolingKernels.h"
#include "planes.h"

// Max pooling where every window lies inside the input, plane by plane (max_pool_plane in planes.h).
#define MAX_POOL(T, NAME, PLANE)                                                               \
    CLONES void NAME(const T *restrict input, T *restrict output, int32_t *restrict winners,   \
                     ptrdiff_t planes, ptrdiff_t height, ptrdiff_t width, ptrdiff_t outHeight,   \
                     ptrdiff_t outWidth, ptrdiff_t kh, ptrdiff_t kw, ptrdiff_t sh, ptrdiff_t sw,  \
                     ptrdiff_t dh, ptrdiff_t dw) {                                             \
        const ptrdiff_t window[] = {height, width, outHeight, outWidth, kh, kw, sh, sw, dh, dw}; \
        for (ptrdiff_t plane = 0; plane < planes; plane++)                                     \
            PLANE(input + plane * height * width, output + plane * outHeight * outWidth,       \
                  winners + plane * outHeight * outWidth, window);                             \
    }

MAX_POOL(float, easynets_max_pool_f32, max_pool_plane_f32)
MAX_POOL(double, easynets_max_pool_f64, max_pool_plane_f64)
