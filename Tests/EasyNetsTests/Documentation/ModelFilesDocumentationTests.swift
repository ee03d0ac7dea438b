import Foundation
import Testing
@testable import EasyNets

/// The model file article documents every kind: a table row whose defaults are the ones decoding
/// fills in, and an example that reads.
@Suite struct ModelFilesDocumentationTests {
    /// The article's table rows by kind: the required fields and the defaults as written.
    func rows() throws -> [String: (required: [String], defaults: [String: String])] {
        var rows: [String: (required: [String], defaults: [String: String])] = [:]
        for line in try documentationText("ModelFiles.md").components(separatedBy: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            try #require(cells.count == 6, "not a row of four cells: \(line)")
            let kind = cells[1].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
            #expect(rows[kind] == nil, "\(kind) has two rows")
            let required = cells[3] == "none" ? [] : cells[3].components(separatedBy: "`").enumerated().filter { $0.offset % 2 == 1 }.map(\.element)
            var defaults: [String: String] = [:]
            if cells[4] != "none" {
                for item in cells[4].components(separatedBy: "`, `") {
                    let parts = item.trimmingCharacters(in: CharacterSet(charactersIn: "`")).components(separatedBy: "` = `")
                    try #require(parts.count == 2, "\(kind): not `name` = `value`: \(item)")
                    defaults[parts[0]] = parts[1]
                }
            }
            rows[kind] = (required, defaults)
        }
        return rows
    }

