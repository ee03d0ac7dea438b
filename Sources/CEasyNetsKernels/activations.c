#include "clones.h"
#include "EasyNetsActivationKernels.h"

// ReLU as PyTorch computes it: y = x < 0 ? 0 : x (NaN and −0 pass through); the gradient passes
// where x is not ≤ 0 (so also at NaN).
#define RELU(T, FORWARD, BACKWARD)                                                             \
    CLONES void FORWARD(const T *restrict x, T *restrict y, ptrdiff_t n) {                     \
        for (ptrdiff_t i = 0; i < n; i++) y[i] = x[i] < 0 ? 0 : x[i];                          \
    }                                                                                          \
    CLONES void BACKWARD(const T *restrict x, const T *restrict dy, T *restrict dx, ptrdiff_t n) { \
        for (ptrdiff_t i = 0; i < n; i++) dx[i] = x[i] <= 0 ? 0 : dy[i];                       \
    }

RELU(float, easynets_relu_f32, easynets_relu_backward_f32)
RELU(double, easynets_relu_f64, easynets_relu_backward_f64)
