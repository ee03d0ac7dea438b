// Optimizer updates: the common configurations of SGD with momentum, Adam and AdamW, RMSProp and
// Adagrad, one pass over a parameter buffer each (Swift calls them through TensorScalar's
// _kernel… requirements; the general cases stay in Swift, in UpdateKernels.swift).
//
// Contract: bit-identical to the Swift reference loops on every CPU and vector width. Each loop
// performs exactly the floating-point operations of its Swift loop (UpdateKernels.sgdLoop,
// sgdOuterProductLoop, adamLoop, rmsPropLoop, adagradLoop), in the same order, with no contraction
// into fused multiply-adds, and its square roots are the correctly rounded IEEE ones.
#ifndef EASYNETS_OPTIMIZER_KERNELS_H
#define EASYNETS_OPTIMIZER_KERNELS_H

#include <stddef.h>

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

#endif