    @Test func everyKindHasARowWhoseDefaultsAreTheOnesFilledIn() throws {
        let rows = try rows()
        let kinds = ModelDescription.layerKinds.map { $0.kind } + ["sequential", "residual"]
        #expect(Set(rows.keys) == Set(kinds))
        for kind in ModelDescription.layerKinds {
            guard let row = rows[kind.kind] else { continue }
            var documented: [String: JSONValue] = [:]
            for (name, text) in row.defaults {
                // A default naming another field (`kernelSize`) takes that field's value.
                documented[name] = (try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))) ?? .object(["sameAs": .string(text)])
            }
            #expect(documented == ModelDescription.defaults(of: kind), "\(kind.kind)'s row")
        }
    }

    /// Each row names the fields its layer writes: the required ones and the ones with defaults.
    @Test func everyRowNamesTheFieldsTheLayerWrites() throws {
        var generator = RandomGenerator(seed: 1)
        let layers: [any Layer<Float>] = [
            Linear(2, 3), ReLU(), SELU(), SiLU(), Mish(), Sigmoid(), HardSigmoid(), Tanh(), Softplus(), Identity(),
            LeakyReLU(), ELU(), GELU(), Softmax(), LogSoftmax(), Dropout(), Dropout2d(), LayerNorm([4]), BatchNorm1d(4),
            BatchNorm2d(4), GroupNorm(groupCount: 2, channelCount: 4), Embedding(5, 4), Conv2d(1, 2, kernelSize: 3), Conv1d(1, 2, kernelSize: 3), MaxPool2d(2),
            Conv2d(1, 2, kernelSize: [3, 3], padding: .same, paddingMode: .reflect), ConvTranspose2d(1, 2, kernelSize: 3),
            ConvTranspose1d(1, 2, kernelSize: 3), Upsample(size: [4]), Upsample(scaleFactor: 2),
            AvgPool2d(2), AdaptiveAvgPool2d(outputSize: [1, 1]), Flatten(), Permute([0, 2, 1]),
            Recurrent(.lstm, inputSize: 4, hiddenSize: 4),
            MultiheadAttention(embeddingSize: 4, headCount: 2, using: &generator),
            TransformerEncoderLayer(modelSize: 4, headCount: 2, using: &generator),
            TransformerDecoderLayer(modelSize: 4, headCount: 2, using: &generator),
            TransformerEncoder([TransformerEncoderLayer(modelSize: 4, headCount: 2, using: &generator)], norm: true),
            TransformerDecoder([TransformerDecoderLayer(modelSize: 4, headCount: 2, using: &generator)]),
            Transformer(modelSize: 4, headCount: 2, encoderLayerCount: 1, decoderLayerCount: 1, feedForwardSize: 8, using: &generator),
            SinusoidalPositionalEncoding(dimension: 4),
            LearnedPositionalEmbedding(maximumLength: 8, dimension: 4, using: &generator),
            InstanceNorm1d(4), InstanceNorm2d(4), RMSNorm([4]), MaxPool1d(2), AvgPool1d(2), AdaptiveAvgPool1d(outputSize: 1),
            AdaptiveMaxPool2d(outputSize: [1, 1]),
            Residual(Linear<Float>(4, 4)), Sequential<Float> { ReLU() },
        ]
        let json = try Sequential(layers).describe().jsonString()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let encoded = try #require((object["sequential"] as? [String: Any])?["layers"] as? [[String: [String: Any]]])
        var keysByKind: [String: Set<String>] = ["sequential": ["layers"]]
        for layer in encoded { for (kind, values) in layer { keysByKind[kind] = Set(values.keys) } }

        let rows = try rows()
        #expect(Set(keysByKind.keys) == Set(rows.keys), "encoded \(keysByKind.keys.sorted()), documented \(rows.keys.sorted())")
        for (kind, keys) in keysByKind {
            guard let row = rows[kind] else { continue }
            let documented = Set(row.required).union(row.defaults.keys)
            // "`size` or `scaleFactor`" names two fields of which one is given.
            let required = kind == "upsample" ? [] : Set(row.required)
            #expect(keys.isSubset(of: documented) && required.isSubset(of: keys),
                    "\(kind): documented \(documented.sorted()), encoded \(keys.sorted())")
        }
    }

    /// A layer written with its required fields only reads; leaving out any of them is an error
    /// naming it.
    @Test func theRequiredFieldsAreTheOnesAFileMustGive() throws {
        let rows = try rows()
        for (line, json) in try examples() {
            guard case .object(let outer) = try JSONDecoder().decode(JSONValue.self, from: Data(json.utf8)),
                  let (kind, body) = outer.first, case .object(let fields) = body, let row = rows[kind],
                  ModelDescription.layerKinds.contains(where: { $0.kind == kind }) else { continue }
            for name in row.required where fields[name] != nil {
                var without = fields
                without[name] = nil
                let text = String(decoding: try JSONEncoder().encode(JSONValue.object([kind: .object(without)])), as: UTF8.self)
                #expect(throws: ModelDescriptionError.self, "line \(line): \(kind) without \(name)") {
                    try ModelDescription(json: Array(text.utf8), source: "model.json")
                }
            }
        }
    }

    /// The article's JSON lines: the opening model (several lines) and one layer per line after.
    func examples() throws -> [(line: Int, json: String)] {
        let blocks = try codeBlocks(ofFile: "ModelFiles.md", language: "json")
        let opening = try #require(blocks.first)
        return [(opening.line, opening.lines.joined(separator: "\n"))]
            + blocks.dropFirst().flatMap { block in block.lines.enumerated().map { (block.line + $0.offset, $0.element) } }
    }

    @Test func everyKindHasAnExampleThatReads() throws {
        var shown = Set<String>()
        for (line, json) in try examples() {
            do {
                let description = try ModelDescription(json: Array(json.utf8), source: "ModelFiles.md line \(line)")
                if case .object(let outer) = try JSONDecoder().decode(JSONValue.self, from: Data(json.utf8)), let kind = outer.keys.first {
                    shown.insert(kind)
                }
                #expect(description.problem(scalarSize: 4) == nil, "line \(line)")
            } catch {
                Issue.record("line \(line): \(error)")
            }
        }
        #expect(shown.isSuperset(of: ModelDescription.layerKinds.map { $0.kind } + ["sequential", "residual"]))
    }

    /// The opening model is the network its text says: 28×28 images to ten classes.
    @Test func theOpeningModelTakesImagesToTenClasses() throws {
        let (_, json) = try #require(try examples().first)
        let description = try ModelDescription(json: Array(json.utf8), source: "ModelFiles.md")
        #expect(try description.outputShape(for: [2, 1, 28, 28]) == [2, 10])
    }
}
