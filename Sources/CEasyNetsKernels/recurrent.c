#include "clones.h"
#include "EasyNetsRecurrentKernels.h"
#include "vector_math.h"

// The logistic function in double, as 1/(1 + e^−x) for x ≥ 0 and e^x/(1 + e^x) below.
static inline double sigmoid_double(double x) {
    const double e = exp_nonpositive(x < 0 ? x : -x);
    return x < 0 ? e / (1.0 + e) : 1.0 / (1.0 + e);
}

// tanh in double: x − x³/3 + 2x⁵/15 below |x| = 10⁻³, else ±(1 − e^−2|x|)/(1 + e^−2|x|).
static inline double tanh_double(double x) {
    const double magnitude = x < 0 ? -x : x, square = x * x;
    const double e = exp_nonpositive(-2.0 * magnitude);
    const double large = (1.0 - e) / (1.0 + e);
    const double small = x * (1.0 - square / 3.0 + 2.0 * square * square / 15.0);
    return magnitude < 1e-3 ? small : (x < 0 ? -large : large);
}

// One row of the step, each gate block its own restrict pointer, so that the loop vectorizes
// without a runtime overlap check between the blocks of one row.
static inline __attribute__((always_inline)) void lstm_row(
    float *restrict gi, float *restrict gf, float *restrict gg, float *restrict go, const float *restrict previousCell,
    float *restrict cell, float *restrict tanhCell, float *restrict hidden, ptrdiff_t h) {
    for (ptrdiff_t j = 0; j < h; j++) {
        const float input = (float)sigmoid_double(gi[j]), forget = (float)sigmoid_double(gf[j]);
        const float candidate = (float)tanh_double(gg[j]), output = (float)sigmoid_double(go[j]);
        gi[j] = input;
        gf[j] = forget;
        gg[j] = candidate;
        go[j] = output;
        const float c = forget * previousCell[j] + input * candidate;
        const float squashed = (float)tanh_double(c);
        cell[j] = c;
        tanhCell[j] = squashed;
        hidden[j] = output * squashed;
    }
}

// One LSTM step for a batch in Float, gates (batch, 4h) in PyTorch's order i, f, g, o replaced
// by their activations: σ(i), σ(f), tanh(g), σ(o) computed in double and rounded once (within a
// Float ulp of the exact values); c = f·c_prev + i·g, tanh(c) and h = o·tanh(c) in Float. Only
// the units first..<first + count of each row are read and written.
CLONES void easynets_lstm_cell_f32(float *restrict gates, const float *restrict previousCell, float *restrict cell,
                                   float *restrict tanhCell, float *restrict hidden, ptrdiff_t batch, ptrdiff_t h,
                                   ptrdiff_t first, ptrdiff_t count) {
    for (ptrdiff_t row = 0; row < batch; row++) {
        float *g = gates + row * 4 * h + first;
        const ptrdiff_t offset = row * h + first;
        lstm_row(g, g + h, g + 2 * h, g + 3 * h, previousCell + offset, cell + offset, tanhCell + offset, hidden + offset,
                 count);
    }
}
