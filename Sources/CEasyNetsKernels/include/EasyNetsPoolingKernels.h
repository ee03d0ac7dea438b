// Max pooling over windows that lie inside their planes (Swift handles padded windows).
//
// Contract: bit-identical to the Swift reference loop (maxPoolPlanes in Pooling.swift) on every
// CPU: outputs are input values chosen by comparisons, never rounded, and the same window
// position wins.
#ifndef EASYNETS_POOLING_KERNELS_H
#define EASYNETS_POOLING_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/// Callers that pass a window as one array (the fused normalization loops) give these 10 sizes in
/// this order: height, width, outHeight, outWidth, kh, kw, sh, sw, dh, dw.

/// Max pooling of `planes` (height × width) planes into (outHeight × outWidth) ones when every
/// kh × kw window (stride sh, sw; dilation dh, dw) lies inside its plane: each output is its
/// window's largest value (a NaN wins; the first of equals stays), `winners` its position in the plane.
void easynets_max_pool_f32(const float *input, float *output, int32_t *winners, ptrdiff_t planes,
                           ptrdiff_t height, ptrdiff_t width, ptrdiff_t outHeight, ptrdiff_t outWidth,
                           ptrdiff_t kh, ptrdiff_t kw, ptrdiff_t sh, ptrdiff_t sw, ptrdiff_t dh, ptrdiff_t dw);
void easynets_max_pool_f64(const double *input, double *output, int32_t *winners, ptrdiff_t planes,
                           ptrdiff_t height, ptrdiff_t width, ptrdiff_t outHeight, ptrdiff_t outWidth,
                           ptrdiff_t kh, ptrdiff_t kw, ptrdiff_t sh, ptrdiff_t sw, ptrdiff_t dh, ptrdiff_t dw);

#endif
