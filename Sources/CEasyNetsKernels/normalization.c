#include "clones.h"
#include "EasyNetsNormalizationKernels.h"
#include "planes.h"
#include <math.h>

// Per channel c in first ..< first + count of (n, channels, plane) data, in one pass: sums[c] = Σ (a − ca[c]) and
// products[c] = Σ (a − ca[c])·(b − cb[c]) over images and positions (ca, cb NULL for 0; b NULL for
// a), accumulated in double. Eight partial sums each, fed the same elements in the same order on
// every CPU and combined in a fixed order: vectorized, and yet bit-identical whatever the vector width.
#define CHANNEL_MOMENT(T, NAME, PLANE)                                                         \
    CLONES void NAME(const T *restrict a, const T *restrict b, ptrdiff_t n, ptrdiff_t channels, \
                     ptrdiff_t plane, ptrdiff_t first, ptrdiff_t count, const double *restrict ca, \
                     const double *restrict cb, double *restrict sums, double *restrict products) { \
        for (ptrdiff_t c = first; c < first + count; c++) {                                    \
            double s[8] = {0, 0, 0, 0, 0, 0, 0, 0}, q[8] = {0, 0, 0, 0, 0, 0, 0, 0};           \
            const double shiftA = ca ? ca[c] : 0, shiftB = cb ? cb[c] : 0;                     \
            for (ptrdiff_t image = 0; image < n; image++) {                                    \
                const ptrdiff_t offset = (image * channels + c) * plane;                       \
                PLANE(a + offset, (b ? b : a) + offset, plane, shiftA, shiftB, s, q);          \
            }                                                                                  \
            sums[c] = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));       \
            products[c] = ((q[0] + q[1]) + (q[2] + q[3])) + ((q[4] + q[5]) + (q[6] + q[7]));   \
        }                                                                                      \
    }

CHANNEL_MOMENT(float, easynets_channel_moment_f32, moment_plane_f32)
CHANNEL_MOMENT(double, easynets_channel_moment_f64, moment_plane_f64)

// Per plane k of `planes` consecutive planes of `plane` values: shifts[k] = its first value (0 for
// an empty plane), sums[k] = Σ (x − shift) and squares[k] = Σ (x − shift)², in double as eight
// partial sums in a fixed order. Batch normalization's statistics combine the planes of each channel.
#define PLANE_MOMENT(T, NAME, PLANE)                                                           \
    CLONES void NAME(const T *restrict x, ptrdiff_t planes, ptrdiff_t plane, double *restrict shifts, \
                     double *restrict sums, double *restrict squares) {                        \
        for (ptrdiff_t k = 0; k < planes; k++) {                                               \
            const T *restrict values = x + k * plane;                                          \
            const double shift = plane > 0 ? (double)values[0] : 0;                            \
            double s[8] = {0, 0, 0, 0, 0, 0, 0, 0}, q[8] = {0, 0, 0, 0, 0, 0, 0, 0};           \
            PLANE(values, values, plane, shift, shift, s, q);                                  \
            shifts[k] = shift;                                                                 \
            sums[k] = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));       \
            squares[k] = ((q[0] + q[1]) + (q[2] + q[3])) + ((q[4] + q[5]) + (q[6] + q[7]));    \
        }                                                                                      \
    }

PLANE_MOMENT(float, easynets_plane_moment_f32, moment_plane_f32)
PLANE_MOMENT(double, easynets_plane_moment_f64, moment_plane_f64)

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
#define BATCH_NORM_BACKWARD(T, NAME, PLANE)                                                    \
    CLONES void NAME(const T *restrict dy, const T *restrict x, T *restrict dx, ptrdiff_t n,   \
                     ptrdiff_t channels, ptrdiff_t plane, ptrdiff_t first, ptrdiff_t count,    \
                     const T *restrict meanGradient, const T *restrict mean, const T *restrict k, \
                     const T *restrict scale, int accumulate) {                                \
        for (ptrdiff_t c = first; c < first + count; c++) {                                    \
            for (ptrdiff_t image = 0; image < n; image++) {                                    \
                const ptrdiff_t offset = (image * channels + c) * plane;                       \
                PLANE(dy + offset, x + offset, dx + offset, plane, meanGradient[c], mean[c], k[c], \
                      scale[c], accumulate);                                                   \
            }                                                                                  \
        }                                                                                      \
    }

BATCH_NORM_BACKWARD(float, easynets_batch_norm_backward_f32, batch_norm_backward_plane_f32)
BATCH_NORM_BACKWARD(double, easynets_batch_norm_backward_f64, batch_norm_backward_plane_f64)

