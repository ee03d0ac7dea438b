import Foundation

/// A character-level text corpus: the documents of some UTF-8 text files, split into training and
/// validation documents by a seeded rule, and a vocabulary of the Unicode scalars they use, so
/// that text becomes token ids and back.
///
/// ``init(contentsOf:seed:validationFraction:)`` reads one text file or a folder of them. A file
/// with a line of a single `%` is in fortune format (Debian's fortune files, package `fortunes`,
/// in `/usr/share/games/fortunes`): one document per fortune, between those lines. Any other file
/// has one document per line.
///
/// **The split rule.** Documents are visited in file-name order, then in file order; a generator
/// seeded with `seed` draws one uniform number in [0, 1) per document, and the document goes to
/// validation when the draw is below `validationFraction`. Each side is its documents joined by
/// a newline, so the split never cuts a document and the same seed gives the same split. A text
/// of one document (a file of one line) cannot be split: one side would be empty.
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
    /// The documents drawn for training and for validation.
    public let documentCounts: (training: Int, validation: Int)

    public static func == (lhs: TextCorpus, rhs: TextCorpus) -> Bool {
        (lhs.vocabulary, lhs.training, lhs.validation) == (rhs.vocabulary, rhs.training, rhs.validation)
            && lhs.documentCounts == rhs.documentCounts
    }

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
        var counts = [0, 0]
        for document in documents {
            let scalars = try TextCorpus.decode(document.bytes, source: document.source, offset: document.offset)
            let side = generator.nextUnitDouble() < validationFraction ? 1 : 0
            if counts[side] > 0 { sides[side].append("\n") }
            sides[side] += scalars
            counts[side] += 1
        }
        documentCounts = (counts[0], counts[1])
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
        let names = try listFolder(directory, hint: "; install the fortunes with: sudo apt-get install fortunes")
        let documents = try readDocuments(names.filter { !$0.contains(".") }.map { directory + "/" + $0 }, limitPath: directory)
        guard !documents.isEmpty else {
            throw DataError(path: directory, reason: "no fortune files; install them with: sudo apt-get install fortunes")
        }
        return try TextCorpus(documents: documents, seed: seed, validationFraction: validationFraction)
    }

    /// The documents of a text file, or of every regular file of a folder in name order (names
    /// beginning with `.` and fortune indexes, `.dat`, are skipped): fortunes when the file has a
    /// line of a single `%`, else its lines (``documents(of:source:)``). Throws a ``DataError``
    /// naming the path when it cannot be read or holds no text, or a file and byte offset when a
    /// file is not UTF-8.
    public init(contentsOf path: String, seed: UInt64 = 0, validationFraction: Double = 0.1) throws {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw DataError(path: path, reason: "no such file or folder")
        }
        let files = isFolder.boolValue
            ? try TextCorpus.listFolder(path, hint: "").filter { !$0.hasPrefix(".") && !$0.hasSuffix(".dat") }.map { path + "/" + $0 }
            : [path]
        let documents = try TextCorpus.readDocuments(files, limitPath: path)
        guard !documents.isEmpty else {
            throw DataError(path: path, reason: isFolder.boolValue ? "the folder holds no text file with text" : "the file holds no text")
        }
        try self.init(documents: documents, seed: seed, validationFraction: validationFraction)
    }

    /// The documents of one file: its fortunes (``fortuneDocuments(_:source:)``) when a line holds
    /// only `%`, else its lines without their line ends (a final newline ends the last line).
    public static func documents(of bytes: [UInt8], source: String) -> [(source: String, bytes: ArraySlice<UInt8>, offset: Int)] {
        let lines = lineRanges(bytes)
        if lines.contains(where: { isSeparator(bytes[$0]) }) { return fortuneDocuments(bytes, source: source) }
        return lines.map { range in
            let end = range.upperBound > range.lowerBound && bytes[range.upperBound - 1] == UInt8(ascii: "\r") ? range.upperBound - 1 : range.upperBound
            return (source, bytes[range.lowerBound..<end], range.lowerBound)
        }
    }

    private static func listFolder(_ directory: String, hint: String) throws -> [String] {
        do { return try FileManager.default.contentsOfDirectory(atPath: directory).sorted() } catch {
            throw DataError(path: directory, reason: "cannot list the folder" + hint)
        }
    }

    /// The documents of the regular files among `paths` (others are skipped), under one byte budget.
    private static func readDocuments(_ paths: [String], limitPath: String) throws -> [(source: String, bytes: ArraySlice<UInt8>, offset: Int)] {
        var documents: [(source: String, bytes: ArraySlice<UInt8>, offset: Int)] = []
        var total = 0
        for path in paths {
            guard let kind = try? FileManager.default.attributesOfItem(atPath: path)[.type] as? FileAttributeType,
                  kind == .typeRegular else { continue }
            let bytes = try readFileBytes(path)
            total += bytes.count
            guard total <= InputLimits.maximumBytes else {
                throw DataError(path: limitPath, reason: "the text files hold more than \(InputLimits.maximumBytes) bytes (InputLimits.maximumBytes)")
            }
            documents += TextCorpus.documents(of: bytes, source: path)
        }
        return documents
    }

    /// The ranges of the lines of `bytes`, without their `\n`; a final newline ends the last line.
    private static func lineRanges(_ bytes: [UInt8]) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var start = 0
        for index in bytes.indices where bytes[index] == UInt8(ascii: "\n") {
            ranges.append(start..<index)
            start = index + 1
        }
        if start < bytes.count { ranges.append(start..<bytes.count) }
        return ranges
    }

    /// Whether a line (without its `\n`) is a fortune separator: `%`, or `%` and a carriage return.
    private static func isSeparator(_ line: ArraySlice<UInt8>) -> Bool {
        line.elementsEqual([UInt8(ascii: "%")]) || line.elementsEqual([UInt8(ascii: "%"), UInt8(ascii: "\r")])
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
            if isSeparator(bytes[lineStart..<index]) {
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

    /// Throws a ``DataError`` naming `path` and the cause unless each side holds at least one
    /// sequence of `sequenceLength` characters and the character after it: all documents drawn for
    /// one side, or a side too short for the length.
    public func checkHoldsSequences(of sequenceLength: Int, path: String) throws {
        let total = documentCounts.training + documentCounts.validation
        for (ids, side, count) in [(training, "training", documentCounts.training), (validation, "validation", documentCounts.validation)] {
            if count == 0 {
                throw DataError(path: path, reason: "all \(total) document(s) of the text went to \(side == "training" ? "validation" : "training"), "
                                + "none to \(side); the split draws whole documents (lines, or fortunes between lines of %), so it needs text "
                                + "of more lines, or another split seed")
            }
            if ids.count <= sequenceLength {
                throw DataError(path: path, reason: "the \(side) text has \(ids.count) characters in \(count) document(s), fewer than one "
                                + "sequence of \(sequenceLength) characters and the one after it; use a sequence length of at most "
                                + "\(Swift.max(1, Swift.min(training.count, validation.count) - 1)) characters, or more text")
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
