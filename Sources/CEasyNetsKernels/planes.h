// Per-plane bodies shared by the pooling and normalization loops, so a fused loop (batch
// normalization → ReLU → max pooling) runs exactly the operations of the plain ones. Each is
// inlined into its caller's clones.
#ifndef EASYNETS_PLANES_H
#define EASYNETS_PLANES_H

#include <stddef.h>
#include <stdint.h>

#define PLANE_INLINE static inline __attribute__((always_inline))

// A max-pooling window over one plane, every window inside it; the order of the ptrdiff_t array
// callers pass (see EasyNetsPoolingKernels.h).
enum { POOL_HEIGHT, POOL_WIDTH, POOL_OUT_HEIGHT, POOL_OUT_WIDTH, POOL_KH, POOL_KW, POOL_SH, POOL_SW, POOL_DH, POOL_DW };

// One output of the 2×2 window at stride 2: a NaN wins (v != v), as does a larger value; among
// equals the first tap in row order stays.
#define HALVING_OUTPUT(T, ow)                                                                     \
    do {                                                                                       \
        const int32_t i0 = (int32_t)(top + 2 * (ow));                                          \
        T m = r0[2 * (ow)];                                                                    \
        int32_t w = i0;                                                                        \
        T v = r0[2 * (ow) + 1];                                                                \
        int better = (v > m) | (v != v);                                                       \
        m = better ? v : m; w = better ? i0 + 1 : w;                                           \
        v = r1[2 * (ow)];                                                                      \
        better = (v > m) | (v != v);                                                           \
        m = better ? v : m; w = better ? i0 + (int32_t)width : w;                              \
        v = r1[2 * (ow) + 1];                                                                  \
        better = (v > m) | (v != v);                                                           \
        m = better ? v : m; w = better ? i0 + (int32_t)width + 1 : w;                          \
        best[ow] = m;                                                                          \
        won[ow] = w;                                                                           \
    } while (0)

// A row of 2×2 outputs in blocks of B (a constant, so each block compiles to vector compares and
// blends); the last block is moved back to end at the row's end and recomputes a few outputs
// with the same values, so short rows (7 or 14 outputs) are vectorized too.
#define HALVING_BLOCKS(T, B)                                                                      \
    for (ptrdiff_t start = 0;; start += (B)) {                                                 \
        if (start > outWidth - (B)) start = outWidth - (B);                                    \
        for (ptrdiff_t j = 0; j < (B); j++) HALVING_OUTPUT(T, start + j);                         \
        if (start + (B) >= outWidth) break;                                                    \
    }

// Max pooling of one plane: each output's largest input in its window and the winner's position.
#define MAX_POOL_PLANE(T, NAME)                                                                \
    PLANE_INLINE void NAME(const T *restrict in, T *restrict output, int32_t *restrict winners, \
                           const ptrdiff_t *restrict window) {                                 \
        const ptrdiff_t width = window[POOL_WIDTH];                                            \
        const ptrdiff_t outHeight = window[POOL_OUT_HEIGHT], outWidth = window[POOL_OUT_WIDTH]; \
        const ptrdiff_t kh = window[POOL_KH], kw = window[POOL_KW], sh = window[POOL_SH];      \
        const ptrdiff_t sw = window[POOL_SW], dh = window[POOL_DH], dw = window[POOL_DW];      \
        const int halving = kh == 2 && kw == 2 && sh == 2 && sw == 2 && dh == 1 && dw == 1;     \
        for (ptrdiff_t oh = 0; oh < outHeight; oh++) {                                         \
            T *restrict best = output + oh * outWidth;                                         \
            int32_t *restrict won = winners + oh * outWidth;                                   \
            const ptrdiff_t top = oh * sh * width;                                             \
            if (halving) {                                                                     \
                const T *restrict r0 = in + top, *restrict r1 = in + top + width;              \
                if (outWidth >= 8) {                                                           \
                    HALVING_BLOCKS(T, 8)                                                        \
                } else if (outWidth >= 4) {                                                    \
                    HALVING_BLOCKS(T, 4)                                                        \
                } else {                                                                       \
                    for (ptrdiff_t ow = 0; ow < outWidth; ow++) HALVING_OUTPUT(T, ow);         \
                }                                                                              \
                continue;                                                                      \
            }                                                                                  \
            for (ptrdiff_t ow = 0; ow < outWidth; ow++) {                                      \
                const ptrdiff_t corner = top + ow * sw;                                        \
                T m = in[corner];                                                              \
                ptrdiff_t w = corner;                                                          \
                for (ptrdiff_t r = 0; r < kh; r++) {                                           \
                    for (ptrdiff_t t = (r == 0); t < kw; t++) {                                \
                        const ptrdiff_t index = corner + r * dh * width + t * dw;              \
                        const T v = in[index];                                                 \
                        const int better = (v > m) | (v != v);                                 \
                        m = better ? v : m;                                                    \
                        w = better ? index : w;                                                \
                    }                                                                          \
                }                                                                              \
                best[ow] = m;                                                                  \
                won[ow] = (int32_t)w;                                                          \
            }                                                                                  \
        }                                                                                      \
    }

MAX_POOL_PLANE(float, max_pool_plane_f32)
MAX_POOL_PLANE(double, max_pool_plane_f64)

// Σ (a − shiftA) and Σ (a − shiftA)·(b − shiftB) over one plane, in double, into the eight partial
// sums s and q indexed by position mod 8: the order every channel-moment loop feeds them.
#define MOMENT_PLANE(T, NAME)                                                                  \
    PLANE_INLINE void NAME(const T *restrict x, const T *restrict y, ptrdiff_t plane, double shiftA, \
                           double shiftB, double *restrict s, double *restrict q) {            \
        ptrdiff_t p = 0;                                                                       \
        for (; p + 8 <= plane; p += 8) {                                                       \
            for (int k = 0; k < 8; k++) {                                                      \
                const double u = (double)x[p + k] - shiftA;                                    \
                s[k] += u;                                                                     \
                q[k] += u * ((double)y[p + k] - shiftB);                                       \
            }                                                                                  \
        }                                                                                      \
        for (; p < plane; p++) {                                                               \
            const double u = (double)x[p] - shiftA;                                            \
            s[p & 7] += u;                                                                     \
            q[p & 7] += u * ((double)y[p] - shiftB);                                           \
        }                                                                                      \
    }

MOMENT_PLANE(float, moment_plane_f32)
MOMENT_PLANE(double, moment_plane_f64)

// Batch normalization's input gradient over one plane:
// dx (+)= (dy − g − (x − mu)·k)·s, added when `accumulate`.
#define BATCH_NORM_BACKWARD_PLANE(T, NAME)                                                     \
    PLANE_INLINE void NAME(const T *restrict dy, const T *restrict x, T *restrict dx, ptrdiff_t plane, \
                           T g, T mu, T k, T s, int accumulate) {                              \
        if (accumulate) {                                                                      \
            for (ptrdiff_t p = 0; p < plane; p++) dx[p] += (dy[p] - g - (x[p] - mu) * k) * s;   \
        } else {                                                                               \
            for (ptrdiff_t p = 0; p < plane; p++) dx[p] = (dy[p] - g - (x[p] - mu) * k) * s;    \
        }                                                                                      \
    }

BATCH_NORM_BACKWARD_PLANE(float, batch_norm_backward_plane_f32)
BATCH_NORM_BACKWARD_PLANE(double, batch_norm_backward_plane_f64)

#endif