// Batch normalization followed by ReLU, and optionally by max pooling (`window`, NULL for none),
// in the passes the normalization makes anyway. Each (image, channel) plane's values go through
// `scratch` (one plane, in cache) so that every value is computed by the same operations, in the
// same order, as the plain loops: the affine pass, ReLU (z < 0 ? 0 : z), the max-pooling plane;
// backward, ReLU's gradient (out ≤ 0 ? 0 : dOut) after the scatter to the winners, the moments'
// eight partial sums and batch normalization's input gradient.

// out = relu(x·alpha[c] + shift[c]), pooled through `window` when it is not NULL (then `winners`
// receives each output's position in its plane).
#define CHANNEL_AFFINE_RELU(T, NAME, POOL)                                                     \
    CLONES void NAME(const T *restrict x, T *restrict out, int32_t *restrict winners, ptrdiff_t n, \
                     ptrdiff_t channels, ptrdiff_t plane, const ptrdiff_t *restrict window,    \
                     ptrdiff_t first, ptrdiff_t count, const T *restrict alpha,                 \
                     const T *restrict shift, T *restrict scratch) {                           \
        const ptrdiff_t outPlane = window ? window[POOL_OUT_HEIGHT] * window[POOL_OUT_WIDTH] : plane; \
        for (ptrdiff_t c = first; c < first + count; c++) {                                    \
            const T a = alpha[c], b = shift[c];                                                \
            for (ptrdiff_t image = 0; image < n; image++) {                                    \
                const T *restrict source = x + (image * channels + c) * plane;                 \
                T *restrict target = window ? scratch : out + (image * channels + c) * plane;  \
                for (ptrdiff_t p = 0; p < plane; p++) {                                        \
                    const T z = source[p] * a + b;                                             \
                    target[p] = z < 0 ? 0 : z;                                                 \
                }                                                                              \
                if (window)                                                                    \
                    POOL(scratch, out + (image * channels + c) * outPlane,                     \
                         winners + (image * channels + c) * outPlane, window);                 \
            }                                                                                  \
        }                                                                                      \
    }

CHANNEL_AFFINE_RELU(float, easynets_channel_affine_relu_f32, max_pool_plane_f32)
CHANNEL_AFFINE_RELU(double, easynets_channel_affine_relu_f64, max_pool_plane_f64)

// The gradient reaching the normalization's output in one plane, into `scratch`: dOut routed to
// the winners (when pooled) and added onto zeros, as pooling's backward does, and zero where the
// ReLU's output is ≤ 0 (a winner's output is the pooled one, so the mask can go first, and
// overlapping windows that share a winner add the same way).
#define RELU_GRADIENT_PLANE(T, NAME)                                                           \
    PLANE_INLINE void NAME(const T *restrict dOut, const T *restrict out, const int32_t *restrict won, \
                           ptrdiff_t plane, const ptrdiff_t *restrict window, T *restrict scratch) { \
        if (!window) {                                                                         \
            for (ptrdiff_t p = 0; p < plane; p++) scratch[p] = out[p] <= 0 ? 0 : dOut[p];      \
            return;                                                                            \
        }                                                                                      \
        const ptrdiff_t outPlane = window[POOL_OUT_HEIGHT] * window[POOL_OUT_WIDTH];           \
        for (ptrdiff_t p = 0; p < plane; p++) scratch[p] = 0;                                  \
        for (ptrdiff_t q = 0; q < outPlane; q++) scratch[won[q]] += out[q] <= 0 ? 0 : dOut[q]; \
    }

RELU_GRADIENT_PLANE(float, relu_gradient_plane_f32)
RELU_GRADIENT_PLANE(double, relu_gradient_plane_f64)

// Per channel, the sums of backward through ReLU (and pooling): with dz the gradient at the
// normalization's output, sums[c] = Σ dz and products[c] = Σ dz·(x − mean[c]), as
// easynets_channel_moment computes them from a stored dz.
#define RELU_BATCH_NORM_MOMENT(T, NAME, GRADIENT, PLANE)                                       \
    CLONES void NAME(const T *restrict dOut, const T *restrict out, const int32_t *restrict winners, \
                     const T *restrict x, ptrdiff_t n, ptrdiff_t channels, ptrdiff_t plane,     \
                     const ptrdiff_t *restrict window, ptrdiff_t first, ptrdiff_t count,        \
                     const double *restrict mean, double *restrict sums, double *restrict products, \
                     T *restrict scratch) {                                                    \
        const ptrdiff_t outPlane = window ? window[POOL_OUT_HEIGHT] * window[POOL_OUT_WIDTH] : plane; \
        for (ptrdiff_t c = first; c < first + count; c++) {                                    \
            double s[8] = {0, 0, 0, 0, 0, 0, 0, 0}, q[8] = {0, 0, 0, 0, 0, 0, 0, 0};           \
            for (ptrdiff_t image = 0; image < n; image++) {                                    \
                const ptrdiff_t index = image * channels + c;                                  \
                GRADIENT(dOut + index * outPlane, out + index * outPlane,                      \
                         winners ? winners + index * outPlane : NULL, plane, window, scratch); \
                PLANE(scratch, x + index * plane, plane, 0, mean[c], s, q);                    \
            }                                                                                  \
            sums[c] = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));       \
            products[c] = ((q[0] + q[1]) + (q[2] + q[3])) + ((q[4] + q[5]) + (q[6] + q[7]));   \
        }                                                                                      \
    }

