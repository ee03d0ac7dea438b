/// A training objective: the mean loss of a model's output against a batch's ``Targets``, as the
/// ``Trainer`` minimizes it.
///
/// The library's losses are here by name, each checking the targets it takes and the output
/// shape they need before it runs; a closure makes any other:
///
/// ```swift
/// let regression = Loss<Float>.meanSquaredError
/// let multiLabel = Loss<Float>.binaryCrossEntropyWithLogits
/// let summedSquares = Loss<Float>(name: "sse per example") { output, targets in
///     square(output - targets.valueTensor).sum() / Float(output.shape[0])
/// }
/// ```
///
/// The loss of a batch is a mean (over its examples, or over its labels and values), so the
/// trainer weights each batch by its examples when it sums a whole epoch or several
/// micro-batches of one step.
public struct Loss<Scalar: TensorScalar> {
    /// The name metrics and messages give it ("cross-entropy", "mse", …).
    public let name: String
    /// The targets the loss takes: class indices, values, or `nil` for either (a closure's).
    public let targets: TargetKind?
    /// Whether the output must have the shape the targets need (``TargetLayout/mismatch(outputShape:batch:)``);
    /// `false` for a closure, which checks its own.
    let checksOutputShape: Bool
    private let function: (_ output: Tensor<Scalar>, _ targets: Targets<Scalar>) -> Tensor<Scalar>

    /// The kinds of target a loss can take.
    public enum TargetKind: Sendable, Equatable {
        /// Class indices.
        case classes
        /// Floating-point values.
        case values
    }

    /// A loss from a closure returning the batch's mean loss (a scalar, differentiable in the output).
    public init(name: String, _ function: @escaping (_ output: Tensor<Scalar>, _ targets: Targets<Scalar>) -> Tensor<Scalar>) {
        self.init(name: name, targets: nil, checksOutputShape: false, function)
    }

    init(name: String, targets: TargetKind?, checksOutputShape: Bool = true,
         _ function: @escaping (_ output: Tensor<Scalar>, _ targets: Targets<Scalar>) -> Tensor<Scalar>) {
        (self.name, self.targets, self.checksOutputShape, self.function) = (name, targets, checksOutputShape, function)
    }

    /// The batch's mean loss of `output` against `targets`.
    public func callAsFunction(_ output: Tensor<Scalar>, _ targets: Targets<Scalar>) -> Tensor<Scalar> {
        let loss = function(output, targets)
        require(loss.count == 1, "Loss \(name): the loss must be one value, it has shape \(loss.shape)")
        return loss
    }

    /// Why this loss cannot train on targets of `layout`, naming both, or `nil` when it can.
    public func problem(for layout: TargetLayout) -> String? {
        switch (targets, layout) {
        case (.classes?, .values): "the \(name) loss takes class indices, but the targets are \(layout)"
        case (.values?, .classes): "the \(name) loss takes values, but the targets are \(layout)"
        default: nil
        }
    }

    /// Why a model output of `shape` for a batch of `batch` examples cannot meet targets of
    /// `layout` under this loss, naming both shapes; `nil` when it can (always for a closure).
    public func problem(outputShape shape: [Int], batch: Int, layout: TargetLayout) -> String? {
        checksOutputShape ? layout.mismatch(outputShape: shape, batch: batch) : nil
    }

    /// Cross-entropy of logits `(N, C, …)` against class indices, with optional label smoothing
    /// (``crossEntropy(logits:labels:classWeights:ignoreIndex:labelSmoothing:reduction:)-(_,IndexTensor,_,_,_,_)``).
    public static func crossEntropy(labelSmoothing: Double = 0) -> Loss {
        Loss(name: "cross-entropy", targets: .classes) { output, targets in
            EasyNets.crossEntropy(logits: output, labels: targets.classIndices, labelSmoothing: labelSmoothing)
        }
    }

    /// Cross-entropy of logits against class indices: the classifiers' loss.
    public static var crossEntropy: Loss { crossEntropy(labelSmoothing: 0) }

    /// The mean squared error against values of the output's shape.
    public static var meanSquaredError: Loss {
        Loss(name: "mse", targets: .values) { output, targets in EasyNets.meanSquaredError(output, targets.valueTensor) }
    }

    /// The mean absolute error (L1) against values of the output's shape.
    public static var l1: Loss {
        Loss(name: "l1", targets: .values) { output, targets in l1Loss(output, targets.valueTensor) }
    }

