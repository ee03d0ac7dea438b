// Elementwise activations that Swift compiles to branches, narrow vectors or scalar libm calls:
// ReLU and the exact GELU for float, and their gradients.
//
// Contract: ReLU is bit-identical to the Swift reference loops (Kernels.reluLoop,
// Kernels.reluBackwardLoop) on every CPU: it only compares and selects, so no value is ever
// rounded. The GELU loops promise an accuracy instead (below).
#ifndef EASYNETS_ACTIVATION_KERNELS_H
#define EASYNETS_ACTIVATION_KERNELS_H

#include <stddef.h>

/// ReLU as PyTorch: y = x < 0 ? 0 : x (NaN and −0 pass through); dx = x ≤ 0 ? 0 : dy.
void easynets_relu_f32(const float *x, float *y, ptrdiff_t n);
void easynets_relu_f64(const double *x, double *y, ptrdiff_t n);
void easynets_relu_backward_f32(const float *x, const float *dy, float *dx, ptrdiff_t n);
void easynets_relu_backward_f64(const double *x, const double *dy, double *dx, ptrdiff_t n);

/// The exact GELU y = x·Φ(x) and its gradient dx = dy·(Φ(x) + x·φ(x)) for float, computed in double
/// with a vectorized exponential and a Chebyshev fit of erfc (fractional error below 1.2e-7): y
/// within 4 ulps of x·Φ(x), dx within 4 ulps of |dy|·max(Φ(x), |x·φ(x)|) (the terms cancel near
/// x = −0.75); not bit-identical to a libm loop, and in the negative tail closer to x·Φ(x) than
/// x·½·(1 + erf(x/√2)), which loses its digits there. NaN gives NaN, and so do −∞ forward and +∞
/// backward, as the formula does. The forward pass stores Φ(x), rounded to float, into `cdf` unless
/// it is NULL; the backward pass takes it from there rather than computing it again.
void easynets_gelu_f32(const float *x, float *y, float *cdf, ptrdiff_t n);
void easynets_gelu_backward_f32(const float *x, const float *cdf, const float *dy, float *dx, ptrdiff_t n);

#endif
