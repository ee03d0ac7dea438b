import Foundation
import Testing

// Every ```swift block of README.md and of the DocC articles has exactly one copy in this folder,
// marked by a line `// Documentation block: FILE #N` (the N-th Swift block of FILE) and followed
// by the block's lines, verbatim, without its `import` lines. The tests around each copy run it
// and check its results against an independent computation. The tests below fail when a block
// has no copy, when a copy differs from its block, or when a fence looks like Swift but is not
// exactly ```swift (code that must not run goes in a block of another language).

/// One fenced code block of a Markdown file.
struct CodeBlock: CustomStringConvertible {
    /// The file's name, e.g. "README.md" or "Training.md".
    var file: String
    /// The block's language (the fence's info string).
    var language: String
    /// The 1-based number of the block among the file's blocks of the same language.
    var number: Int
    /// The line after the opening fence (1-based).
    var line: Int
    /// The lines between the fences.
    var lines: [String]

    var description: String { "\(file) #\(number) (\(language), line \(line))" }

    /// The lines a tested copy holds, with their line numbers in the file: the block without its
    /// `import` lines and the blank lines that then lead it.
    var copied: [(line: Int, text: String)] {
        let numbered = lines.enumerated().map { (line: self.line + $0.offset, text: $0.element) }
            .filter { !$0.text.trimmingCharacters(in: .whitespaces).hasPrefix("import ") }
        return Array(numbered.drop { $0.text.trimmingCharacters(in: .whitespaces).isEmpty })
    }

    /// The copied lines' text.
    var copiedLines: [String] { copied.map(\.text) }
}

/// The documentation's Markdown files: README.md, then the DocC catalog's articles by name.
func documentationFiles() throws -> [(name: String, path: String)] {
    let catalog = repositoryRoot.appendingPathComponent("Sources/EasyNets/EasyNets.docc")
    let articles = try FileManager.default.contentsOfDirectory(atPath: catalog.path).filter { $0.hasSuffix(".md") }.sorted()
    return [("README.md", repositoryRoot.appendingPathComponent("README.md").path)]
        + articles.map { ($0, catalog.appendingPathComponent($0).path) }
}

/// Every fenced block of `markdown`, numbered per language.
func codeBlocks(in markdown: String, file: String) -> [CodeBlock] {
    var blocks: [CodeBlock] = [], counts: [String: Int] = [:]
    var open: (language: String, line: Int, lines: [String])?
    for (index, line) in markdown.components(separatedBy: "\n").enumerated() {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        if var current = open {
            if trimmed == "```" {
                counts[current.language, default: 0] += 1
                blocks.append(CodeBlock(file: file, language: current.language, number: counts[current.language]!,
                                        line: current.line, lines: current.lines))
                open = nil
            } else {
                current.lines.append(line)
                open = current
            }
        } else if trimmed.hasPrefix("```") {
            open = (String(trimmed.dropFirst(3)).trimmingCharacters(in: .whitespaces), index + 2, [])
        }
    }
    return blocks
}

/// The blocks of one documentation file in `language`.
func codeBlocks(ofFile name: String, language: String) throws -> [CodeBlock] {
    let path = try #require(try documentationFiles().first { $0.name == name }?.path, "no documentation file \(name)")
    return codeBlocks(in: try String(contentsOfFile: path, encoding: .utf8), file: name).filter { $0.language == language }
}

/// The text of one documentation file.
func documentationText(_ name: String) throws -> String {
    let path = try #require(try documentationFiles().first { $0.name == name }?.path, "no documentation file \(name)")
    return try String(contentsOfFile: path, encoding: .utf8)
}

/// A marked copy in a test file: which block it claims to be, and the lines that follow.
struct TestedCopy {
    var file: String, number: Int
    var source: String, line: Int
    var indentation: String
    var following: [String]
}

/// Every `// Documentation block: FILE #N` marker in this folder's Swift files.
func testedCopies() throws -> [TestedCopy] {
    let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    var copies: [TestedCopy] = []
    let marker = "// Documentation block: "
    for name in try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() where name.hasSuffix(".swift") {
        let lines = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8).components(separatedBy: "\n")
        for (index, line) in lines.enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix(marker) else { continue }
            let claim = trimmed.dropFirst(marker.count).split(separator: " #")
            guard claim.count == 2, let number = Int(claim[1]) else {
                Issue.record("\(name):\(index + 1): a marker must read `\(marker)FILE #N`")
                continue
            }
            let indentation = String(line.prefix { $0 == " " })
            copies.append(TestedCopy(file: String(claim[0]), number: number, source: name, line: index + 1,
                                     indentation: indentation, following: Array(lines[(index + 1)...])))
        }
    }
    return copies
}

