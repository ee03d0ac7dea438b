#include "clones.h"
#include "EasyNetsConvolutionKernels.h"

enum { IN_HEIGHT, IN_WIDTH, OUT_HEIGHT, OUT_WIDTH, KH, KW, SH, SW, DH, DW, PAD_TOP, PAD_LEFT };

// The outputs o in lower ..< upper whose tap at input index o·stride + offset lies in 0 ..< input.
static inline void valid_outputs(ptrdiff_t offset, ptrdiff_t stride, ptrdiff_t input, ptrdiff_t output,
                                 ptrdiff_t *lower, ptrdiff_t *upper) {
    ptrdiff_t lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
    ptrdiff_t hi = input - offset <= 0 ? 0 : (input - offset + stride - 1) / stride;
    if (hi > output) hi = output;
    if (lo >= hi) lo = hi = 0;
    *lower = lo;
    *upper = hi;
}

// Runs the statements after `window` for each channel c in first ..< first + count and kernel tap
// (i, j), with `tap` the tap's row of the column matrix, `offset` its input column at output
// column 0, and the outputs whose tap lies inside the input: rows rowLower ..< rowUpper, columns
// lower ..< upper.
#define FOR_EACH_TAP(first, count, g, ...)                                                     \
    for (ptrdiff_t c = first; c < first + count; c++) {                                        \
        for (ptrdiff_t i = 0; i < g[KH]; i++) {                                                \
            ptrdiff_t rowLower, rowUpper;                                                      \
            valid_outputs(i * g[DH] - g[PAD_TOP], g[SH], g[IN_HEIGHT], g[OUT_HEIGHT], &rowLower, &rowUpper); \
            for (ptrdiff_t j = 0; j < g[KW]; j++) {                                            \
                const ptrdiff_t offset = j * g[DW] - g[PAD_LEFT], tap = (c * g[KH] + i) * g[KW] + j; \
                ptrdiff_t lower, upper;                                                        \
                valid_outputs(offset, g[SW], g[IN_WIDTH], g[OUT_WIDTH], &lower, &upper);       \
                __VA_ARGS__                                                                    \
            }                                                                                  \
        }                                                                                      \
    }

// The rows of the column matrix: zeros where the tap falls in the padding, the input row's values
// (every stride-th) elsewhere.
#define IM2COL(T, NAME)                                                                        \
    CLONES void NAME(const T *restrict image, T *restrict columns, ptrdiff_t first, ptrdiff_t count, \
                     const ptrdiff_t *restrict g) {                                            \
        const ptrdiff_t width = g[IN_WIDTH], outWidth = g[OUT_WIDTH], sw = g[SW];              \
        const ptrdiff_t positions = g[OUT_HEIGHT] * outWidth;                                  \
        FOR_EACH_TAP(first, count, g,                                                          \
            const T *restrict plane = image + c * g[IN_HEIGHT] * width;                        \
            T *restrict out = columns + tap * positions;                                       \
            for (ptrdiff_t oh = 0; oh < g[OUT_HEIGHT]; oh++) {                                 \
                T *restrict line = out + oh * outWidth;                                        \
                if (oh < rowLower || oh >= rowUpper || lower == upper) {                       \
                    for (ptrdiff_t ow = 0; ow < outWidth; ow++) line[ow] = 0;                  \
                    continue;                                                                  \
                }                                                                              \
                const T *restrict source = plane + (oh * g[SH] + i * g[DH] - g[PAD_TOP]) * width; \
                for (ptrdiff_t ow = 0; ow < lower; ow++) line[ow] = 0;                         \
                if (sw == 1) {                                                                 \
                    for (ptrdiff_t ow = lower; ow < upper; ow++) line[ow] = source[ow + offset]; \
                } else {                                                                       \
                    for (ptrdiff_t ow = lower; ow < upper; ow++) line[ow] = source[ow * sw + offset]; \
                }                                                                              \
                for (ptrdiff_t ow = upper; ow < outWidth; ow++) line[ow] = 0;                  \
            })                                                                                 \
    }

IM2COL(float, easynets_im2col_f32)
IM2COL(double, easynets_im2col_f64)

// The column rows added back onto the input rows they were read from, tap by tap in row order.
#define COL2IM(T, NAME)                                                                        \
    CLONES void NAME(const T *restrict columns, T *restrict image, ptrdiff_t first, ptrdiff_t count, \
                     const ptrdiff_t *restrict g) {                                            \
        const ptrdiff_t width = g[IN_WIDTH], outWidth = g[OUT_WIDTH], sw = g[SW];              \
        const ptrdiff_t positions = g[OUT_HEIGHT] * outWidth;                                  \
        FOR_EACH_TAP(first, count, g,                                                          \
            if (lower == upper) continue;                                                      \
            T *restrict plane = image + c * g[IN_HEIGHT] * width;                              \
            const T *restrict source = columns + tap * positions;                              \
            for (ptrdiff_t oh = rowLower; oh < rowUpper; oh++) {                               \
                const T *restrict line = source + oh * outWidth;                               \
                T *restrict target = plane + (oh * g[SH] + i * g[DH] - g[PAD_TOP]) * width;    \
                if (sw == 1) {                                                                 \
                    for (ptrdiff_t ow = lower; ow < upper; ow++) target[ow + offset] += line[ow]; \
                } else {                                                                       \
                    for (ptrdiff_t ow = lower; ow < upper; ow++) target[ow * sw + offset] += line[ow]; \
                }                                                                              \
            })                                                                                 \
    }

COL2IM(float, easynets_col2im_f32)
COL2IM(double, easynets_col2im_f64)