    /// The Huber loss with threshold `delta` against values of the output's shape.
    public static func huber(delta: Double = 1) -> Loss {
        require(delta > 0 && delta.isFinite, "Loss.huber: delta must be positive and finite, got \(delta)")
        return Loss(name: "huber", targets: .values) { output, targets in
            huberLoss(output, targets.valueTensor, delta: Scalar(delta))
        }
    }

    /// The smooth L1 loss with threshold `beta` against values of the output's shape.
    public static func smoothL1(beta: Double = 1) -> Loss {
        require(beta > 0 && beta.isFinite, "Loss.smoothL1: beta must be positive and finite, got \(beta)")
        return Loss(name: "smooth-l1", targets: .values) { output, targets in
            smoothL1Loss(output, targets.valueTensor, beta: Scalar(beta))
        }
    }

    /// Binary cross-entropy of logits against 0/1 (or soft) targets of the output's shape: the
    /// multi-label loss. ``Metric/accuracy`` then counts a value as predicted when its logit is
    /// positive exactly when its target is above ½.
    public static var binaryCrossEntropyWithLogits: Loss {
        Loss(name: "bce-with-logits", targets: .values) { output, targets in
            binaryCrossEntropy(logits: output, targets.valueTensor)
        }
    }

    /// Binary cross-entropy of logits `(N, C)` against 0/1 (or soft) targets of the output's shape,
    /// the positive term of class c weighted by `positiveWeight[c]`
    /// (``binaryCrossEntropy(logits:_:weight:positiveWeight:reduction:)``): above 1 to favour recall
    /// on a rare class, as PyTorch's `pos_weight`.
    public static func binaryCrossEntropyWithLogits(positiveWeight: [Double]) -> Loss {
        require(positiveWeight.allSatisfy { $0 >= 0 && $0.isFinite },
                "Loss.binaryCrossEntropyWithLogits: positive weights must be finite and not negative, got \(positiveWeight)")
        let weights = Tensor<Scalar>(positiveWeight.map { Scalar($0) })
        return Loss(name: "bce-with-logits", targets: .values) { output, targets in
            require(output.shape.last == positiveWeight.count, "Loss.binaryCrossEntropyWithLogits: \(positiveWeight.count) "
                    + "positive weights for an output of shape \(output.shape), which needs one per value of its last axis")
            return binaryCrossEntropy(logits: output, targets.valueTensor, positiveWeight: weights)
        }
    }

    /// Cross-entropy of logits `(N, C, …)` against class probabilities of the output's shape (soft
    /// labels, e.g. a teacher's), with optional label smoothing
    /// (``crossEntropy(logits:probabilities:classWeights:labelSmoothing:reduction:)``).
    public static func crossEntropyWithProbabilities(labelSmoothing: Double = 0) -> Loss {
        Loss(name: "soft-cross-entropy", targets: .values) { output, targets in
            EasyNets.crossEntropy(logits: output, probabilities: targets.valueTensor, labelSmoothing: labelSmoothing)
        }
    }

    /// The Poisson negative log-likelihood of count targets of the output's shape, the output being
    /// log-rates when `logInput` (``poissonNegativeLogLikelihood(_:target:logInput:full:eps:reduction:)``).
    public static func poissonNegativeLogLikelihood(logInput: Bool = true, full: Bool = false) -> Loss {
        Loss(name: "poisson-nll", targets: .values) { output, targets in
            EasyNets.poissonNegativeLogLikelihood(output, target: targets.valueTensor, logInput: logInput, full: full)
        }
    }

    /// The multi-label soft margin loss of scores `(N, C)` against 0/1 targets of the output's shape
    /// (``multiLabelSoftMarginLoss(_:target:weight:reduction:)``).
    public static var multiLabelSoftMargin: Loss {
        Loss(name: "multilabel-soft-margin", targets: .values) { output, targets in
            multiLabelSoftMarginLoss(output, target: targets.valueTensor)
        }
    }
}

extension Targets {
    /// The value targets as a tensor; stops for class indices.
    public var valueTensor: Tensor<Scalar> {
        guard case .values(let values) = self else {
            programmerError("Targets.valueTensor: the targets are class indices of shape \(exampleShape) per example, not values")
        }
        return values
    }
}
