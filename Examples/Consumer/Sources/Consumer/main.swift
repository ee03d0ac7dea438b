// Uses EasyNets as a dependency: fits y = 2x + 1 by gradient descent with autodiff and checks
// the result, exiting non-zero if the library misbehaves.
import EasyNets
#if canImport(Glibc)
import Glibc
#endif

let x = Tensor<Double>.linspace(from: -1, to: 1, count: 32).reshaped(to: [32, 1])
let y = 2 * x + 1

var weight = Tensor<Double>.zeros([1, 1])
var bias = Tensor<Double>.zeros([1])
weight.requiresGradient = true
bias.requiresGradient = true

for _ in 0..<500 {
    let prediction = matmul(x, weight) + bias
    let loss = square(prediction - y).mean()
    loss.backward()
    let (dW, db) = (weight.gradient!.scalar, bias.gradient!.scalar)
    weight.withUnsafeMutableBufferPointer { $0[0] -= 0.1 * dW }
    bias.withUnsafeMutableBufferPointer { $0[0] -= 0.1 * db }
    weight.zeroGradient()
    bias.zeroGradient()
}

let fitted = (weight: weight.scalar, bias: bias.scalar)
print("consumer: fitted y = \(fitted.weight)·x + \(fitted.bias) with EasyNets \(EasyNetsVersion.current) on \(BLASRuntime.coreName)")
guard abs(fitted.weight - 2) < 1e-6, abs(fitted.bias - 1) < 1e-6 else {
    print("consumer: FAILED, expected weight 2 and bias 1")
    exit(1)
}
