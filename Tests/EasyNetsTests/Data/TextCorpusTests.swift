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

    /// A file with a `%` line is fortunes; any other is one document per line (a final newline
    /// ends the last line, carriage returns of CRLF line ends are dropped, empty lines are kept).
    @Test func filesAreFortunesOrLines() {
        func split(_ text: String) -> [String] {
            TextCorpus.documents(of: Array(text.utf8), source: "f").map { String(decoding: $0.bytes, as: UTF8.self) }
        }
        #expect(split("a b\r\n\nc 100%\nd") == ["a b", "", "c 100%", "d"])
        #expect(TextCorpus.documents(of: Array("a\nbc\n".utf8), source: "f").map(\.offset) == [0, 2])
        #expect(split("a\n%\nb\nc\n") == ["a", "b\nc"])
        #expect(split("").isEmpty)
    }

    /// One plain file: its lines drawn by the seeded rule, the same corpus as those documents.
    @Test func aPlainFileIsSplitByLines() throws {
        let folder = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let lines = (0..<50).map { "line \($0) of the text" }
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: folder + "/book.txt"))
        let corpus = try TextCorpus(contentsOf: folder + "/book.txt", seed: 3, validationFraction: 0.1)
        let expected = try TextCorpus(documents: lines.map { ("t", ArraySlice(Array($0.utf8)), 0) }, seed: 3, validationFraction: 0.1)
        #expect(corpus == expected)
        #expect(corpus.documentCounts.training + corpus.documentCounts.validation == 50 && corpus.documentCounts.validation > 0)
        // A folder of plain files: every file in name order; hidden files and fortune indexes skipped.
        try Data("first\nsecond\n".utf8).write(to: URL(fileURLWithPath: folder + "/a.txt"))
        try Data([0xFF]).write(to: URL(fileURLWithPath: folder + "/.hidden"))
        try Data([0xFF]).write(to: URL(fileURLWithPath: folder + "/a.dat"))
        let all = try TextCorpus(contentsOf: folder, seed: 3, validationFraction: 0)
        #expect(all.vocabulary.decode(all.training) == "first\nsecond\n" + lines.joined(separator: "\n"))
        #expect(throws: DataError(path: folder + "/none", reason: "no such file or folder")) {
            try TextCorpus(contentsOf: folder + "/none")
        }
    }

    /// Text too short to split names the cause: one side without documents, or a side shorter
    /// than a sequence and the character after it.
    @Test func textTooShortNamesTheCause() throws {
        let one = try TextCorpus(documents: [("f", ArraySlice(Array("a single line".utf8)), 0)], seed: 0, validationFraction: 0.1)
        #expect(one.documentCounts == (1, 0))
        #expect(throws: DataError.self) { try one.checkHoldsSequences(of: 4, path: "f") }
        do { try one.checkHoldsSequences(of: 4, path: "f") } catch let error as DataError {
            #expect(error.reason.hasPrefix("all 1 document(s) of the text went to training, none to validation"), "\(error)")
        }
        let texts = (0..<40).map { "doc \($0)" }
        let corpus = try TextCorpus(documents: texts.map { ("t", ArraySlice(Array($0.utf8)), 0) }, seed: 5, validationFraction: 0.3)
        let shortest = min(corpus.training.count, corpus.validation.count)
        try corpus.checkHoldsSequences(of: shortest - 1, path: "t")
        do {
            try corpus.checkHoldsSequences(of: shortest, path: "t")
            Issue.record("a side of \(shortest) characters holds no sequence of \(shortest) and the next")
        } catch let error as DataError {
            #expect(error.reason.contains("fewer than one sequence of \(shortest) characters") && error.reason.contains("at most \(shortest - 1)"),
                    "\(error)")
        }
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/usr/share/games/fortunes/fortunes"), "Debian's fortunes (scripts/setup.sh)"))
    func debianFortunesLoad() throws {
        let corpus = try TextCorpus.fortunes()
        let share = Double(corpus.validation.count) / Double(corpus.training.count + corpus.validation.count)
        #expect(corpus.training.count > 1_000_000 && share > 0.05 && share < 0.15, "\(corpus.training.count) training, share \(share)")
        #expect(corpus.vocabulary.count > 90 && corpus.vocabulary.count < 1000)
        #expect(try TextCorpus.fortunes() == corpus, "the same seed gives the same corpus")
        #expect(try TextCorpus(contentsOf: "/usr/share/games/fortunes") == corpus, "each fortune file has % lines")
    }
}
