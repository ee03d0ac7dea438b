// Vectorizable elementary functions shared by the kernel files, in double (static inline, so each
// clone of a caller compiles them for its own vector width).
#ifndef EASYNETS_VECTOR_MATH_H
#define EASYNETS_VECTOR_MATH_H

#include <stdint.h>

// e^x for x ≤ 0 in double, branch-free so that the loops calling it vectorize: x = k·ln 2 + r
// with |r| ≤ ln 2 / 2 (Cody–Waite: k·LN2_HI is exact for |k| < 2^11), e^r by its Taylor polynomial
// to r^degree (degree 11 or 7, a constant once inlined), 2^k put into the exponent bits. Below −708
// (−∞ included) the result is 0; NaN stays NaN. Small positive x (up to ln 2 / 2) is exact too.
static inline double exp_nonpositive_to_degree(double x, int degree) {
    const double shifter = 0x1.8p52, log2e = 0x1.71547652b82fep0;
    const double ln2_hi = 0x1.62e42fee00000p-1, ln2_lo = 0x1.a39ef35793c76p-33;
    const double v = x < -708.0 ? -708.0 : x;
    const double shifted = v * log2e + shifter;
    const double k = shifted - shifter;  // round(v·log2 e)
    const double r = (v - k * ln2_hi) - k * ln2_lo;
    double p = 1.0 / 5040.0;
    if (degree > 7) {
        p = 1.0 / 39916800.0;
        p = p * r + 1.0 / 3628800.0;
        p = p * r + 1.0 / 362880.0;
        p = p * r + 1.0 / 40320.0;
        p = p * r + 1.0 / 5040.0;
    }
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    uint64_t bits;
    __builtin_memcpy(&bits, &shifted, sizeof bits);  // k in the low mantissa bits
    const uint64_t scaleBits = (bits + 1023) << 52;
    double scale;
    __builtin_memcpy(&scale, &scaleBits, sizeof scale);
    return x < -708.0 ? 0.0 : p * scale;
}

// To r^11: relative error below 1e-15.
static inline double exp_nonpositive(double x) { return exp_nonpositive_to_degree(x, 11); }

// To r^7, for results rounded to float: relative error below 8e-9 (r^8/8!·e^r at |r| = ln 2 / 2),
// an eighth of a float ulp.
static inline double exp_nonpositive_for_float(double x) { return exp_nonpositive_to_degree(x, 7); }

#endif
