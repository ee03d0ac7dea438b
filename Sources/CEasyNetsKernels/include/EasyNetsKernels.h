// The memory- and branch-bound loops of EasyNets that Swift compiles poorly, in C: Swift compiles
// for baseline x86-64 and has no per-function target attribute, while clang's target_clones
// builds each loop for AVX-512, AVX2 and baseline x86-64 and the loader picks one for the CPU.
// Swift reaches them only through TensorScalar's per-type _kernel… requirements
// (Float+Kernels.swift, Double+Kernels.swift).
//
// Each topic header states its contract with the Swift reference loops: the optimizer, pooling,
// normalization, convolution and dropout loops and ReLU are bit-identical to them; the LSTM cell
// is within a Float ulp of the correctly rounded activations, and the Float GELU and attention
// softmax loops within a few ulps, not bit-identical to their Swift loops.
#ifndef EASYNETS_KERNELS_H
#define EASYNETS_KERNELS_H

#include "EasyNetsActivationKernels.h"
#include "EasyNetsAttentionKernels.h"
#include "EasyNetsConversionKernels.h"
#include "EasyNetsConvolutionKernels.h"
#include "EasyNetsDropoutKernels.h"
#include "EasyNetsKernelDispatch.h"
#include "EasyNetsNormalizationKernels.h"
#include "EasyNetsOptimizerKernels.h"
#include "EasyNetsPoolingKernels.h"
#include "EasyNetsRecurrentKernels.h"

#endif
