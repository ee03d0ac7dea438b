#include "clones.h"
#include "EasyNetsPoolingKernels.h"

// Max pooling where every window lies inside the input. A NaN wins (v != v), as does a larger
// value; among equals the first tap in row order stays. The common 2×2 window at stride 2 has a
// loop of its own with constant strides, which the compiler vectorizes (compares and blends over
// deinterleaved even and odd columns); other windows keep each output's best in registers.
#define MAX_POOL(T, NAME)                                                                      \
    CLONES void NAME(const T *restrict input, T *restrict output, int32_t *restrict winners,   \
                     ptrdiff_t planes, ptrdiff_t height, ptrdiff_t width, ptrdiff_t outHeight,   \
                     ptrdiff_t outWidth, ptrdiff_t kh, ptrdiff_t kw, ptrdiff_t sh, ptrdiff_t sw,  \
                     ptrdiff_t dh, ptrdiff_t dw) {                                             \
        const int halving = kh == 2 && kw == 2 && sh == 2 && sw == 2 && dh == 1 && dw == 1;     \
        for (ptrdiff_t plane = 0; plane < planes; plane++) {                                   \
            const T *restrict in = input + plane * height * width;                             \
            for (ptrdiff_t oh = 0; oh < outHeight; oh++) {                                     \
                T *restrict best = output + (plane * outHeight + oh) * outWidth;               \
                int32_t *restrict won = winners + (plane * outHeight + oh) * outWidth;         \
                const ptrdiff_t top = oh * sh * width;                                         \
                if (halving) {                                                                 \
                    const T *restrict r0 = in + top, *restrict r1 = in + top + width;          \
                    for (ptrdiff_t ow = 0; ow < outWidth; ow++) {                              \
                        const int32_t i0 = (int32_t)(top + 2 * ow);                            \
                        T m = r0[2 * ow];                                                      \
                        int32_t w = i0;                                                        \
                        T v = r0[2 * ow + 1];                                                  \
                        int better = (v > m) | (v != v);                                       \
                        m = better ? v : m; w = better ? i0 + 1 : w;                           \
                        v = r1[2 * ow];                                                        \
                        better = (v > m) | (v != v);                                           \
                        m = better ? v : m; w = better ? i0 + (int32_t)width : w;              \
                        v = r1[2 * ow + 1];                                                    \
                        better = (v > m) | (v != v);                                           \
                        m = better ? v : m; w = better ? i0 + (int32_t)width + 1 : w;          \
                        best[ow] = m;                                                          \
                        won[ow] = w;                                                           \
                    }                                                                          \
                    continue;                                                                  \
                }                                                                              \
                for (ptrdiff_t ow = 0; ow < outWidth; ow++) {                                  \
                    const ptrdiff_t corner = top + ow * sw;                                    \
                    T m = in[corner];                                                          \
                    ptrdiff_t w = corner;                                                      \
                    for (ptrdiff_t r = 0; r < kh; r++) {                                       \
                        for (ptrdiff_t t = (r == 0); t < kw; t++) {                            \
                            const ptrdiff_t index = corner + r * dh * width + t * dw;          \
                            const T v = in[index];                                             \
                            const int better = (v > m) | (v != v);                             \
                            m = better ? v : m;                                                \
                            w = better ? index : w;                                            \
                        }                                                                      \
                    }                                                                          \
                    best[ow] = m;                                                              \
                    won[ow] = (int32_t)w;                                                      \
                }                                                                              \
            }                                                                                  \
        }                                                                                      \
    }

MAX_POOL(float, easynets_max_pool_f32)
MAX_POOL(double, easynets_max_pool_f64)
