// Dropout: the draws of a xoshiro256** generator and the masked, scaled values in one loop.
//
// Contract: bit-identical to the Swift reference loops (Kernels.dropoutLoop,
// Kernels.dropoutBackwardLoop) on every CPU. Element i is kept when its 32 random bits are at least
// `threshold` (p·2³² rounded down): the low half of draw i/2 for even i, the high half for odd i, so
// n elements advance the generator by ⌈n/2⌉ draws. Each value is multiplied by `factor` (1/(1 − p))
// when kept and by 0 when dropped, as x·mask is, so NaN and ±∞ give NaN where dropped; a residual
// is added after, as r + x·mask is.
#ifndef EASYNETS_DROPOUT_KERNELS_H
#define EASYNETS_DROPOUT_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/// y[i] = x[i]·(kept ? factor : 0), plus residual[i] when `residual` is not NULL (a residual
/// connection around a dropout), and keep[i] = kept (1 or 0) when `keep` is not NULL, drawing from
/// the four words of xoshiro256** state in `state`, which are advanced. `y` may be `x` or `residual`.
void easynets_dropout_f32(uint64_t *state, const float *x, const float *residual, float *y, uint8_t *keep, ptrdiff_t n,
                          uint32_t threshold, float factor);
void easynets_dropout_f64(uint64_t *state, const double *x, const double *residual, double *y, uint8_t *keep, ptrdiff_t n,
                          uint32_t threshold, double factor);

/// dx[i] = dy[i]·(keep[i] ? factor : 0). `dx` may be `dy`.
void easynets_dropout_backward_f32(const float *dy, const uint8_t *keep, float *dx, ptrdiff_t n, float factor);
void easynets_dropout_backward_f64(const double *dy, const uint8_t *keep, double *dx, ptrdiff_t n, double factor);

#endif
