import Testing
@testable import EasyNets

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
        let message = try #require(reason(#"{"sequential":{"layers":[{"linear":{"inputSize":4,"outputSize":3}}]}}"#))
        #expect(message.hasPrefix("sequential.layers[0].linear.bias: missing; a linear layer needs this field"))
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
