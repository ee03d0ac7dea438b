import Foundation

/// A character-level text corpus: the documents of some UTF-8 text files, split into training and
/// validation documents by a seeded rule, and a vocabulary of the Unicode scalars they use, so
/// that text becomes token ids and back.
///
/// Debian's fortune files (`fortunes`, in `/usr/share/games/fortunes`) hold one document per
/// fortune, separated by lines of a single `%` (``fortunes(directory:seed:validationFraction:)``).
///
/// **The split rule.** Documents are visited in file-name order, then in file order; a generator
/// seeded with `seed` draws one uniform number in [0, 1) per document, and the document goes to
/// validation when the draw is below `validationFraction`. Each side is its documents joined by
/// a newline, so the split never cuts a document and the same seed gives the same split.
///
/// **The vocabulary** is every Unicode scalar of both sides, sorted by code point: token id i is
/// the i-th scalar.
///
/// A language model learns from ``nextCharacterData(_:sequenceLength:as:)``: sequences of the
/// text, each character labeled with the one after it.
public struct TextCorpus: Sendable, Equatable {
    /// The scalars of the text, sorted by code point.
    public let vocabulary: CharacterVocabulary
    /// The training text as token ids.
    public let training: [Int]
    /// The validation text as token ids.
    public let validation: [Int]

    /// A corpus of `documents` (each named for errors), split and indexed as described above.
    /// Throws a ``DataError`` naming the document's source when its bytes are not UTF-8, or the
    /// corpus uses more than ``CharacterVocabulary/maximumCount`` scalars.
    public init(documents: [(source: String, bytes: ArraySlice<UInt8>, offset: Int)], seed: UInt64,
                validationFraction: Double) throws {
        guard validationFraction >= 0 && validationFraction < 1 else {
            throw DataError(path: "<text>", reason: "the validation fraction must be in [0, 1), got \(validationFraction)")
        }
        var generator = RandomGenerator(seed: seed)
        var sides: [[Unicode.Scalar]] = [[], []]
        for document in documents {
            let scalars = try TextCorpus.decode(document.bytes, source: document.source, offset: document.offset)
            let side = generator.nextUnitDouble() < validationFraction ? 1 : 0
            if !sides[side].isEmpty { sides[side].append("\n") }
            sides[side] += scalars
        }
        let distinct = Set(sides[0]).union(sides[1])
        guard distinct.count <= CharacterVocabulary.maximumCount else {
            throw DataError(path: documents.first?.source ?? "<text>",
                            reason: "the text uses \(distinct.count) distinct characters, more than \(CharacterVocabulary.maximumCount)")
        }
        let vocabulary = CharacterVocabulary(distinct.sorted { $0.value < $1.value })
        training = sides[0].map { vocabulary.id(of: $0)! }
        validation = sides[1].map { vocabulary.id(of: $0)! }
        self.vocabulary = vocabulary
    }

    /// The fortunes of every regular file in `directory` without an extension (the `.dat` indexes
    /// and `.u8` links are skipped), one document per fortune. Throws a ``DataError`` naming the
    /// folder when it holds no fortune file, or a file and byte offset when a file is not UTF-8.
    public static func fortunes(directory: String = "/usr/share/games/fortunes", seed: UInt64 = 0,
                                validationFraction: Double = 0.1) throws -> TextCorpus {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
            throw DataError(path: directory, reason: "cannot list the folder; install the fortunes with: sudo apt-get install fortunes")
        }
        var documents: [(source: String, bytes: ArraySlice<UInt8>, offset: Int)] = []
        var total = 0
        for name in names.sorted() where !name.contains(".") {
            let path = directory + "/" + name
            guard let kind = try? FileManager.default.attributesOfItem(atPath: path)[.type] as? FileAttributeType,
                  kind == .typeRegular else { continue }
            let bytes = try readFileBytes(path)
            total += bytes.count
            guard total <= InputLimits.maximumBytes else {
                throw DataError(path: directory, reason: "the fortune files hold more than \(InputLimits.maximumBytes) bytes (InputLimits.maximumBytes)")
            }
            documents += fortuneDocuments(bytes, source: path)
        }
        guard !documents.isEmpty else {
            throw DataError(path: directory, reason: "no fortune files; install them with: sudo apt-get install fortunes")
        }
        return try TextCorpus(documents: documents, seed: seed, validationFraction: validationFraction)
    }

    /// The fortunes of one file: the text between lines that hold only `%`, without their final
    /// newline; empty ones are dropped. Each keeps its byte offset in the file, for errors.
    public static func fortuneDocuments(_ bytes: [UInt8], source: String) -> [(source: String, bytes: ArraySlice<UInt8>, offset: Int)] {
        var documents: [(source: String, bytes: ArraySlice<UInt8>, offset: Int)] = []
        var start = 0, lineStart = 0
        func close(at end: Int) {
            var last = end
            if last > start && bytes[last - 1] == UInt8(ascii: "\n") { last -= 1 }
            if last > start { documents.append((source, bytes[start..<last], start)) }
        }
        for index in 0...bytes.count where index == bytes.count || bytes[index] == UInt8(ascii: "\n") {
            let line = bytes[lineStart..<index]
            if line.elementsEqual([UInt8(ascii: "%")]) || line.elementsEqual([UInt8(ascii: "%"), UInt8(ascii: "\r")]) {
                close(at: lineStart)
                start = Swift.min(index + 1, bytes.count)
            }
            lineStart = index + 1
        }
        close(at: bytes.count)
        return documents
    }

    /// The Unicode scalars of UTF-8 `bytes`, or a ``DataError`` naming `source` and the offset
    /// (counted from `offset`) of the first byte that is not UTF-8.
    static func decode(_ bytes: ArraySlice<UInt8>, source: String, offset: Int) throws -> [Unicode.Scalar] {
        var scalars: [Unicode.Scalar] = []
        scalars.reserveCapacity(bytes.count)
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var position = offset
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                scalars.append(scalar)
                position += UTF8.width(scalar)
            case .emptyInput:
                return scalars
            case .error:
                throw DataError(path: source, location: "offset \(position)", reason: "the text is not UTF-8")
            }
        }
    }

    /// Training data for a character-level language model: `ids` cut into consecutive sequences of
    /// `sequenceLength` tokens, without overlap, each token labeled with the token after it. The
    /// features are the ids as numbers, (count, sequenceLength), for a leading ``Embedding``; the
    /// labels have shape [sequenceLength]. The count is ⌊(ids.count − 1) / sequenceLength⌋; a
    /// text of fewer than sequenceLength + 1 tokens gives none.
    public static func nextCharacterData<Scalar: TensorScalar>(_ ids: [Int], sequenceLength: Int,
                                                               as: Scalar.Type = Scalar.self) -> Dataset<Scalar> {
        require(sequenceLength >= 1, "TextCorpus.nextCharacterData: sequenceLength must be at least 1, got \(sequenceLength)")
        let count = Swift.max(ids.count - 1, 0) / sequenceLength, used = count * sequenceLength
        let features = Tensor<Scalar>(ids[..<used].map { Scalar(Double($0)) }, shape: [count, sequenceLength])
        return Dataset(features: features, labels: Array(ids.dropFirst().prefix(used)), labelShape: [sequenceLength])
    }
}