/// Runs `body` with a new, empty current directory (so examples that write "model.safetensors"
/// write there), one such body at a time, then restores the directory and removes the folder.
func inScratchDirectory<R>(_ body: () throws -> R) throws -> R {
    scratchLock.lock()
    defer { scratchLock.unlock() }
    let folder = NSTemporaryDirectory() + "easynets-docs-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let previous = FileManager.default.currentDirectoryPath
    guard FileManager.default.changeCurrentDirectoryPath(folder) else { throw CocoaError(.fileNoSuchFile) }
    defer {
        _ = FileManager.default.changeCurrentDirectoryPath(previous)
        try? FileManager.default.removeItem(atPath: folder)
    }
    return try body()
}

private let scratchLock = NSLock()

@Suite("Documentation blocks")
struct DocumentationBlockTests {
    /// A fence that starts like Swift is exactly ```swift: runnable code, tested.
    @Test func swiftFencesAreExact() throws {
        for (name, path) in try documentationFiles() {
            for block in codeBlocks(in: try String(contentsOfFile: path, encoding: .utf8), file: name)
            where block.language.lowercased().hasPrefix("swift") {
                #expect(block.language == "swift", "\(block): the fence must be exactly ```swift, or another language for code that does not run")
            }
        }
    }

    /// Every Swift block has exactly one marked copy here, and every copy is its block, verbatim.
    @Test func everySwiftBlockIsTested() throws {
        var blocks: [String: CodeBlock] = [:]
        for (name, path) in try documentationFiles() {
            for block in codeBlocks(in: try String(contentsOfFile: path, encoding: .utf8), file: name) where block.language == "swift" {
                blocks["\(name) #\(block.number)"] = block
            }
        }
        #expect(blocks["README.md #1"] != nil, "README.md has a Swift example")
        let copies = try testedCopies()
        var copied: [String: Int] = [:]
        for copy in copies {
            let key = "\(copy.file) #\(copy.number)"
            copied[key, default: 0] += 1
            guard let block = blocks[key] else {
                Issue.record("\(copy.source):\(copy.line): there is no Swift block \(key)")
                continue
            }
            for (offset, (number, line)) in block.copied.enumerated() {
                let actual = offset < copy.following.count ? copy.following[offset] : "<end of file>"
                let matches = line.trimmingCharacters(in: .whitespaces).isEmpty
                    ? actual.trimmingCharacters(in: .whitespaces).isEmpty
                    : actual == copy.indentation + line
                if !matches {
                    Issue.record("""
                        \(copy.source):\(copy.line + 1 + offset) differs from \(block.file) line \(number) \
                        (block \(key)):
                          documentation: \(line)
                          test:          \(actual.dropFirst(min(copy.indentation.count, actual.prefix { $0 == " " }.count)))
                        """)
                    break
                }
            }
        }
        for key in blocks.keys.sorted() {
            #expect(copied[key] == 1, "\(key) (line \(blocks[key]!.line)) needs exactly one tested copy, has \(copied[key] ?? 0)")
        }
    }

    /// The parser finds fences, languages and numbers as Markdown defines them.
    @Test func blocksAreParsed() {
        let markdown = "text\n```swift\nlet a = 1\n\nlet b = 2\n```\n```sh\nls\n```\n```swift\nimport EasyNets\n\nprint(a)\n```\n"
        let blocks = codeBlocks(in: markdown, file: "x.md")
        #expect(blocks.map(\.language) == ["swift", "sh", "swift"])
        #expect(blocks.map(\.number) == [1, 1, 2])
        #expect(blocks.map(\.line) == [3, 8, 11])
        #expect(blocks[0].lines == ["let a = 1", "", "let b = 2"])
        #expect(blocks[0].copiedLines == blocks[0].lines)
        #expect(blocks[2].copied.map(\.text) == ["print(a)"] && blocks[2].copied.map(\.line) == [13])
    }
}
