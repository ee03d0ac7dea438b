// 16-bit floating-point formats held as bit patterns: bfloat16 (Float's upper half) and IEEE 754
// half precision, for data-parallel gradient sums that send 2 bytes a value.
//
// Contract: bit-identical to the Swift reference (SixteenBitFormat.encode, .decode, .sum) on every
// CPU. Encoding rounds to nearest, ties to even, overflow to ±∞, any NaN to a NaN (bfloat16 keeps
// the payload's upper bits and sets the quiet bit; half precision gives ±0x7E00). A double is
// rounded once, through a float rounded to odd. Decoding is exact.
#ifndef EASYNETS_CONVERSION_KERNELS_H
#define EASYNETS_CONVERSION_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/// bits[i] = x[i] rounded to bfloat16.
void easynets_encode_bf16_f32(const float *x, uint16_t *bits, ptrdiff_t n);
void easynets_encode_bf16_f64(const double *x, uint16_t *bits, ptrdiff_t n);
/// bits[i] = x[i] rounded to half precision.
void easynets_encode_f16_f32(const float *x, uint16_t *bits, ptrdiff_t n);
void easynets_encode_f16_f64(const double *x, uint16_t *bits, ptrdiff_t n);

/// y[i] = the value of the bfloat16 bits[i].
void easynets_decode_bf16_f32(const uint16_t *bits, float *y, ptrdiff_t n);
void easynets_decode_bf16_f64(const uint16_t *bits, double *y, ptrdiff_t n);
/// y[i] = the value of the half-precision bits[i].
void easynets_decode_f16_f32(const uint16_t *bits, float *y, ptrdiff_t n);
void easynets_decode_f16_f64(const uint16_t *bits, double *y, ptrdiff_t n);

/// sum[i] = a[i] + sum[i], added in float and rounded to the format.
void easynets_sum_bf16(const uint16_t *a, uint16_t *sum, ptrdiff_t n);
void easynets_sum_f16(const uint16_t *a, uint16_t *sum, ptrdiff_t n);

#endif