RELU_BATCH_NORM_MOMENT(float, easynets_relu_batch_norm_moment_f32, relu_gradient_plane_f32, moment_plane_f32)
RELU_BATCH_NORM_MOMENT(double, easynets_relu_batch_norm_moment_f64, relu_gradient_plane_f64, moment_plane_f64)

// Batch normalization's input gradient behind ReLU (and pooling):
// dx (+)= (dz − meanGradient[c] − (x − mean[c])·k[c])·scale[c].
#define RELU_BATCH_NORM_BACKWARD(T, NAME, GRADIENT, PLANE)                                     \
    CLONES void NAME(const T *restrict dOut, const T *restrict out, const int32_t *restrict winners, \
                     const T *restrict x, T *restrict dx, ptrdiff_t n, ptrdiff_t channels,     \
                     ptrdiff_t plane, const ptrdiff_t *restrict window, ptrdiff_t first,       \
                     ptrdiff_t count, const T *restrict meanGradient, const T *restrict mean,  \
                     const T *restrict k, const T *restrict scale, int accumulate,             \
                     T *restrict scratch) {                                                    \
        const ptrdiff_t outPlane = window ? window[POOL_OUT_HEIGHT] * window[POOL_OUT_WIDTH] : plane; \
        for (ptrdiff_t c = first; c < first + count; c++) {                                    \
            for (ptrdiff_t image = 0; image < n; image++) {                                    \
                const ptrdiff_t index = image * channels + c;                                  \
                GRADIENT(dOut + index * outPlane, out + index * outPlane,                      \
                         winners ? winners + index * outPlane : NULL, plane, window, scratch); \
                PLANE(scratch, x + index * plane, dx + index * plane, plane, meanGradient[c], mean[c], \
                      k[c], scale[c], accumulate);                                             \
            }                                                                                  \
        }                                                                                      \
    }

RELU_BATCH_NORM_BACKWARD(float, easynets_relu_batch_norm_backward_f32, relu_gradient_plane_f32,
                         batch_norm_backward_plane_f32)
RELU_BATCH_NORM_BACKWARD(double, easynets_relu_batch_norm_backward_f64, relu_gradient_plane_f64,
                         batch_norm_backward_plane_f64)

// Layer normalization of `rows` rows of `size` values: each row's moments about its first value
// (the moment plane above, in double), mean = shift + S/size, variance = max(Q/size − (S/size)², 0),
// rstd = 1/√(variance + ε) rounded to T; x̂ = (x − mean)·rstd into `normalized` and rstd into
// `reciprocals`, then y = x̂·weight + bias (either may be NULL) into `output`, which may be `normalized`.
#define LAYER_NORM(T, NAME, PLANE)                                                             \
    CLONES void NAME(const T *restrict x, ptrdiff_t rows, ptrdiff_t size, T epsilon, T *normalized, \
                     T *restrict reciprocals, const T *restrict weight, const T *restrict bias, T *output) { \
        for (ptrdiff_t r = 0; r < rows; r++) {                                                 \
            const T *restrict row = x + r * size;                                              \
            T *xh = normalized + r * size, *y = output + r * size;                             \
            const double shift = size > 0 ? (double)row[0] : 0;                                \
            double s[8] = {0, 0, 0, 0, 0, 0, 0, 0}, q[8] = {0, 0, 0, 0, 0, 0, 0, 0};           \
            PLANE(row, row, size, shift, shift, s, q);                                         \
            const double sum = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7])); \
            const double squares = ((q[0] + q[1]) + (q[2] + q[3])) + ((q[4] + q[5]) + (q[6] + q[7])); \
            const double meanShift = sum / (double)size, spread = squares / (double)size - meanShift * meanShift; \
            const T mean = (T)(shift + meanShift);                                             \
            const T rstd = (T)(1.0 / sqrt((spread > 0 ? spread : 0) + (double)epsilon));        \
            reciprocals[r] = rstd;                                                             \
            for (ptrdiff_t j = 0; j < size; j++) xh[j] = (row[j] - mean) * rstd;               \
            if (weight && bias) {                                                              \
                for (ptrdiff_t j = 0; j < size; j++) y[j] = xh[j] * weight[j] + bias[j];       \
            } else if (weight) {                                                               \
                for (ptrdiff_t j = 0; j < size; j++) y[j] = xh[j] * weight[j];                 \
            } else if (bias) {                                                                 \
                for (ptrdiff_t j = 0; j < size; j++) y[j] = xh[j] + bias[j];                   \
            } else if (y != xh) {                                                              \
                for (ptrdiff_t j = 0; j < size; j++) y[j] = xh[j];                             \
            }                                                                                  \
        }                                                                                      \
    }

