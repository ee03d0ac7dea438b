#include "clones.h"
#include "EasyNetsNormalizationKernels.h"

// Per channel c in first ..< first + count of (n, channels, plane) data, in one pass: sums[c] = Σ (a − ca[c]) and
// products[c] = Σ (a − ca[c])·(b − cb[c]) over images and positions (ca, cb NULL for 0; b NULL for
// a), accumulated in double. Eight partial sums each, fed the same elements in the same order on
// every CPU and combined in a fixed order: vectorized, and yet bit-identical whatever the vector width.
#define CHANNEL_MOMENT(T, NAME)                                                                \
    CLONES void NAME(const T *restrict a, const T *restrict b, ptrdiff_t n, ptrdiff_t channels, \
                     ptrdiff_t plane, ptrdiff_t first, ptrdiff_t count, const double *restrict ca, \
                     const double *restrict cb, double *restrict sums, double *restrict products) { \
        for (ptrdiff_t c = first; c < first + count; c++) {                                    \
            double s[8] = {0, 0, 0, 0, 0, 0, 0, 0}, q[8] = {0, 0, 0, 0, 0, 0, 0, 0};           \
            const double shiftA = ca ? ca[c] : 0, shiftB = cb ? cb[c] : 0;                     \
            for (ptrdiff_t image = 0; image < n; image++) {                                    \
                const T *restrict x = a + (image * channels + c) * plane;                      \
                const T *restrict y = (b ? b : a) + (image * channels + c) * plane;            \
                ptrdiff_t p = 0;                                                               \
                for (; p + 8 <= plane; p += 8) {                                               \
                    for (int k = 0; k < 8; k++) {                                              \
                        const double u = (double)x[p + k] - shiftA;                            \
                        s[k] += u;                                                             \
                        q[k] += u * ((double)y[p + k] - shiftB);                               \
                    }                                                                          \
                }                                                                              \
                for (; p < plane; p++) {                                                       \
                    const double u = (double)x[p] - shiftA;                                    \
                    s[p & 7] += u;                                                             \
                    q[p & 7] += u * ((double)y[p] - shiftB);                                   \
                }                                                                              \
            }                                                                                  \
            sums[c] = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));       \
            products[c] = ((q[0] + q[1]) + (q[2] + q[3])) + ((q[4] + q[5]) + (q[6] + q[7]));   \
        }                                                                                      \
    }

CHANNEL_MOMENT(float, easynets_channel_moment_f32)
CHANNEL_MOMENT(double, easynets_channel_moment_f64)

// y = x·alpha[c] + shift[c] for every value of channel c in first ..< first + count of (n, channels,
// plane) data: batch normalization's forward pass once its per-channel factors are known.
#define CHANNEL_AFFINE(T, NAME)                                                                \
    CLONES void NAME(const T *restrict x, T *restrict y, ptrdiff_t n, ptrdiff_t channels,      \
                     ptrdiff_t plane, ptrdiff_t first, ptrdiff_t count, const T *restrict alpha, \
                     const T *restrict shift) {                                                \
        for (ptrdiff_t c = first; c < first + count; c++) {                                    \
            const T a = alpha[c], b = shift[c];                                                \
            for (ptrdiff_t image = 0; image < n; image++) {                                    \
                const ptrdiff_t offset = (image * channels + c) * plane;                       \
                for (ptrdiff_t p = 0; p < plane; p++) y[offset + p] = x[offset + p] * a + b;   \
            }                                                                                  \
        }                                                                                      \
    }

CHANNEL_AFFINE(float, easynets_channel_affine_f32)
CHANNEL_AFFINE(double, easynets_channel_affine_f64)

// Batch normalization's input gradient for channels first ..< first + count:
// dx = (dy − meanGradient[c] − (x − mean[c])·k[c])·scale[c], added to dx when `accumulate`.
#define BATCH_NORM_BACKWARD(T, NAME)                                                           \
    CLONES void NAME(const T *restrict dy, const T *restrict x, T *restrict dx, ptrdiff_t n,   \
                     ptrdiff_t channels, ptrdiff_t plane, ptrdiff_t first, ptrdiff_t count,    \
                     const T *restrict meanGradient, const T *restrict mean, const T *restrict k, \
                     const T *restrict scale, int accumulate) {                                \
        for (ptrdiff_t c = first; c < first + count; c++) {                                    \
            const T g = meanGradient[c], mu = mean[c], kc = k[c], s = scale[c];                \
            for (ptrdiff_t image = 0; image < n; image++) {                                    \
                const ptrdiff_t offset = (image * channels + c) * plane;                       \
                if (accumulate) {                                                              \
                    for (ptrdiff_t p = 0; p < plane; p++)                                      \
                        dx[offset + p] += (dy[offset + p] - g - (x[offset + p] - mu) * kc) * s; \
                } else {                                                                       \
                    for (ptrdiff_t p = 0; p < plane; p++)                                      \
                        dx[offset + p] = (dy[offset + p] - g - (x[offset + p] - mu) * kc) * s; \
                }                                                                              \
            }                                                                                  \
        }                                                                                      \
    }

BATCH_NORM_BACKWARD(float, easynets_batch_norm_backward_f32)
BATCH_NORM_BACKWARD(double, easynets_batch_norm_backward_f64)
