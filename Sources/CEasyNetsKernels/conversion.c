#include "clones.h"

#include <string.h>

#include "EasyNetsConversionKernels.h"

static inline uint32_t bits_of(float x) {
    uint32_t b;
    memcpy(&b, &x, sizeof b);
    return b;
}

static inline float float_of(uint32_t b) {
    float x;
    memcpy(&x, &b, sizeof x);
    return x;
}

// x rounded to a float toward zero, its last bit set when that was inexact ("round to odd"):
// rounding the result to nearest at 8 or 11 significant bits equals rounding x directly. A NaN
// stays a NaN (its low bit may be set, which neither format keeps).
static inline float rounded_to_odd(double x) {
    float f = (float)x;
    double back = (double)f;
    uint32_t inexact = back != x;
    uint32_t away = (back < 0 ? -back : back) > (x < 0 ? -x : x);
    return float_of((bits_of(f) - (inexact & away)) | inexact);
}

static inline uint16_t bf16_bits(float x) {
    uint32_t b = bits_of(x);
    uint32_t nan = (b & 0x7FFFFFFFu) > 0x7F800000u;
    return (uint16_t)(nan ? (b >> 16) | 0x40u : (b + 0x7FFFu + ((b >> 16) & 1u)) >> 16);
}

// Normal results rebias the exponent (127 − 15) and round 13 bits away, a carry past the largest
// exponent giving ∞; below 2⁻¹⁴, adding 0.5 rounds x to a multiple of 2⁻²⁴ (0.5's ulp), whose
// count is the difference of the bit patterns.
static inline uint16_t f16_bits(float x) {
    uint32_t b = bits_of(x);
    uint32_t sign = (b >> 16) & 0x8000u, a = b & 0x7FFFFFFFu;
    uint32_t rebiased = a - 0x38000000u;
    uint32_t normal = (rebiased + 0x0FFFu + ((rebiased >> 13) & 1u)) >> 13;
    normal = normal < 0x7C00u ? normal : 0x7C00u;
    uint32_t subnormal = bits_of(float_of(a) + 0.5f) - 0x3F000000u;
    uint32_t magnitude = a > 0x7F800000u ? 0x7E00u : (a >= 0x38800000u ? normal : subnormal);
    return (uint16_t)(sign | magnitude);
}

static inline float bf16_value(uint16_t h) { return float_of((uint32_t)h << 16); }

static inline float f16_value(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exponent = (h >> 10) & 0x1Fu, fraction = h & 0x3FFu;
    float subnormal = float_of(bits_of((float)fraction * 0x1p-24f) | sign);
    uint32_t other = exponent == 31 ? sign | 0x7F800000u | fraction << 13 : sign | (exponent + 112) << 23 | fraction << 13;
    return exponent == 0 ? subnormal : float_of(other);
}

CLONES void easynets_encode_bf16_f32(const float *x, uint16_t *bits, ptrdiff_t n) {
    for (ptrdiff_t i = 0; i < n; i++) bits[i] = bf16_bits(x[i]);
}

CLONES void easynets_encode_bf16_f64(const double *x, uint16_t *bits, ptrdiff_t n) {
    for (ptrdiff_t i = 0; i < n; i++) bits[i] = bf16_bits(rounded_to_odd(x[i]));
}

CLONES void easynets_encode_f16_f32(const float *x, uint16_t *bits, ptrdiff_t n) {
    for (ptrdiff_t i = 0; i < n; i++) bits[i] = f16_bits(x[i]);
}

CLONES void easynets_encode_f16_f64(const double *x, uint16_t *bits, ptrdiff_t n) {
    for (ptrdiff_t i = 0; i < n; i++) bits[i] = f16_bits(rounded_to_odd(x[i]));
}

CLONES void easynets_decode_bf16_f32(const uint16_t *bits, float *y, ptrdiff_t n) {
    for (ptrdiff_t i = 0; i < n; i++) y[i] = bf16_value(bits[i]);
}

CLONES void easynets_decode_bf16_f64(const uint16_t *bits, double *y, ptrdiff_t n) {
    for (ptrdiff_t i = 0; i < n; i++) y[i] = (double)bf16_value(bits[i]);
}

CLONES void easynets_decode_f16_f32(const uint16_t *bits, float *y, ptrdiff_t n) {
    for (ptrdiff_t i = 0; i < n; i++) y[i] = f16_value(bits[i]);
}

CLONES void easynets_decode_f16_f64(const uint16_t *bits, double *y, ptrdiff_t n) {
    for (ptrdiff_t i = 0; i < n; i++) y[i] = (double)f16_value(bits[i]);
}

CLONES void easynets_sum_bf16(const uint16_t *a, uint16_t *sum, ptrdiff_t n) {
    for (ptrdiff_t i = 0; i < n; i++) sum[i] = bf16_bits(bf16_value(a[i]) + bf16_value(sum[i]));
}

CLONES void easynets_sum_f16(const uint16_t *a, uint16_t *sum, ptrdiff_t n) {
    for (ptrdiff_t i = 0; i < n; i++) sum[i] = f16_bits(f16_value(a[i]) + f16_value(sum[i]));
}