LAYER_NORM(float, easynets_layer_norm_f32, moment_plane_f32)
LAYER_NORM(double, easynets_layer_norm_f64, moment_plane_f64)

// Layer normalization's input gradient for `rows` rows: with ĝ = g·weight (g without a weight),
// Σĝ and Σĝ·x̂ as eight partial sums in double (position mod 8, combined in a fixed order), their
// means rounded to T, then dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)).
#define LAYER_NORM_BACKWARD(T, NAME)                                                           \
    CLONES void NAME(const T *restrict g, const T *restrict normalized, const T *restrict reciprocals, \
                     const T *restrict weight, ptrdiff_t rows, ptrdiff_t size, T *restrict dx) { \
        for (ptrdiff_t r = 0; r < rows; r++) {                                                 \
            const T *restrict gr = g + r * size, *restrict xh = normalized + r * size;         \
            T *restrict d = dx + r * size;                                                     \
            double s[8] = {0, 0, 0, 0, 0, 0, 0, 0}, q[8] = {0, 0, 0, 0, 0, 0, 0, 0};           \
            ptrdiff_t j = 0;                                                                   \
            for (; j + 8 <= size; j += 8) {                                                    \
                for (int k = 0; k < 8; k++) {                                                  \
                    const T scaled = weight ? gr[j + k] * weight[j + k] : gr[j + k];           \
                    s[k] += (double)scaled;                                                    \
                    q[k] += (double)(scaled * xh[j + k]);                                      \
                }                                                                              \
            }                                                                                  \
            for (; j < size; j++) {                                                            \
                const T scaled = weight ? gr[j] * weight[j] : gr[j];                           \
                s[j & 7] += (double)scaled;                                                    \
                q[j & 7] += (double)(scaled * xh[j]);                                          \
            }                                                                                  \
            const double sum = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7])); \
            const double sumX = ((q[0] + q[1]) + (q[2] + q[3])) + ((q[4] + q[5]) + (q[6] + q[7])); \
            const T meanG = (T)(sum / (double)size), meanGX = (T)(sumX / (double)size), rstd = reciprocals[r]; \
            for (j = 0; j < size; j++) {                                                       \
                const T scaled = weight ? gr[j] * weight[j] : gr[j];                           \
                d[j] = rstd * (scaled - meanG - xh[j] * meanGX);                               \
            }                                                                                  \
        }                                                                                      \
    }

LAYER_NORM_BACKWARD(float, easynets_layer_norm_backward_f32)
LAYER_NORM_BACKWARD(double, easynets_layer_norm_backward_f64)

// The weight's and bias's gradients of layer normalization for columns first ..< first + count:
// dweight[j] += Σ_r g·x̂ and dbias[j] += Σ_r g, over rows in order (either may be NULL).
#define LAYER_NORM_PARAMETERS(T, NAME)                                                         \
    CLONES void NAME(const T *restrict g, const T *restrict normalized, ptrdiff_t rows, ptrdiff_t size, \
                     ptrdiff_t first, ptrdiff_t count, T *restrict dweight, T *restrict dbias) { \
        for (ptrdiff_t r = 0; r < rows; r++) {                                                 \
            const T *restrict gr = g + r * size + first, *restrict xh = normalized + r * size + first; \
            if (dweight) for (ptrdiff_t j = 0; j < count; j++) dweight[first + j] += gr[j] * xh[j]; \
            if (dbias) for (ptrdiff_t j = 0; j < count; j++) dbias[first + j] += gr[j];        \
        }                                                                                      \
    }

LAYER_NORM_PARAMETERS(float, easynets_layer_norm_parameters_f32)
LAYER_NORM_PARAMETERS(double, easynets_layer_norm_parameters_f64)
