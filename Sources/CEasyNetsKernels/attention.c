#include "clones.h"
#include "EasyNetsAttentionKernels.h"
#include "vector_math.h"
#include <math.h>

// Row r sees its first visible0 + step·r keys (at most keys).
static inline ptrdiff_t visible_keys(ptrdiff_t r, ptrdiff_t keys, ptrdiff_t visible0, ptrdiff_t step) {
    const ptrdiff_t visible = visible0 + step * r;
    return visible < keys ? visible : keys;
}

CLONES void easynets_attention_softmax_rows_f32(float *restrict scores, ptrdiff_t rows, ptrdiff_t keys, ptrdiff_t visible0,
                                                ptrdiff_t step, float scale, float *restrict log_sum_exp) {
    for (ptrdiff_t r = 0; r < rows; r++) {
        float *restrict row = scores + r * keys;
        const ptrdiff_t visible = visible_keys(r, keys, visible0, step);
        for (ptrdiff_t j = 0; j < visible; j++) row[j] *= scale;
        float m[8] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY};
        ptrdiff_t j = 0;
        for (; j + 8 <= visible; j += 8) {
            for (int k = 0; k < 8; k++) m[k] = row[j + k] > m[k] ? row[j + k] : m[k];
        }
        for (; j < visible; j++) m[j & 7] = row[j] > m[j & 7] ? row[j] : m[j & 7];
        float largest = m[0];
        for (int k = 1; k < 8; k++) largest = m[k] > largest ? m[k] : largest;
        double s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        j = 0;
        for (; j + 8 <= visible; j += 8) {
            for (int k = 0; k < 8; k++) s[k] += exp_nonpositive_for_float((double)row[j + k] - largest);
        }
        for (; j < visible; j++) s[j & 7] += exp_nonpositive_for_float((double)row[j] - largest);
        const double sum = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
        const float lse = (float)((double)largest + log(sum));
        log_sum_exp[r] = lse;
        for (j = 0; j < visible; j++) row[j] = (float)exp_nonpositive_for_float((double)row[j] - lse);
        for (j = visible; j < keys; j++) row[j] = 0;
    }
}

CLONES void easynets_attention_weight_rows_f32(float *restrict scores, ptrdiff_t rows, ptrdiff_t keys, ptrdiff_t visible0,
                                               ptrdiff_t step, float scale, const float *restrict log_sum_exp) {
    for (ptrdiff_t r = 0; r < rows; r++) {
        float *restrict row = scores + r * keys;
        const ptrdiff_t visible = visible_keys(r, keys, visible0, step);
        const double lse = log_sum_exp[r];
        for (ptrdiff_t j = 0; j < visible; j++) row[j] = (float)exp_nonpositive_for_float((double)(row[j] * scale) - lse);
        for (ptrdiff_t j = visible; j < keys; j++) row[j] = 0;
    }
}
