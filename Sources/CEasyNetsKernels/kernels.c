#include "EasyNetsKernels.h"
#include <stdint.h>

// No fused multiply-adds: each * and + rounds on its own, as in Swift.
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

#define SGD_MOMENTUM(T, NAME)                                                                  \
    CLONES void NAME(T *restrict p, const T *restrict g, T *restrict b, ptrdiff_t n, T lr, T mu, \
                     T damp, int nesterov) {                                                   \
        if (nesterov) {                                                                        \
            for (ptrdiff_t i = 0; i < n; i++) {                                                \
                T v = mu * b[i] + damp * g[i];                                                 \
                b[i] = v;                                                                      \
                p[i] -= lr * (g[i] + mu * v);                                                  \
            }                                                                                  \
        } else {                                                                               \
            for (ptrdiff_t i = 0; i < n; i++) {                                                \
                T v = mu * b[i] + damp * g[i];                                                 \
                b[i] = v;                                                                      \
                p[i] -= lr * v;                                                                \
            }                                                                                  \
        }                                                                                      \
    }

SGD_MOMENTUM(float, easynets_sgd_momentum_f32)
SGD_MOMENTUM(double, easynets_sgd_momentum_f64)

#define SGD_MOMENTUM_OUTER(T, NAME)                                                            \
    CLONES void NAME(T *restrict p, T *restrict b, const T *restrict column,                  \
                     const T *restrict row, ptrdiff_t rows, ptrdiff_t columns, T lr, T mu,     \
                     T damp, int nesterov) {                                                   \
        for (ptrdiff_t i = 0; i < rows; i++) {                                                 \
            const T a = column[i];                                                             \
            T *restrict pr = p + i * columns;                                                  \
            T *restrict br = b + i * columns;                                                  \
            if (nesterov) {                                                                    \
                for (ptrdiff_t j = 0; j < columns; j++) {                                      \
                    T g = a * row[j];                                                          \
                    T v = mu * br[j] + damp * g;                                               \
                    br[j] = v;                                                                 \
                    pr[j] -= lr * (g + mu * v);                                                \
                }                                                                              \
            } else {                                                                           \
                for (ptrdiff_t j = 0; j < columns; j++) {                                      \
                    T v = mu * br[j] + damp * (a * row[j]);                                    \
                    br[j] = v;                                                                 \
                    pr[j] -= lr * v;                                                           \
                }                                                                              \
            }                                                                                  \
        }                                                                                      \
    }

SGD_MOMENTUM_OUTER(float, easynets_sgd_momentum_outer_f32)
SGD_MOMENTUM_OUTER(double, easynets_sgd_momentum_outer_f64)

// Adam without AMSGrad or L2 weight decay, and AdamW (decoupled decay: `decay` = 1 − lr·λ; exactly
// 1 for Adam, where p·1 = p). The square root is the correctly rounded IEEE one (no errno, so it
// vectorizes).
#define ADAM(T, NAME)                                                                          \
    CLONES void NAME(T *restrict p, const T *restrict g, T *restrict m, T *restrict v,          \
                     ptrdiff_t n, T b1, T b2, T stepSize, T correction2Root, T eps, T decay) { \
        for (ptrdiff_t i = 0; i < n; i++) {                                                    \
            T pi = p[i] * decay;                                                               \
            T grad = g[i];                                                                     \
            T mi = m[i] + (grad - m[i]) * (1 - b1);                                            \
            T vi = v[i] * b2 + (1 - b2) * grad * grad;                                         \
            m[i] = mi;                                                                         \
            v[i] = vi;                                                                         \
            p[i] = pi - stepSize * (mi / (__builtin_elementwise_sqrt(vi) / correction2Root + eps)); \
        }                                                                                      \
    }

ADAM(float, easynets_adam_f32)
ADAM(double, easynets_adam_f64)

// RMSProp, neither centered nor with momentum, and Adagrad, both without weight decay.
#define RMSPROP(T, NAME)                                                                       \
    CLONES void NAME(T *restrict p, const T *restrict g, T *restrict sa, ptrdiff_t n, T lr,     \
                     T a, T eps) {                                                             \
        for (ptrdiff_t i = 0; i < n; i++) {                                                    \
            T grad = g[i];                                                                     \
            T s = sa[i] * a + (1 - a) * grad * grad;                                           \
            sa[i] = s;                                                                         \
            p[i] -= lr * (grad / (__builtin_elementwise_sqrt(s) + eps));                       \
        }                                                                                      \
    }

RMSPROP(float, easynets_rmsprop_f32)
RMSPROP(double, easynets_rmsprop_f64)

#define ADAGRAD(T, NAME)                                                                       \
    CLONES void NAME(T *restrict p, const T *restrict g, T *restrict sum, ptrdiff_t n, T clr,   \
                     T eps) {                                                                  \
        for (ptrdiff_t i = 0; i < n; i++) {                                                    \
            T grad = g[i];                                                                     \
            T s = sum[i] + grad * grad;                                                        \
            sum[i] = s;                                                                        \
            p[i] -= clr * (grad / (__builtin_elementwise_sqrt(s) + eps));                      \
        }                                                                                      \
    }

