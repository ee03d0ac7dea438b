// Batch normalization's per-channel passes over (n, channels, plane) data, for channels
// first ..< first + count (callers split the channels across threads), and layer normalization's
// passes over rows of values.
//
// Contract: bit-identical to the Swift reference loops (Kernels+Normalization.swift) on every CPU
// and vector width: the same operations in the same order, no fused multiply-adds. The moments
// sum in eight double partial sums indexed by position mod 8, each fed its elements in order and
// combined in a fixed order: vectorized, and yet the same bits whatever the vector width.
#ifndef EASYNETS_NORMALIZATION_KERNELS_H
#define EASYNETS_NORMALIZATION_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/// Per channel c in first ..< first + count of (n, channels, plane) data, in one pass: sums[c] = Σ (a − ca[c]) and
/// products[c] = Σ (a − ca[c])·(b − cb[c]) (ca, cb NULL for 0; b NULL for a), accumulated in double.
void easynets_channel_moment_f32(const float *a, const float *b, ptrdiff_t n, ptrdiff_t channels, ptrdiff_t plane,
                                 ptrdiff_t first, ptrdiff_t count, const double *ca, const double *cb, double *sums,
                                 double *products);
void easynets_channel_moment_f64(const double *a, const double *b, ptrdiff_t n, ptrdiff_t channels, ptrdiff_t plane,
                                 ptrdiff_t first, ptrdiff_t count, const double *ca, const double *cb, double *sums,
                                 double *products);

/// Per plane k of `planes` consecutive planes of `plane` values: shifts[k] = its first value (0 for
/// an empty plane), sums[k] = Σ (x − shifts[k]) and squares[k] = Σ (x − shifts[k])², accumulated in double.
void easynets_plane_moment_f32(const float *x, ptrdiff_t planes, ptrdiff_t plane, double *shifts, double *sums,
                               double *squares);
void easynets_plane_moment_f64(const double *x, ptrdiff_t planes, ptrdiff_t plane, double *shifts, double *sums,
                               double *squares);

/// y = x·alpha[c] + shift[c] for channels c in first ..< first + count of (n, channels, plane) data.
void easynets_channel_affine_f32(const float *x, float *y, ptrdiff_t n, ptrdiff_t channels, ptrdiff_t plane,
                                 ptrdiff_t first, ptrdiff_t count, const float *alpha, const float *shift);
void easynets_channel_affine_f64(const double *x, double *y, ptrdiff_t n, ptrdiff_t channels, ptrdiff_t plane,
                                 ptrdiff_t first, ptrdiff_t count, const double *alpha, const double *shift);

/// Batch normalization's input gradient for channels c in first ..< first + count:
/// dx = (dy − meanGradient[c] − (x − mean[c])·k[c])·scale[c], added to dx when `accumulate` is nonzero.
void easynets_batch_norm_backward_f32(const float *dy, const float *x, float *dx, ptrdiff_t n, ptrdiff_t channels,
                                      ptrdiff_t plane, ptrdiff_t first, ptrdiff_t count, const float *meanGradient,
                                      const float *mean, const float *k, const float *scale, int accumulate);
void easynets_batch_norm_backward_f64(const double *dy, const double *x, double *dx, ptrdiff_t n, ptrdiff_t channels,
                                      ptrdiff_t plane, ptrdiff_t first, ptrdiff_t count, const double *meanGradient,
                                      const double *mean, const double *k, const double *scale, int accumulate);

/// Batch normalization → ReLU (→ max pooling) in the normalization's own passes, for channels c in
/// first ..< first + count. `window` is NULL without pooling, else the pooling's 10 sizes in the
/// order of EasyNetsPoolingKernels.h (every window inside its plane); `out` (and `dOut`) is then
/// (n, channels, outHeight·outWidth) and `winners` its positions, else both are (n, channels, plane)
/// and `winners` is unused. `scratch` holds one plane. Every value equals the plain loops' (the
/// affine pass, ReLU, max pooling; ReLU's and pooling's gradients, the moments and the input gradient).

/// out = relu(x·alpha[c] + shift[c]), max-pooled through `window` when it is not NULL.
void easynets_channel_affine_relu_f32(const float *x, float *out, int32_t *winners, ptrdiff_t n, ptrdiff_t channels,
                                      ptrdiff_t plane, const ptrdiff_t *window, ptrdiff_t first, ptrdiff_t count,
                                      const float *alpha, const float *shift, float *scratch);
