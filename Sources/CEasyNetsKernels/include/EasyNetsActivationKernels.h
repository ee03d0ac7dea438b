// Elementwise activations that Swift compiles to branches or narrow vectors: ReLU and its gradient.
//
// Contract: bit-identical to the Swift reference loops (Kernels.reluLoop, Kernels.reluBackwardLoop)
// on every CPU: they only compare and select, so no value is ever rounded.
#ifndef EASYNETS_ACTIVATION_KERNELS_H
#define EASYNETS_ACTIVATION_KERNELS_H

#include <stddef.h>

/// ReLU as PyTorch: y = x < 0 ? 0 : x (NaN and −0 pass through); dx = x ≤ 0 ? 0 : dy.
void easynets_relu_f32(const float *x, float *y, ptrdiff_t n);
void easynets_relu_f64(const double *x, double *y, ptrdiff_t n);
void easynets_relu_backward_f32(const float *x, const float *dy, float *dx, ptrdiff_t n);
void easynets_relu_backward_f64(const double *x, const double *dy, double *dx, ptrdiff_t n);

#endif
