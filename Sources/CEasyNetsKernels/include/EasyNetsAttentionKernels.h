// The softmax passes over blocks of attention score rows (see SelfAttentionHeads.swift), for float:
// the exponentials in double by a vectorized polynomial, the row sums as eight partial sums
// combined in a fixed order.
//
// Contract: each weight is e^(scale·s − lse) with lse the row's log-sum-exp rounded to float, so the
// backward pass recomputes exactly the forward's weights; within a few float ulps of the Swift
// loops (Kernels.attentionSoftmaxRowsLoop, Kernels.attentionWeightRowsLoop), not bit-identical.
#ifndef EASYNETS_ATTENTION_KERNELS_H
#define EASYNETS_ATTENTION_KERNELS_H

#include <stddef.h>

/// For each of `rows` rows of `keys` scores, the first visible0 + step·r of them visible (at most
/// keys): the visible scores scaled, their log-sum-exp into log_sum_exp[r], each replaced by its
/// weight e^(scale·s − lse), and the others by 0.
void easynets_attention_softmax_rows_f32(float *scores, ptrdiff_t rows, ptrdiff_t keys, ptrdiff_t visible0, ptrdiff_t step,
                                         float scale, float *log_sum_exp);

/// The same weights from the same (unscaled) scores and the saved log-sum-exps.
void easynets_attention_weight_rows_f32(float *scores, ptrdiff_t rows, ptrdiff_t keys, ptrdiff_t visible0, ptrdiff_t step,
                                        float scale, const float *log_sum_exp);

#endif
