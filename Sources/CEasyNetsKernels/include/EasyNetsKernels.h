// Memory-bound elementwise loops of EasyNets, compiled by clang for several x86-64 vector widths
// and picked at load time for the running CPU (see UpdateKernels.swift for why they are in C).
//
// Every loop performs exactly the floating-point operations of its Swift counterpart, in the same
// order, with no contraction into fused multiply-adds: results are bit-identical on every CPU.
#ifndef EASYNETS_KERNELS_H
#define EASYNETS_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/// SGD momentum, steady state (buffer exists, no weight decay), on a dense gradient:
/// b = mu·b + damp·g; p -= lr·(nesterov ? g + mu·b : b).
void easynets_sgd_momentum_f32(float *p, const float *g, float *b, ptrdiff_t n,
                               float lr, float mu, float damp, int nesterov);
void easynets_sgd_momentum_f64(double *p, const double *g, double *b, ptrdiff_t n,
                               double lr, double mu, double damp, int nesterov);

/// The same step for a gradient held as the outer product column·rowᵀ (rows × columns), each
/// element formed as column[i]·row[j].
void easynets_sgd_momentum_outer_f32(float *p, float *b, const float *column, const float *row,
                                     ptrdiff_t rows, ptrdiff_t columns, float lr, float mu, float damp,
                                     int nesterov);
void easynets_sgd_momentum_outer_f64(double *p, double *b, const double *column, const double *row,
                                     ptrdiff_t rows, ptrdiff_t columns, double lr, double mu, double damp,
                                     int nesterov);

/// Adam without AMSGrad or L2 weight decay, and AdamW: p = p·decay (decay = 1 − lr·λ for AdamW, 1 for
/// Adam); m = m + (g − m)·(1 − b1); v = v·b2 + (1 − b2)·g·g; p −= stepSize·(m / (√v / correction2Root + eps)).
void easynets_adam_f32(float *p, const float *g, float *m, float *v, ptrdiff_t n,
                       float b1, float b2, float stepSize, float correction2Root, float eps, float decay);
void easynets_adam_f64(double *p, const double *g, double *m, double *v, ptrdiff_t n,
                       double b1, double b2, double stepSize, double correction2Root, double eps, double decay);

/// RMSProp without centering, momentum or weight decay: s = s·a + (1 − a)·g·g; p −= lr·(g / (√s + eps)).
void easynets_rmsprop_f32(float *p, const float *g, float *squareAverage, ptrdiff_t n, float lr, float a, float eps);
void easynets_rmsprop_f64(double *p, const double *g, double *squareAverage, ptrdiff_t n, double lr, double a, double eps);

/// Adagrad without weight decay, at the step's decayed rate clr: sum += g·g; p −= clr·(g / (√sum + eps)).
void easynets_adagrad_f32(float *p, const float *g, float *sum, ptrdiff_t n, float clr, float eps);
void easynets_adagrad_f64(double *p, const double *g, double *sum, ptrdiff_t n, double clr, double eps);

/// The name of the code path the loader picked for this CPU ("avx512f", "avx2" or "baseline").
const char *easynets_kernels_isa(void);

/// Max pooling of `planes` (height × width) planes into (outHeight × outWidth) ones when every
/// kh × kw window (stride sh, sw; dilation dh, dw) lies inside its plane: each output is its
/// window's largest value (a NaN wins; the first of equals stays), `winners` its position in the plane.
void easynets_max_pool_f32(const float *input, float *output, int32_t *winners, ptrdiff_t planes,
                           ptrdiff_t height, ptrdiff_t width, ptrdiff_t outHeight, ptrdiff_t outWidth,
                           ptrdiff_t kh, ptrdiff_t kw, ptrdiff_t sh, ptrdiff_t sw, ptrdiff_t dh, ptrdiff_t dw);
void easynets_max_pool_f64(const double *input, double *output, int32_t *winners, ptrdiff_t planes,
                           ptrdiff_t height, ptrdiff_t width, ptrdiff_t outHeight, ptrdiff_t outWidth,
                           ptrdiff_t kh, ptrdiff_t kw, ptrdiff_t sh, ptrdiff_t sw, ptrdiff_t dh, ptrdiff_t dw);

/// Per channel c in first ..< first + count of (n, channels, plane) data, in one pass: sums[c] = Σ (a − ca[c]) and
/// products[c] = Σ (a − ca[c])·(b − cb[c]) (ca, cb NULL for 0; b NULL for a), accumulated in double
/// in a fixed order on every CPU.
void easynets_channel_moment_f32(const float *a, const float *b, ptrdiff_t n, ptrdiff_t channels, ptrdiff_t plane,
                                 ptrdiff_t first, ptrdiff_t count, const double *ca, const double *cb, double *sums,
                                 double *products);
void easynets_channel_moment_f64(const double *a, const double *b, ptrdiff_t n, ptrdiff_t channels, ptrdiff_t plane,
                                 ptrdiff_t first, ptrdiff_t count, const double *ca, const double *cb, double *sums,
                                 double *products);

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

/// ReLU as PyTorch: y = x < 0 ? 0 : x (NaN and −0 pass through); dx = x ≤ 0 ? 0 : dy.
void easynets_relu_f32(const float *x, float *y, ptrdiff_t n);
void easynets_relu_f64(const double *x, double *y, ptrdiff_t n);
void easynets_relu_backward_f32(const float *x, const float *dy, float *dx, ptrdiff_t n);
void easynets_relu_backward_f64(const double *x, const double *dy, double *dx, ptrdiff_t n);

// One LSTM step in Float: gates (batch, 4·h) in the order i, f, g, o become σ(i), σ(f), tanh(g),
// σ(o) (computed in double, rounded once); then c = f·previousCell + i·g, tanhCell = tanh(c),
// hidden = o·tanh(c), each (batch, h).
void easynets_lstm_cell_f32(float *gates, const float *previousCell, float *cell, float *tanhCell, float *hidden,
                            ptrdiff_t batch, ptrdiff_t h);

#endif
