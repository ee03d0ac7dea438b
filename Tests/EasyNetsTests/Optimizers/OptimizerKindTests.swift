import EasyNets
import Testing

// The optimizers `easynets train --optimizer` names, made as a TrainingRecipe makes them.

@Test func optimizerKinds() throws {
    let parameters = Linear<Float>(3, 2).trainableParameters
    let sgd = try #require(OptimizerKind.sgd.makeOptimizer(parameters, learningRate: 0.1, weightDecay: 0.01) as? SGD<Float>)
    #expect(sgd.momentum == 0.9 && sgd.nesterov && sgd.weightDecay == 0.01 && sgd.learningRate == 0.1)
    #expect(OptimizerKind.adam.makeOptimizer(parameters, learningRate: 0.1) is Adam<Float>)
    #expect(OptimizerKind.adamw.makeOptimizer(parameters, learningRate: 0.1) is AdamW<Float>)
    #expect(OptimizerKind.rmsprop.makeOptimizer(parameters, learningRate: 0.1) is RMSProp<Float>)
    #expect(OptimizerKind.adagrad.makeOptimizer(parameters, learningRate: 0.1) is Adagrad<Float>)
    let nadam = try #require(OptimizerKind.nadam.makeOptimizer(parameters, learningRate: 0.1, weightDecay: 0.01) as? NAdam<Float>)
    #expect(nadam.groupOptions.map(\.weightDecay) == [0.01] && !nadam.groupOptions[0].decoupledWeightDecay)
    #expect(OptimizerKind.radam.makeOptimizer(parameters, learningRate: 0.1) is RAdam<Float>)
    #expect(OptimizerKind.adamax.makeOptimizer(parameters, learningRate: 0.1) is Adamax<Float>)
    #expect(OptimizerKind.allCases.map(\.rawValue) == ["sgd", "adam", "adamw", "rmsprop", "adagrad", "nadam", "radam", "adamax"])
}
