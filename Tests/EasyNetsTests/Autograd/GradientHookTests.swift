import Testing
@testable import EasyNets

@Suite struct GradientHookTests {
    /// A hook on an op's result replaces the gradient that flows on to the op's inputs.
    @Test func anInteriorReplacementFlowsOn() {
        var x = Tensor<Double>([1, 2, 3])
        x.requiresGradient = true
        let y = x * x
        var seen: [[Double]] = []
        y.registerGradientHook { g in
            seen.append(g.scalars)
            return g * 10
        }
        y.sum().backward()
        #expect(seen == [[1, 1, 1]])
        #expect(x.gradient!.scalars == [20, 40, 60])
    }

    /// A leaf's hook sees only this pass's gradient, once per pass, and its replacement is what
    /// accumulates; hooks run in registration order; a removed hook no longer runs.
    @Test func leafHooksSeeEachPassOnceInOrder() {
        let parameter = Parameter(Tensor<Double>([1, 2]))
        var calls: [String] = []
        let double = parameter.registerGradientHook { g in
            calls.append("double \(g.scalars)")
            return g * 2
        }
        parameter.registerGradientHook { g in
            calls.append("see \(g.scalars)")
            return nil
        }
        // Fan-out: the parameter is used twice, the hook still runs once with the sum.
        (parameter.value * 3 + parameter.value).sum().backward()
        #expect(calls == ["double [4.0, 4.0]", "see [8.0, 8.0]"])
        #expect(parameter.gradient!.scalars == [8, 8])
        (parameter.value * 3).sum().backward()
        #expect(calls.suffix(2) == ["double [3.0, 3.0]", "see [6.0, 6.0]"])
        #expect(parameter.gradient!.scalars == [14, 14])
        double.remove()
        double.remove()
        (parameter.value * 3).sum().backward()
        #expect(calls.last == "see [3.0, 3.0]" && calls.count == 5)
        #expect(parameter.gradient!.scalars == [17, 17])
    }

    /// A parameter's hooks survive freezing and unfreezing, and a batch-1 Linear weight (whose
    /// gradient is kept as an outer product) is hooked as any other.
    @Test func parameterHooksSurviveFreezingAndOuterProducts() {
        let layer = Linear<Double>(2, 2)
        layer.weight.registerGradientHook { $0 * 0.5 }
        layer.freeze()
        layer.unfreeze()
        let x = Tensor<Double>([[2, 4]])
        layer(x).sum().backward()
        #expect(layer.weight.gradient!.scalars == [1, 2, 1, 2])
        layer(x).sum().backward()
        #expect(layer.weight.gradient!.scalars == [2, 4, 2, 4])
    }

    /// A hook's effect reaches the optimizer: clipping one layer's gradient changes only its step.
    @Test func aClippingHookChangesTheStep() {
        let layer = Linear<Double>(1, 1)
        layer.weight.assign(Tensor([[0]]))
        layer.weight.registerGradientHook { $0.clamped(min: -0.5, max: 0.5) }
        let bias = layer.bias!.value.scalars[0]
        let optimizer = SGD(layer.trainableParameters, learningRate: 1)
        layer(Tensor<Double>([[10]])).sum().backward()
        optimizer.step()
        #expect(layer.weight.value.scalars == [-0.5])   // gradient 10, clipped
        #expect(layer.bias!.value.scalars == [bias - 1])  // gradient 1, not hooked
    }

    @Test func aReplacementOfTheWrongShapeStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var x = Tensor<Double>([1, 2, 3])
            x.requiresGradient = true
            x.registerGradientHook { _ in Tensor<Double>.zeros([2]) }
            (x * 2).sum().backward()
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("[2]") && message.contains("[3]") && message.contains("gradient hook"), "stderr: \(message)")
    }
}
