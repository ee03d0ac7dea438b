import Foundation
import Testing
@testable import EasyNets

/// One valid description of every registered layer kind, with a shape of input it takes (batch of 2).
/// `everyKindHasASample` fails when a kind is registered without one here.
let samples: [(description: any LayerDescription, input: [Int])] = [
    (LinearDescription(inputSize: 3, outputSize: 4, bias: false), [2, 3]),
    (ReLUDescription(), [2, 3]), (LeakyReLUDescription(negativeSlope: 0.2), [2, 3]), (ELUDescription(alpha: 0.5), [2, 3]),
    (SELUDescription(), [2, 3]), (GELUDescription(tanhApproximation: true), [2, 3]), (SiLUDescription(), [2, 3]),
    (MishDescription(), [2, 3]), (SigmoidDescription(), [2, 3]), (HardSigmoidDescription(), [2, 3]), (TanhDescription(), [2, 3]),
    (SoftplusDescription(), [2, 3]), (SoftmaxDescription(axis: 1), [2, 3]), (LogSoftmaxDescription(axis: -1), [2, 3]),
    (DropoutDescription(probability: 0.25), [2, 3]), (Dropout2dDescription(probability: 0.5), [2, 3, 4, 4]),
    (LayerNormDescription(normalizedShape: [3], epsilon: 1e-4, elementwiseAffine: false), [2, 3]),
    (BatchNorm1dDescription(featureCount: 3, epsilon: 1e-3, momentum: 0.2, affine: true), [2, 3]),
    (BatchNorm2dDescription(featureCount: 3, epsilon: 1e-5, momentum: 0.1, affine: false), [2, 3, 4, 4]),
    (GroupNormDescription(groupCount: 2, channelCount: 4, epsilon: 1e-5, affine: true), [2, 4, 3]),
    (InstanceNorm1dDescription(featureCount: 3, epsilon: 1e-3, momentum: 0.2, affine: true, trackRunningStats: true), [2, 3, 5]),
    (InstanceNorm2dDescription(featureCount: 3, epsilon: 1e-5, momentum: 0.1, affine: false, trackRunningStats: false), [2, 3, 4, 4]),
    (RMSNormDescription(normalizedShape: [2, 3], epsilon: nil, elementwiseAffine: true), [2, 2, 3]),
    (BatchNorm1dDescription(featureCount: 3, epsilon: 1e-5, momentum: nil, affine: false, trackRunningStats: false), [2, 3, 4]),
    (EmbeddingDescription(count: 5, dimension: 3, paddingIndex: 1, maxNorm: 1.5, normType: 1), [2, 7]),
    (EmbeddingDescription(count: 5, dimension: 3), [2, 7]),
    (Conv2dDescription(inChannels: 2, outChannels: 4, kernelSize: [3, 2], stride: [2, 1], padding: .explicit([1, 0]),
                       dilation: [1, 2], groups: 2, bias: true), [2, 2, 7, 6]),
    (Conv1dDescription(inChannels: 3, outChannels: 2, kernelSize: 3, stride: 1, padding: .same, dilation: 2, groups: 1, bias: false),
     [2, 3, 9]),
    (ConvTranspose2dDescription(inChannels: 4, outChannels: 2, kernelSize: [3, 2], stride: [2, 1], padding: [1, 0], outputPadding: [1, 1],
                                dilation: [1, 2], groups: 2, bias: true), [2, 4, 3, 5]),
    (ConvTranspose1dDescription(inChannels: 3, outChannels: 6, kernelSize: 3, stride: 2, padding: 1, outputPadding: 1, dilation: 1,
                                groups: 3, bias: false), [2, 3, 5]),
    (UpsampleDescription(size: nil, scaleFactor: [2.5], mode: .linear, alignCorners: true), [2, 3, 4]),
    (MaxPool2dDescription(kernelSize: [2, 2], stride: [1, 2], padding: [1, 0], dilation: [1, 1], ceilMode: true), [2, 3, 5, 5]),
    (AvgPool2dDescription(kernelSize: [3, 3], stride: [2, 2], padding: [1, 1], ceilMode: false, countIncludePad: false,
                          divisorOverride: 7), [2, 3, 6, 6]),
    (AdaptiveAvgPool2dDescription(outputSize: [2, 3]), [2, 3, 5, 7]),
    (MaxPool1dDescription(kernelSize: 3, stride: 2, padding: 1, dilation: 2, ceilMode: true), [2, 3, 9]),
    (AvgPool1dDescription(kernelSize: 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: false), [2, 3, 8]),
    (AdaptiveAvgPool1dDescription(outputSize: 4), [2, 3, 7]),
    (AdaptiveMaxPool2dDescription(outputSize: [3, 2]), [2, 3, 5, 7]),
    (FlattenDescription(startAxis: 1), [2, 3, 4]), (IdentityDescription(), [2, 3]), (PermuteDescription(axes: [0, 2, 1]), [2, 3, 4]),
    (RecurrentDescription(cell: .gru, inputSize: 3, hiddenSize: 4, layerCount: 2, bias: true, batchFirst: true, dropout: 0.1,
                          bidirectional: true), [2, 5, 3]),
    (RecurrentDescription(cell: .lstm, inputSize: 3, hiddenSize: 4, layerCount: 2, bias: true, batchFirst: true, dropout: 0,
                          bidirectional: true, projectionSize: 2), [2, 5, 3]),
    (MultiheadAttentionDescription(embeddingSize: 4, headCount: 2, dropout: 0, bias: false, batchFirst: true), [2, 5, 4]),
    (TransformerEncoderLayerDescription(modelSize: 4, headCount: 2, feedForwardSize: 6, dropout: 0.1, activation: .gelu,
                                        layerNormEpsilon: 1e-5, batchFirst: false, normFirst: true, causal: true), [5, 2, 4]),
    (MultiheadAttentionDescription(embeddingSize: 4, headCount: 2, dropout: 0.1, bias: true, addKeyValueBias: true, addZeroAttention: true,
                                   keySize: nil, valueSize: nil, batchFirst: false), [5, 2, 4]),
    (TransformerDecoderLayerDescription(modelSize: 4, headCount: 2, feedForwardSize: 6, dropout: 0.1, activation: .relu,
                                        layerNormEpsilon: 1e-4, batchFirst: true, normFirst: false), [2, 5, 4]),
    (TransformerEncoderDescription(layer: TransformerEncoderLayerDescription(modelSize: 4, headCount: 1, feedForwardSize: 3, dropout: 0),
                                   layerCount: 2, norm: true), [5, 2, 4]),
    (TransformerDecoderDescription(layer: TransformerDecoderLayerDescription(modelSize: 4, headCount: 2, feedForwardSize: 3, dropout: 0,
                                                                             batchFirst: true, normFirst: true), layerCount: 2, norm: false),
     [2, 5, 4]),
    (TransformerDescription(modelSize: 4, headCount: 2, encoderLayerCount: 1, decoderLayerCount: 2, feedForwardSize: 5, dropout: 0.1,
                            activation: .gelu, layerNormEpsilon: 1e-5, batchFirst: false, normFirst: true), [5, 2, 4]),
    (SinusoidalPositionalEncodingDescription(dimension: 4, batchFirst: true), [2, 5, 4]),
    (LearnedPositionalEmbeddingDescription(maximumLength: 6, dimension: 4, batchFirst: true), [2, 5, 4]),
]

