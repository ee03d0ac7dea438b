#include "clones.h"
#include "EasyNetsOptimizerKernels.h"

#define SGD_MOMENTUM(T, NAME)                                                                  \
    CLONES void NAME(T *restrict p, const T *restrict g, T *restrict b, ptrdiff_t n, T lr, T mu, \
                     T damp, int nesterov) {                                                   \
        if (nesterov) {                                                                        \
            for (ptrdiff_t i = 0; i < n; i++) {                                                \
                T v = mu * b[i] + damp * g[i];                                                 \
                b[i] = v;                                                                      \
                p[i] -= lr * (g[i] + mu * v);                                                  \
            }                                                                                  \
        } else {                                                                               \
            for (ptrdiff_t i = 0; i < n; i++) {                                                \
                T v = mu * b[i] + damp * g[i];                                                 \
                b[i] = v;                                                                      \
                p[i] -= lr * v;                                                                \
            }                                                                                  \
        }                                                                                      \
    }

SGD_MOMENTUM(float, easynets_sgd_momentum_f32)
SGD_MOMENTUM(double, easynets_sgd_momentum_f64)

#define SGD_MOMENTUM_OUTER(T, NAME)                                                            \
    CLONES void NAME(T *restrict p, T *restrict b, const T *restrict column,                  \
                     const T *restrict row, ptrdiff_t rows, ptrdiff_t columns, T lr, T mu,     \
                     T damp, int nesterov) {                                                   \
        for (ptrdiff_t i = 0; i < rows; i++) {                                                 \
            const T a = column[i];                                                             \
            T *restrict pr = p + i * columns;                                                  \
            T *restrict br = b + i * columns;                                                  \
            if (nesterov) {                                                                    \
                for (ptrdiff_t j = 0; j < columns; j++) {                                      \
                    T g = a * row[j];                                                          \
                    T v = mu * br[j] + damp * g;                                               \
                    br[j] = v;                                                                 \
                    pr[j] -= lr * (g + mu * v);                                                \
                }                                                                              \
            } else {                                                                           \
                for (ptrdiff_t j = 0; j < columns; j++) {                                      \
                    T v = mu * br[j] + damp * (a * row[j]);                                    \
                    br[j] = v;                                                                 \
                    pr[j] -= lr * v;                                                           \
                }                                                                              \
            }                                                                                  \
        }                                                                                      \
    }

SGD_MOMENTUM_OUTER(float, easynets_sgd_momentum_outer_f32)
SGD_MOMENTUM_OUTER(double, easynets_sgd_momentum_outer_f64)

// Adam without AMSGrad or L2 weight decay, and AdamW (decoupled decay: `decay` = 1 − lr·λ; exactly
// 1 for Adam, where p·1 = p). The square root is the correctly rounded IEEE one (no errno, so it
// vectorizes).
#define ADAM(T, NAME)                                                                          \
    CLONES void NAME(T *restrict p, const T *restrict g, T *restrict m, T *restrict v,          \
                     ptrdiff_t n, T b1, T b2, T stepSize, T correction2Root, T eps, T decay) { \
        for (ptrdiff_t i = 0; i < n; i++) {                                                    \
            T pi = p[i] * decay;                                                               \
            T grad = g[i];                                                                     \
            T mi = m[i] + (grad - m[i]) * (1 - b1);                                            \
            T vi = v[i] * b2 + (1 - b2) * grad * grad;                                         \
            m[i] = mi;                                                                         \
            v[i] = vi;                                                                         \
            p[i] = pi - stepSize * (mi / (__builtin_elementwise_sqrt(vi) / correction2Root + eps)); \
        }                                                                                      \
    }

ADAM(float, easynets_adam_f32)
ADAM(double, easynets_adam_f64)

// RMSProp, neither centered nor with momentum, and Adagrad, both without weight decay.
#define RMSPROP(T, NAME)                                                                       \
    CLONES void NAME(T *restrict p, const T *restrict g, T *restrict sa, ptrdiff_t n, T lr,     \
                     T a, T eps) {                                                             \
        for (ptrdiff_t i = 0; i < n; i++) {                                                    \
            T grad = g[i];                                                                     \
            T s = sa[i] * a + (1 - a) * grad * grad;                                           \
            sa[i] = s;                                                                         \
            p[i] -= lr * (grad / (__builtin_elementwise_sqrt(s) + eps));                       \
        }                                                                                      \
    }

RMSPROP(float, easynets_rmsprop_f32)
RMSPROP(double, easynets_rmsprop_f64)

#define ADAGRAD(T, NAME)                                                                       \
    CLONES void NAME(T *restrict p, const T *restrict g, T *restrict sum, ptrdiff_t n, T clr,   \
                     T eps) {                                                                  \
        for (ptrdiff_t i = 0; i < n; i++) {                                                    \
            T grad = g[i];                                                                     \
            T s = sum[i] + grad * grad;                                                        \
            sum[i] = s;                                                                        \
            p[i] -= clr * (grad / (__builtin_elementwise_sqrt(s) + eps));                      \
        }                                                                                      \
    }

ADAGRAD(float, easynets_adagrad_f32)
ADAGRAD(double, easynets_adagrad_f64)
