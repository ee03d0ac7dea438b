// Recurrent cells: the LSTM step in Float (Double runs the Swift reference, Kernels.lstmCellLoop).
//
// Contract: NOT bit-identical to the Swift reference. The gate activations come from a
// polynomial exp evaluated in double (so that the loop vectorizes) and are rounded to Float once:
// each is within one Float ulp of the correctly rounded σ or tanh (RecurrentTests checks this),
// while the Swift loop's Float exp and tanh may round differently. From those activations,
// c = f·previousCell + i·g and h = o·tanh(c) are formed in Float exactly as the Swift loop forms
// them (no fused multiply-adds), and tanh(c) is again within a Float ulp. The result is the same
// on every CPU and vector width.
#ifndef EASYNETS_RECURRENT_KERNELS_H
#define EASYNETS_RECURRENT_KERNELS_H

#include <stddef.h>

/// One LSTM step in Float: gates (batch, 4·h) in the order i, f, g, o become σ(i), σ(f), tanh(g),
/// σ(o) (computed in double, rounded once); then c = f·previousCell + i·g, tanhCell = tanh(c),
/// hidden = o·tanh(c), each (batch, h). Only units first..<first + count of each row are read and
/// written (all of them: first = 0, count = h), so that parts of a step can run on several threads.
void easynets_lstm_cell_f32(float *gates, const float *previousCell, float *cell, float *tanhCell, float *hidden,
                            ptrdiff_t batch, ptrdiff_t h, ptrdiff_t first, ptrdiff_t count);

#endif