void easynets_channel_affine_relu_f64(const double *x, double *out, int32_t *winners, ptrdiff_t n, ptrdiff_t channels,
                                      ptrdiff_t plane, const ptrdiff_t *window, ptrdiff_t first, ptrdiff_t count,
                                      const double *alpha, const double *shift, double *scratch);

/// With dz the gradient at the normalization's output (dOut routed to the winners, zero where
/// `out` ≤ 0): sums[c] = Σ dz and products[c] = Σ dz·(x − mean[c]), as easynets_channel_moment.
void easynets_relu_batch_norm_moment_f32(const float *dOut, const float *out, const int32_t *winners, const float *x,
                                         ptrdiff_t n, ptrdiff_t channels, ptrdiff_t plane, const ptrdiff_t *window,
                                         ptrdiff_t first, ptrdiff_t count, const double *mean, double *sums,
                                         double *products, float *scratch);
void easynets_relu_batch_norm_moment_f64(const double *dOut, const double *out, const int32_t *winners, const double *x,
                                         ptrdiff_t n, ptrdiff_t channels, ptrdiff_t plane, const ptrdiff_t *window,
                                         ptrdiff_t first, ptrdiff_t count, const double *mean, double *sums,
                                         double *products, double *scratch);

/// dx (+)= (dz − meanGradient[c] − (x − mean[c])·k[c])·scale[c], with dz as above, added when
/// `accumulate` is nonzero.
void easynets_relu_batch_norm_backward_f32(const float *dOut, const float *out, const int32_t *winners, const float *x,
                                           float *dx, ptrdiff_t n, ptrdiff_t channels, ptrdiff_t plane,
                                           const ptrdiff_t *window, ptrdiff_t first, ptrdiff_t count,
                                           const float *meanGradient, const float *mean, const float *k,
                                           const float *scale, int accumulate, float *scratch);
void easynets_relu_batch_norm_backward_f64(const double *dOut, const double *out, const int32_t *winners,
                                           const double *x, double *dx, ptrdiff_t n, ptrdiff_t channels,
                                           ptrdiff_t plane, const ptrdiff_t *window, ptrdiff_t first, ptrdiff_t count,
                                           const double *meanGradient, const double *mean, const double *k,
                                           const double *scale, int accumulate, double *scratch);

/// Layer normalization of `rows` rows of `size` values: each row's mean and variance from its
/// moments about its first value (in double, as easynets_plane_moment sums them), rstd =
/// 1/√(max(variance, 0) + ε) rounded to the element type; x̂ = (x − mean)·rstd into `normalized`,
/// rstd into `reciprocals`, y = x̂·weight + bias (weight, bias or both may be NULL) into `output`,
/// which may be `normalized`.
void easynets_layer_norm_f32(const float *x, ptrdiff_t rows, ptrdiff_t size, float epsilon, float *normalized,
                             float *reciprocals, const float *weight, const float *bias, float *output);
void easynets_layer_norm_f64(const double *x, ptrdiff_t rows, ptrdiff_t size, double epsilon, double *normalized,
                             double *reciprocals, const double *weight, const double *bias, double *output);

/// Its input gradient: with ĝ = g·weight (g when weight is NULL), Σĝ and Σĝ·x̂ per row in double as
/// eight partial sums (position mod 8, combined in a fixed order), their means rounded to the
/// element type, then dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)).
void easynets_layer_norm_backward_f32(const float *g, const float *normalized, const float *reciprocals,
                                      const float *weight, ptrdiff_t rows, ptrdiff_t size, float *dx);
void easynets_layer_norm_backward_f64(const double *g, const double *normalized, const double *reciprocals,
                                      const double *weight, ptrdiff_t rows, ptrdiff_t size, double *dx);

/// Its weight's and bias's gradients for columns first ..< first + count: dweight[j] += Σ g·x̂ and
/// dbias[j] += Σ g over the rows in order (either may be NULL).
void easynets_layer_norm_parameters_f32(const float *g, const float *normalized, ptrdiff_t rows, ptrdiff_t size,
                                        ptrdiff_t first, ptrdiff_t count, float *dweight, float *dbias);
void easynets_layer_norm_parameters_f64(const double *g, const double *normalized, ptrdiff_t rows, ptrdiff_t size,
                                        ptrdiff_t first, ptrdiff_t count, double *dweight, double *dbias);

#endif
