import Testing
@testable import EasyNets
import Foundation

/// A description file's errors name the JSON path of the value at fault and what was expected
/// there: the known kinds, the type, or the fields of the kind.
@Suite struct DescriptionFileErrorTests {
    func reason(_ json: String) -> String? {
        do {
            _ = try ModelDescription(json: Array(json.utf8), source: "model.json")
            return nil
        } catch let error as ModelDescriptionError {
            #expect(error.layer == "model.json")
            return error.reason
        } catch { return "\(error)" }
    }

    let linear = #"{"linear":{"bias":true,"inputSize":4,"outputSize":3}}"#
    let conv = #"{"conv2d":{"inChannels":1,"outChannels":2,"kernelSize":[3,3],"stride":[1,1],"padding":{"valid":{}},"dilation":[1,1],"groups":1,"bias":true}}"#

    @Test func aValidFileHasNoProblem() throws {
        let flatten = try ModelDescription.layer(FlattenDescription()).jsonString()
        #expect(reason(#"{"sequential":{"layers":[\#(conv),{"relu":{}},{"residual":{"block":{"identity":{}}}},\#(flatten)]}}"#) == nil)
    }

    @Test func unknownKindsListTheKnownOnes() throws {
        let message = try #require(reason(#"{"sequential":{"layers":[\#(linear),{"relu":{}},{"swish":{}}]}}"#))
        #expect(message.hasPrefix("sequential.layers[2]: unknown layer kind \"swish\"; the kinds are sequential, residual, linear, relu,"))
        for kind in ModelDescription.layerKinds { #expect(message.contains(kind.kind)) }
    }

    @Test func wrongTypesNameThePathAndTheExpectedType() {
        let badKernel = conv.replacingOccurrences(of: #""kernelSize":[3,3]"#, with: #""kernelSize":"3""#)
        #expect(reason(#"{"sequential":{"layers":[\#(linear),{"relu":{}},{"relu":{}},\#(badKernel)]}}"#)
                == #"sequential.layers[3].conv2d.kernelSize: expected an array, found "3""#)
        let badElement = conv.replacingOccurrences(of: #""kernelSize":[3,3]"#, with: #""kernelSize":[3,1.5]"#)
        #expect(reason(badElement) == "conv2d.kernelSize[1]: expected an integer, found 1.5")
        #expect(reason(conv.replacingOccurrences(of: #""groups":1"#, with: #""groups":2.5"#)) == "conv2d.groups: expected an integer, found 2.5")
        let badBias = linear.replacingOccurrences(of: "true", with: "1")
        #expect(reason(#"{"residual":{"block":\#(badBias)}}"#) == "residual.block.linear.bias: expected true or false, found 1")
        #expect(reason(linear.replacingOccurrences(of: #""inputSize":4"#, with: #""inputSize":null"#))
                == "linear.inputSize: expected an integer, found null")
    }

    @Test func missingFieldsNameThePath() throws {
        let message = try #require(reason(#"{"sequential":{"layers":[{"linear":{"bias":true,"outputSize":3}}]}}"#))
        #expect(message.hasPrefix("sequential.layers[0].linear.inputSize: missing; a linear layer needs this field"))
        let nested = try #require(reason(#"{"transformerEncoder":{"layerCount":2,"layer":{"modelSize":8}}}"#))
        #expect(nested.hasPrefix("transformerEncoder.layer.headCount: missing"))
    }

    func decoded(_ json: String) throws -> ModelDescription {
        try ModelDescription(json: Array(json.utf8), source: "model.json")
    }

    @Test func leftOutFieldsTakePyTorchsDefaults() throws {
        #expect(try decoded(#"{"linear":{"inputSize":4,"outputSize":3}}"#) == .linear(inputSize: 4, outputSize: 3, bias: true))
        #expect(try decoded(#"{"conv2d":{"inChannels":1,"outChannels":2,"kernelSize":[3,3]}}"#)
                == .layer(Conv2dDescription(inChannels: 1, outChannels: 2, kernelSize: [3, 3], stride: [1, 1], padding: .valid,
                                            dilation: [1, 1], groups: 1, bias: true)))
        // A pool's stride is its kernel size unless given.
        #expect(try decoded(#"{"maxPool2d":{"kernelSize":[3,2]}}"#) == .layer(MaxPool2dDescription(kernelSize: [3, 2], stride: [3, 2])))
        #expect(try decoded(#"{"maxPool2d":{"kernelSize":[3,2],"stride":[1,1]}}"#)
                == .layer(MaxPool2dDescription(kernelSize: [3, 2], stride: [1, 1])))
        // A null momentum (the cumulative average) is a value, not a left-out field.
        #expect(try decoded(#"{"batchNorm1d":{"featureCount":3,"momentum":null}}"#)
                == .batchNorm1d(featureCount: 3, epsilon: 1e-5, momentum: nil, affine: true, trackRunningStats: true))
        // A Transformer encoder's layer takes the layer's defaults.
        let encoder = try decoded(#"{"transformerEncoder":{"layerCount":2,"layer":{"modelSize":8,"headCount":2}}}"#)
        #expect(encoder == .layer(TransformerEncoderDescription(
            layer: TransformerEncoderLayerDescription(modelSize: 8, headCount: 2, feedForwardSize: 2048, dropout: 0.1, activation: .relu,
                                                      layerNormEpsilon: 1e-5, batchFirst: false, normFirst: false),
            layerCount: 2, norm: false)))
    }

    /// Each kind's defaults are fields of the kind with values it accepts: a description written
    /// out in full and read back without them is the same description.
    @Test(arguments: samples.indices) func defaultsAreFieldsOfTheirKind(index: Int) throws {
        let description = samples[index].description
        let kind = type(of: description)
        let defaults = ModelDescription.defaults(of: kind)
        guard case .object(let outer) = try JSONValue(encoding: ModelDescription.layer(description)),
              case .object(var fields)? = outer[kind.kind] else { Issue.record("not an object"); return }
        // A field the kind reads rejects a value no field accepts.
        for name in defaults.keys {
            var probe = fields
            probe[name] = .object(["\u{1}": .null])
            #expect((try? JSONValue.object(probe).decode(kind)) == nil, "\(kind.kind).\(name) is not one of its fields")
        }
        // Dropping a field equal to its default decodes the same description.
        for (name, value) in defaults where fields[name] == value { fields[name] = nil }
        let json = String(decoding: try JSONEncoder().encode(JSONValue.object([kind.kind: .object(fields)])), as: UTF8.self)
        #expect(try decoded(json) == .layer(description))
    }

    @Test func unknownFieldsListTheKindsFields() throws {
        let message = try #require(reason(linear.replacingOccurrences(of: #""bias":true"#, with: #""bias":true,"in_features":4"#)))
        #expect(message == "linear.in_features: linear has no field \"in_features\"; its fields are bias, inputSize, outputSize")
        // A field written only when it differs from its default is a field.
        #expect(reason(conv.replacingOccurrences(of: #""groups":1"#, with: #""groups":1,"paddingMode":"zeros""#)) == nil)
    }

    @Test func theStructureIsChecked() {
        #expect(reason("[1]") == "the model: expected a layer: an object with one key, its kind (\(ModelDescription.knownKinds)), "
                + "found an array of 1 value")
        #expect(ModelDescription.knownKinds.hasPrefix("sequential, residual, linear, relu, "))
        #expect(reason(#"{"relu":{},"tanh":{}}"#)?.hasPrefix("the model: expected a layer: an object with one key") == true)
        #expect(reason(#"{"sequential":{"layers":{}}}"#) == "sequential.layers: expected an array of layers, found an empty object")
        #expect(reason(#"{"sequential":{"layer":[]}}"#)
                == #"sequential: expected an object with the one field "layers", found an object with the key "layer""#)
        #expect(reason(#"{"relu":[]}"#) == "relu: expected an object of the layer's fields, found an array of 0 values")
        #expect(reason("{\"sequential\":") ?? "" != "" && reason("{\"sequential\":")!.hasPrefix("not JSON"))
        let deep = String(repeating: #"{"residual":{"block":"#, count: 70) + "{\"relu\":{}}" + String(repeating: "}}", count: 70)
        #expect(reason(deep)?.contains("layers nest more than 64 deep") == true)
    }
}
