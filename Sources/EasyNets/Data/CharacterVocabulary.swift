import Foundation

/// The characters (Unicode scalars) of a character-level model: token id i is `scalars[i]`.
/// Stored with a language model's checkpoint as a JSON array of code points, so that text can be
/// encoded and sampled text decoded without the corpus.
public struct CharacterVocabulary: Sendable, Equatable {
    /// The scalars; a token id indexes this array.
    public let scalars: [Unicode.Scalar]
    private let ids: [Unicode.Scalar: Int]

    /// The most distinct scalars a vocabulary may hold.
    public static let maximumCount = 1 << 16

    /// A vocabulary of distinct `scalars`, at most ``maximumCount``, in token-id order.
    public init(_ scalars: [Unicode.Scalar]) {
        require(scalars.count <= Self.maximumCount, "CharacterVocabulary: \(scalars.count) scalars, more than \(Self.maximumCount)")
        var ids: [Unicode.Scalar: Int] = [:]
        for (id, scalar) in scalars.enumerated() {
            require(ids.updateValue(id, forKey: scalar) == nil,
                    "CharacterVocabulary: \"\(scalar.escaped(asASCII: true))\" appears twice")
        }
        (self.scalars, self.ids) = (scalars, ids)
    }

    /// The number of token ids.
    public var count: Int { scalars.count }

    /// The token id of `scalar`, or `nil` when it is not in the vocabulary.
    public func id(of scalar: Unicode.Scalar) -> Int? { ids[scalar] }

    /// The token ids of `text`, or a ``DataError`` naming the first character outside the vocabulary.
    public func encode(_ text: String) throws -> [Int] {
        try text.unicodeScalars.enumerated().map { index, scalar in
            guard let id = ids[scalar] else {
                throw DataError(path: "<text>", location: "character \(index)",
                                reason: "\"\(scalar.escaped(asASCII: true))\" is not in the vocabulary")
            }
            return id
        }
    }

    /// The text of `ids` (each in `0 ..< count`).
    public func decode(_ ids: [Int]) -> String {
        var text = String.UnicodeScalarView()
        for id in ids {
            require(id >= 0 && id < count, "CharacterVocabulary.decode: token id \(id) is outside 0..<\(count)")
            text.append(scalars[id])
        }
        return String(text)
    }

    /// The vocabulary as a JSON array of code points, `[10,32,33,…]`.
    public var jsonString: String { "[" + scalars.map { String($0.value) }.joined(separator: ",") + "]" }

    /// Reads a vocabulary written by ``jsonString``; throws a ``DataError`` naming `source` and
    /// `location` unless it is an array of 1 to ``maximumCount`` distinct Unicode code points.
    public init(json: String, source: String, location: String = "") throws {
        func fail(_ reason: String) -> DataError { DataError(path: source, location: location, reason: reason) }
        guard json.utf8.count <= 16 * Self.maximumCount,
              let values = try? JSONDecoder().decode([Int64].self, from: Data(json.utf8)) else {
            throw fail("the vocabulary is not a JSON array of code points")
        }
        guard (1...Self.maximumCount).contains(values.count) else {
            throw fail("the vocabulary holds \(values.count) characters; it must hold 1 to \(Self.maximumCount)")
        }
        var scalars: [Unicode.Scalar] = []
        var seen = Set<Unicode.Scalar>()
        for (index, value) in values.enumerated() {
            guard let code = UInt32(exactly: value), let scalar = Unicode.Scalar(code) else {
                throw fail("entry \(index) of the vocabulary, \(value), is not a Unicode scalar")
            }
            guard seen.insert(scalar).inserted else { throw fail("entry \(index) of the vocabulary, \(value), appears twice") }
            scalars.append(scalar)
        }
        self.init(scalars)
    }
}

extension CharacterVocabulary {
    /// Throws a ``CheckpointError`` naming `path` unless `file` was written for a language model of
    /// these characters, in this order (its metadata `extra.text.vocabulary`, see
    /// ``TextSampler/checkpointExtra(vocabulary:contextLength:)``). A file without a vocabulary,
    /// such as a plain state dict, passes unless `required`.
    public func checkMatches(checkpoint file: SafeTensorsFile, path: String, required: Bool = false) throws {
        let key = "extra." + TextSampler<Float>.vocabularyKey
        guard let saved = file.metadata[key] else {
            if required { throw CheckpointError(path: path, reason: "it is not a language model's checkpoint (no metadata \"\(key)\")") }
            return
        }
        if saved != jsonString {
            throw CheckpointError(path: path, reason: "it was not written for a language model of this text's \(count) "
                                  + "characters (metadata \"\(key)\")")
        }
    }
}
