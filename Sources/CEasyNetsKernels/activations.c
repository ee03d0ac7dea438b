#include "clones.h"
#include "EasyNetsActivationKernels.h"
#include "vector_math.h"
#include <math.h>

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

// Φ(x), the standard normal CDF, as erfc(|x|/√2)/2 reflected for x > 0, with erfc(z) for z ≥ 0 by
// the Chebyshev fit t·exp(−z² + P(t)), t = 1/(1 + z/2), whose fractional error is below 1.2e-7
// everywhere (Press et al., Numerical Recipes, erfcc).
static inline double gelu_cdf(double x) {
    const double z = fabs(x) * 0.70710678118654752440;
    const double t = 1.0 / (1.0 + 0.5 * z);
    const double poly = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
                      + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
    const double tail = t * exp_nonpositive_for_float(-z * z + poly);
    return x > 0 ? 1.0 - 0.5 * tail : 0.5 * tail;
}

// The exact GELU x·Φ(x) for float, computed in double: within 4 ulps of the exactly rounded value;
// Φ(x) rounded to float into `cdf` unless it is NULL.
CLONES void easynets_gelu_f32(const float *restrict x, float *restrict y, float *restrict cdf, ptrdiff_t n) {
    if (cdf) {
        for (ptrdiff_t i = 0; i < n; i++) {
            const double v = x[i], c = gelu_cdf(v);
            y[i] = (float)(v * c);
            cdf[i] = (float)c;
        }
    } else {
        for (ptrdiff_t i = 0; i < n; i++) {
            const double v = x[i];
            y[i] = (float)(v * gelu_cdf(v));
        }
    }
}

// Its gradient dx = dy·(Φ(x) + x·φ(x)), φ(x) = e^(−x²/2)/√(2π), for float, computed in double
// from the forward pass's Φ(x).
CLONES void easynets_gelu_backward_f32(const float *restrict x, const float *restrict cdf, const float *restrict dy,
                                       float *restrict dx, ptrdiff_t n) {
    for (ptrdiff_t i = 0; i < n; i++) {
        const double v = x[i];
        const double density = exp_nonpositive_for_float(-0.5 * v * v) * 0.39894228040143267794;
        dx[i] = (float)((double)dy[i] * ((double)cdf[i] + v * density));
    }
}
