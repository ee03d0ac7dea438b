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
}