@Suite("Layer descriptions")
struct LayerDescriptionTests {
    @Test func everyKindHasASampleAndAUniqueKey() {
        let registered = ModelDescription.layerKinds.map { $0.kind }
        #expect(Set(registered).count == registered.count, "a kind key is registered twice: \(registered)")
        #expect(Set(samples.map { type(of: $0.description).kind }) == Set(registered))
    }

    /// The fuzz target for model descriptions starts from seeds that use every registered kind
    /// (scripts/fuzz/make_seeds.py writes them), so each kind's decoding, rules and shapes are fuzzed.
    @Test func everyKindIsInTheFuzzCorpus() throws {
        let folder = repositoryRoot.appendingPathComponent("Tests/Fuzz/Corpus/model")
        var kinds = Set<String>()
        func collect(_ value: Any) {
            if let object = value as? [String: Any] {
                for (key, inner) in object { kinds.insert(key); collect(inner) }
            } else if let array = value as? [Any] {
                array.forEach(collect)
            }
        }
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
            let data = try Data(contentsOf: folder.appendingPathComponent(name))
            if let value = try? JSONSerialization.jsonObject(with: data) { collect(value) }
        }
        for kind in ModelDescription.layerKinds.map({ $0.kind }) {
            #expect(kinds.contains(kind), "no seed of the model fuzz target uses the layer kind \(kind)")
        }
    }

    /// Each sample survives JSON, builds a layer whose own description is the sample, and the
    /// layer's parameter count, output shape and image-ness agree with what the description says.
    @Test(arguments: samples.indices)
    func descriptionAndLayerAgree(index: Int) throws {
        let (sample, input) = samples[index]
        let kind = type(of: sample).kind
        let description = ModelDescription.layer(sample)
        #expect(sample.problem() == nil, "\(kind): \(sample.problem() ?? "")")

        let json = try description.jsonString()
        #expect(json.hasPrefix("{\"\(kind)\":"), "\(json)")
        #expect(try ModelDescription(json: Array(json.utf8), source: kind) == description)

        var generator = RandomGenerator(seed: 3)
        var seed: UInt64 = 0
        let layer = description.makeLayer(as: Double.self, using: &generator, dropoutSeed: &seed)
        #expect(layer.layerDescription == description, "\(kind): \(String(describing: layer.layerDescription))")
        layer.eval()

        // State: the trainable scalars plus the buffers.
        let state = layer.namedParameters.map(\.parameter.value.count) + layer.namedBuffers.map(\.parameter.value.count)
        #expect(description.stateCount == state.reduce(0, +), "\(kind)")

        // Shape inference against a real forward pass (an embedding reads row indices).
        let x = kind == "embedding"
            ? Tensor<Double>(Array(repeating: 1, count: input.reduce(1, *)), shape: input)
            : Tensor<Double>.uniform(input, low: -1, high: 1, using: &generator)
        #expect(try description.outputShape(for: input) == layer(x).shape, "\(kind)")
        #expect(type(of: sample).takesImages == (input.count == 4 && ["conv2d", "dropout2d", "batchNorm2d", "instanceNorm2d"].contains(kind)
                                                  || kind.hasSuffix("Pool2d")
                                                  || kind == "convTranspose2d"), "\(kind)")
    }

    /// The committed checkpoints' descriptions decode and encode again to the same bytes, so files
    /// written before and after any change to a layer's description type stay interchangeable.
    @Test func committedDescriptionsReencodeToTheSameBytes() throws {
        let folders = [fixturePath(""), repositoryRoot.appendingPathComponent("Tests/Fuzz/Corpus/checkpoint").path]
        var checked = 0
        for folder in folders {
            for name in try FileManager.default.contentsOfDirectory(atPath: folder) where !name.hasSuffix(".json") {
                guard let file = try? SafeTensorsFile(contentsOfFile: folder + "/" + name), let json = file.metadata["model"] else { continue }
                let description = try ModelDescription(json: Array(json.utf8), source: name)
                #expect(try description.jsonString() == json, "\(name)")
                checked += 1
            }
        }
        #expect(checked >= 3, "only \(checked) committed files carry a description")
    }

    /// The memory of a batch, counted by hand for Linear(3 → 4) → ReLU → Linear(4 → 2) on 5 rows:
    /// activations 15 + 20 + 20 + 10, parameters 16 + 10, the first 20-value output the largest.
    @Test func memoryRequirementCountsEveryBuffer() throws {
        let model = ModelDescription.sequential(layers: [.linear(inputSize: 3, outputSize: 4), .relu, .linear(inputSize: 4, outputSize: 2)])
        let requirement = try model.memoryRequirement(for: [5, 3])
        #expect(requirement == MemoryRequirement(stateCount: 26, activationCount: 65, largestBuffer: 20, largestBufferLayer: "0"))
        #expect(requirement.bytes(scalarSize: 4, training: true) == (26 * 4 + 65 * 2) * 4)
        #expect(requirement.bytes(scalarSize: 8, training: false) == (26 + 3 * 20) * 8)
        #expect(MemoryRequirement(stateCount: Int.max / 2, activationCount: 1, largestBuffer: 1, largestBufferLayer: "")
                    .bytes(scalarSize: 4, training: true) == nil)
        // Nested layers are named by their path; a residual's sum is a buffer of its own.
        let nested = ModelDescription.sequential(layers: [.residual(block: .sequential(layers: [.linear(inputSize: 3, outputSize: 3)])),
                                                          .linear(inputSize: 3, outputSize: 9)])
        #expect(try nested.memoryRequirement(for: [2, 3]).largestBufferLayer == "1")
        #expect(try nested.memoryRequirement(for: [2, 3]).activationCount == 6 + 6 + 6 + 18)
    }

    /// The usable memory is positive and no more than the machine's, and the default limit is half of it.
    @Test func usableMemoryIsBoundedByTheMachine() {
        #expect(InputLimits.usableMemory > 0)
        #expect(UInt64(InputLimits.usableMemory) <= ProcessInfo.processInfo.physicalMemory)
    }

    /// A composition is equal only to the same composition of equal layers.
    @Test func equalityComparesKindsAndHyperparameters() {
        let a = ModelDescription.sequential(layers: [.linear(inputSize: 2, outputSize: 3), .relu])
        #expect(a == .sequential(layers: [.linear(inputSize: 2, outputSize: 3, bias: true), .relu]))
        #expect(a != .sequential(layers: [.linear(inputSize: 2, outputSize: 3, bias: false), .relu]))
        #expect(a != .sequential(layers: [.linear(inputSize: 2, outputSize: 3), .tanh]))
        #expect(a != .residual(block: a))
        #expect(ModelDescription.relu != .sequential(layers: [.relu]))
    }

    /// JSON that is not one key naming a known kind is refused, naming what was found.
    @Test func unknownOrAmbiguousKindsAreRefused() {
        for (json, fragment) in [(#"{"swish":{}}"#, "unknown layer kind \"swish\""),
                                 (#"{"relu":{},"tanh":{}}"#, "one key"),
                                 (#"{}"#, "one key")] {
            #expect {
                try ModelDescription(json: Array(json.utf8), source: "m.json")
            } throws: { error in
                "\(error)".contains("m.json") && "\(error)".contains(fragment)
            }
        }
    }

    /// A key given twice in one object is an error naming the key and where it repeats; equal keys
    /// in different objects, and key-like strings among values, are not.
    @Test func duplicateKeysAreErrors() throws {
        let cases: [(json: String, key: String)] = [
            (#"{"linear":{"inputSize":2,"outputSize":3,"bias":true,"inputSize":9}}"#, "inputSize"),
            (#"{"sequential":{"layers":[{"relu":{}}],"layers":[]}}"#, "layers"),
            (#"{"linear":{"inputSize":2,"outputSize":3,"bias":true,"input\u0053ize":9}}"#, "inputSize"),
        ]
        for (json, key) in cases {
            let offset = try #require(firstDuplicateKey(in: Array(json.utf8))?.offset)
            #expect(json.utf8.dropFirst(offset).starts(with: "\"".utf8), "offset \(offset) of \(json)")
            #expect {
                try ModelDescription(json: Array(json.utf8), source: "m.json")
            } throws: { error in
                "\(error)".contains("m.json") && "\(error)".contains("the key \"\(key)\" appears twice") && "\(error)".contains("offset \(offset)")
            }
        }
        let distinct = #"{"sequential":{"layers":[{"linear":{"inputSize":2,"outputSize":2,"bias":true}},"#
            + #"{"linear":{"inputSize":2,"outputSize":2,"bias":true}},{"permute":{"axes":[0,1]}}]}}"#
        #expect(firstDuplicateKey(in: Array(distinct.utf8)) == nil)
        #expect(firstDuplicateKey(in: Array(#"{"a":"a","b":["a","a"],"c":{"a":1}}"#.utf8)) == nil)
        #expect(try ModelDescription(json: Array(distinct.utf8), source: "m.json").stateCount == 12)
    }

    /// The rule a description file breaks is the rule the layer's initializer stops on.
    @Test func initializersStopOnTheDescriptionRules() async {
        let linear = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Linear<Float>(0, 3)
        }
        let message = linear.map { String(decoding: $0.standardErrorContent, as: UTF8.self) } ?? ""
        #expect(message.contains(LinearDescription(inputSize: 0, outputSize: 3).problem()!), "\(message)")

        let conv = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Conv2d<Float>(2, 4, kernelSize: [3, 3], stride: [2, 2], padding: .same)
        }
        let convMessage = conv.map { String(decoding: $0.standardErrorContent, as: UTF8.self) } ?? ""
        #expect(convMessage.contains("Conv2d's padding \"same\" needs stride 1"), "\(convMessage)")
    }
}