ADAGRAD(float, easynets_adagrad_f32)
ADAGRAD(double, easynets_adagrad_f64)

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

// ReLU as PyTorch computes it: y = x < 0 ? 0 : x (NaN and −0 pass through); the gradient passes
// where x is not ≤ 0 (so also at NaN).
#define RELU(T, FORWARD, BACKWARD)                                                             \
    CLONES void FORWARD(const T *restrict x, T *restrict y, ptrdiff_t n) {                     \
        for (ptrdiff_t i = 0; i < n; i++) y[i] = x[i] < 0 ? 0 : x[i];                          \
    }                                                                                          \
    CLONES void BACKWARD(const T *restrict x, const T *restrict dy, T *restrict dx, ptrdiff_t n) { \
        for (ptrdiff_t i = 0; i < n; i++) dx[i] = x[i] <= 0 ? 0 : dy[i];                       \
    }

RELU(float, easynets_relu_f32, easynets_relu_backward_f32)
RELU(double, easynets_relu_f64, easynets_relu_backward_f64)

// e^x for x ≤ 0 in double, branch-free so that the LSTM loop below vectorizes: x = k·ln 2 + r
// with |r| ≤ ln 2 / 2 (Cody–Waite: k·LN2_HI is exact for |k| < 2^11), e^r by its Taylor polynomial
// to r^11 (relative error below 1e-15 there), 2^k put into the exponent bits. x is clamped at −708,
// where e^x ≈ 3e-308 is still normal; NaN stays NaN.
static inline double exp_nonpositive(double x) {
    const double shifter = 0x1.8p52, log2e = 0x1.71547652b82fep0;
    const double ln2_hi = 0x1.62e42fee00000p-1, ln2_lo = 0x1.a39ef35793c76p-33;
    x = x < -708.0 ? -708.0 : x;
    const double shifted = x * log2e + shifter;
    const double k = shifted - shifter;  // round(x·log2 e)
    const double r = (x - k * ln2_hi) - k * ln2_lo;
    double p = 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    uint64_t bits;
    __builtin_memcpy(&bits, &shifted, sizeof bits);  // k in the low mantissa bits
    const uint64_t scaleBits = (bits + 1023) << 52;
    double scale;
    __builtin_memcpy(&scale, &scaleBits, sizeof scale);
    return p * scale;
}

// The logistic function in double, as 1/(1 + e^−x) for x ≥ 0 and e^x/(1 + e^x) below.
static inline double sigmoid_double(double x) {
    const double e = exp_nonpositive(x < 0 ? x : -x);
    return x < 0 ? e / (1.0 + e) : 1.0 / (1.0 + e);
}

// tanh in double: x − x³/3 + 2x⁵/15 below |x| = 10⁻³, else ±(1 − e^−2|x|)/(1 + e^−2|x|).
static inline double tanh_double(double x) {
    const double magnitude = x < 0 ? -x : x, square = x * x;
    const double e = exp_nonpositive(-2.0 * magnitude);
    const double large = (1.0 - e) / (1.0 + e);
    const double small = x * (1.0 - square / 3.0 + 2.0 * square * square / 15.0);
    return magnitude < 1e-3 ? small : (x < 0 ? -large : large);
}

// One row of the step, each gate block its own restrict pointer, so that the loop vectorizes
// without a runtime overlap check between the blocks of one row.
static inline __attribute__((always_inline)) void lstm_row(
    float *restrict gi, float *restrict gf, float *restrict gg, float *restrict go, const float *restrict previousCell,
    float *restrict cell, float *restrict tanhCell, float *restrict hidden, ptrdiff_t h) {
    for (ptrdiff_t j = 0; j < h; j++) {
        const float input = (float)sigmoid_double(gi[j]), forget = (float)sigmoid_double(gf[j]);
        const float candidate = (float)tanh_double(gg[j]), output = (float)sigmoid_double(go[j]);
        gi[j] = input;
        gf[j] = forget;
        gg[j] = candidate;
        go[j] = output;
        const float c = forget * previousCell[j] + input * candidate;
        const float squashed = (float)tanh_double(c);
        cell[j] = c;
        tanhCell[j] = squashed;
        hidden[j] = output * squashed;
    }
}

// One LSTM step for a batch in Float, gates (batch, 4h) in PyTorch's order i, f, g, o replaced
// by their activations: σ(i), σ(f), tanh(g), σ(o) computed in double and rounded once (within a
// Float ulp of the exact values); c = f·c_prev + i·g, tanh(c) and h = o·tanh(c) in Float.
CLONES void easynets_lstm_cell_f32(float *restrict gates, const float *restrict previousCell, float *restrict cell,
                                   float *restrict tanhCell, float *restrict hidden, ptrdiff_t batch, ptrdiff_t h) {
    for (ptrdiff_t row = 0; row < batch; row++) {
        float *g = gates + row * 4 * h;
        const ptrdiff_t offset = row * h;
        lstm_row(g, g + h, g + 2 * h, g + 3 * h, previousCell + offset, cell + offset, tanhCell + offset, hidden + offset, h);
    }
}

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
