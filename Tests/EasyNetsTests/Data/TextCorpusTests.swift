import Foundation
import Testing
@testable import EasyNets

/// The character-level text corpus: fortune splitting, the seeded split rule, the vocabulary, and
/// errors naming the file and byte offset of text that is not UTF-8.
@Suite struct TextCorpusTests {
    func documents(_ text: [UInt8], source: String = "f") -> [(source: String, bytes: ArraySlice<UInt8>, offset: Int)] {
        TextCorpus.fortuneDocuments(text, source: source)
    }

    @Test func fortunesSplitAtPercentLines() {
        let split = documents(Array("a\n%\nb\nc %\n%\n\n%\r\nd 100%\n".utf8))
        #expect(split.map { String(decoding: $0.bytes, as: UTF8.self) } == ["a", "b\nc %", "d 100%"])
        #expect(split.map(\.offset) == [0, 4, 16])
        #expect(documents([]).isEmpty && documents(Array("%\n%\n".utf8)).isEmpty)
    }

    /// The documented rule: one draw per document from a generator seeded with the seed; below the
    /// fraction, validation. Each side's documents are joined by newlines.
    @Test func splitFollowsTheSeededRule() throws {
        let texts = (0..<40).map { "doc \($0) ü" }
        let corpus = try TextCorpus(documents: texts.map { ("t", ArraySlice(Array($0.utf8)), 0) }, seed: 5, validationFraction: 0.3)
        var generator = RandomGenerator(seed: 5)
        var sides: [[String]] = [[], []]
        for text in texts { sides[generator.nextUnitDouble() < 0.3 ? 1 : 0].append(text) }
        #expect(!sides[0].isEmpty && !sides[1].isEmpty)
        #expect(corpus.vocabulary.decode(corpus.training) == sides[0].joined(separator: "\n"))
        #expect(corpus.vocabulary.decode(corpus.validation) == sides[1].joined(separator: "\n"))
        let scalars: [Unicode.Scalar] = Set((sides[0] + sides[1]).joined(separator: "\n").unicodeScalars).sorted { $0.value < $1.value }
        #expect(corpus.vocabulary.scalars == scalars)
        let umlaut = try #require(scalars.firstIndex(of: "ü"))
        #expect(try corpus.vocabulary.encode("doc ü") == Array(corpus.training.prefix(4)) + [umlaut])
        #expect(throws: DataError.self) { try corpus.vocabulary.encode("doc €") }
    }

    @Test func textThatIsNotUTF8NamesTheFileAndOffset() {
        #expect(throws: DataError(path: "f", location: "offset 7", reason: "the text is not UTF-8")) {
            try TextCorpus(documents: documents(Array("ok\n%\nab".utf8) + [0xFF] + Array("cd".utf8)), seed: 0, validationFraction: 0.1)
        }
        #expect(throws: DataError(path: "f", location: "offset 3", reason: "the text is not UTF-8")) {  // truncated at the end
            try TextCorpus(documents: documents(Array("abc".utf8) + [0xE2, 0x82]), seed: 0, validationFraction: 0.1)
        }
        #expect(throws: DataError(path: "f", location: "offset 1", reason: "the text is not UTF-8")) {  // an encoded surrogate
            try TextCorpus(documents: documents([0x41, 0xED, 0xA0, 0x80]), seed: 0, validationFraction: 0.1)
        }
    }

    @Test func fortuneFoldersAreCheckedFileByFile() throws {
        let folder = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(throws: DataError.self) { try TextCorpus.fortunes(directory: folder) }
        try Data("one\n%\ntwo\n".utf8).write(to: URL(fileURLWithPath: folder + "/a"))
        try Data([0x01, 0x02]).write(to: URL(fileURLWithPath: folder + "/a.dat"))  // an index: skipped
        let corpus = try TextCorpus.fortunes(directory: folder, seed: 0, validationFraction: 0)
        #expect(corpus.vocabulary.decode(corpus.training) == "one\ntwo" && corpus.validation.isEmpty)
        try Data("fine\n%\nbad ".utf8 + [0xC3]).write(to: URL(fileURLWithPath: folder + "/b"))
        #expect(throws: DataError(path: folder + "/b", location: "offset 11", reason: "the text is not UTF-8")) {
            try TextCorpus.fortunes(directory: folder)
        }
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/usr/share/games/fortunes/fortunes"), "Debian's fortunes (scripts/setup.sh)"))
    func debianFortunesLoad() throws {
        let corpus = try TextCorpus.fortunes()
        let share = Double(corpus.validation.count) / Double(corpus.training.count + corpus.validation.count)
        #expect(corpus.training.count > 1_000_000 && share > 0.05 && share < 0.15, "\(corpus.training.count) training, share \(share)")
        #expect(corpus.vocabulary.count > 90 && corpus.vocabulary.count < 1000)
        #expect(try TextCorpus.fortunes() == corpus, "the same seed gives the same corpus")
    }
}
