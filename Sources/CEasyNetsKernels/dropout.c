#include "clones.h"
#include "EasyNetsDropoutKernels.h"

enum { DRAWS_PER_CHUNK = 256 };

static inline uint64_t rotate_left(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

// The generator runs serially, a chunk of draws at a time, into the halves of a small buffer (low
// half first, as element order needs); the masking then runs as a vector loop over the chunk.
#define DROPOUT(T, FORWARD, BACKWARD)                                                                        \
    CLONES void FORWARD(uint64_t *state, const T *x, const T *residual, T *y, uint8_t *keep, ptrdiff_t n,   \
                        uint32_t threshold, T factor) {                                                      \
        uint64_t s0 = state[0], s1 = state[1], s2 = state[2], s3 = state[3];                                 \
        uint32_t halves[2 * DRAWS_PER_CHUNK];                                                                \
        for (ptrdiff_t first = 0; first < n; first += 2 * DRAWS_PER_CHUNK) {                                 \
            const ptrdiff_t count = n - first < 2 * DRAWS_PER_CHUNK ? n - first : 2 * DRAWS_PER_CHUNK;       \
            for (ptrdiff_t d = 0; 2 * d < count; d++) {                                                      \
                const uint64_t bits = rotate_left(s1 * 5, 7) * 9;                                            \
                const uint64_t t = s1 << 17;                                                                 \
                s2 ^= s0;                                                                                    \
                s3 ^= s1;                                                                                    \
                s1 ^= s2;                                                                                    \
                s0 ^= s3;                                                                                    \
                s2 ^= t;                                                                                     \
                s3 = rotate_left(s3, 45);                                                                    \
                halves[2 * d] = (uint32_t)bits;                                                              \
                halves[2 * d + 1] = (uint32_t)(bits >> 32);                                                  \
            }                                                                                                \
            const T *in = x + first, *add = residual ? residual + first : NULL;                              \
            T *out = y + first;                                                                              \
            uint8_t *kept = keep ? keep + first : NULL;                                                      \
            if (kept && add) {                                                                               \
                for (ptrdiff_t i = 0; i < count; i++) {                                                      \
                    const int k = halves[i] >= threshold;                                                    \
                    out[i] = add[i] + in[i] * (k ? factor : 0);                                              \
                    kept[i] = (uint8_t)k;                                                                    \
                }                                                                                            \
            } else if (kept) {                                                                               \
                for (ptrdiff_t i = 0; i < count; i++) {                                                      \
                    const int k = halves[i] >= threshold;                                                    \
                    out[i] = in[i] * (k ? factor : 0);                                                       \
                    kept[i] = (uint8_t)k;                                                                    \
                }                                                                                            \
            } else if (add) {                                                                                \
                for (ptrdiff_t i = 0; i < count; i++) out[i] = add[i] + in[i] * (halves[i] >= threshold ? factor : 0); \
            } else {                                                                                         \
                for (ptrdiff_t i = 0; i < count; i++) out[i] = in[i] * (halves[i] >= threshold ? factor : 0); \
            }                                                                                                \
        }                                                                                                    \
        state[0] = s0;                                                                                       \
        state[1] = s1;                                                                                       \
        state[2] = s2;                                                                                       \
        state[3] = s3;                                                                                       \
    }                                                                                                        \
    CLONES void BACKWARD(const T *dy, const uint8_t *keep, T *dx, ptrdiff_t n, T factor) {                   \
        for (ptrdiff_t i = 0; i < n; i++) dx[i] = dy[i] * (keep[i] ? factor : 0);                            \
    }

DROPOUT(float, easynets_dropout_f32, easynets_dropout_backward_f32)
DROPOUT(double, easynets_dropout_f64, easynets_dropout_backward_f64)
