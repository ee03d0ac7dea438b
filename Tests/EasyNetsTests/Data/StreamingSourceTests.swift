import EasyNets
import Foundation
import Testing

// Sources read example by example (a memory-mapped .npy, a folder of PGM images with a labels
// file): each batch equals, bit for bit, the same examples of the in-memory Dataset of the same
// data, and every bad or changed file is a DataError naming it.

/// `.npy` bytes of `descr` and `shape` around `data` (raw, in the dtype's byte order).
private func npy(_ descr: String, _ shape: [Int], _ data: [UInt8]) -> [UInt8] { NPYArray.header(descr: descr, shape: shape) + data }

/// Writes `bytes` to `path`, failing the test when it cannot.
private func write(_ bytes: [UInt8], to path: String) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// A tensor's values as bits (Float widens to Double exactly, so equal bits mean equal Floats).
private func bits<T: TensorScalar>(_ tensor: Tensor<T>) -> [UInt64] { tensor.scalars.map { Double($0).bitPattern } }

/// Expects `actual` to hold exactly `expected`'s features (every bit, and the shape) and targets.
private func expectIdentical<T: TensorScalar>(_ actual: Dataset<T>, _ expected: Dataset<T>, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.features.shape == expected.features.shape, sourceLocation: sourceLocation)
    #expect(bits(actual.features) == bits(expected.features), sourceLocation: sourceLocation)
    #expect(actual.targetLayout == expected.targetLayout, sourceLocation: sourceLocation)
    switch (actual.targets, expected.targets) {
    case (.classes(let a), .classes(let b)): #expect(a.values == b.values && a.shape == b.shape, sourceLocation: sourceLocation)
    case (.values(let a), .values(let b)):
        #expect(a.shape == b.shape && bits(a) == bits(b), sourceLocation: sourceLocation)
    default: Issue.record("targets of different kinds", sourceLocation: sourceLocation)
    }
}

/// A P5 image, 8-bit or 16-bit, of `values`.
private func p5(width: Int, height: Int, maxValue: Int, _ values: [Int]) -> [UInt8] {
    Array("P5\n\(width) \(height)\n\(maxValue)\n".utf8) + values.flatMap { maxValue < 256 ? [UInt8($0)] : [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
}

@Suite("Streaming sources")
struct StreamingSourceTests {
    // MARK: Memory-mapped .npy

    @Test(arguments: ["<f4", "<f8", "|u1", ">i2", "<i8"])
    func npySourceMatchesTheArrayInMemory(descr: String) throws {
        let folder = try temporaryDirectory()
        // 7 examples of 2×3 values; every dtype's bytes from the same small integers and fractions.
        let size = Int(descr.dropFirst(2))!, values = (0..<42).map { Double($0 % 17) * (descr.contains("f") ? 0.37 : 1) }
        let data: [UInt8] = values.flatMap { value -> [UInt8] in
            switch descr {
            case "<f4": withUnsafeBytes(of: Float(value).bitPattern.littleEndian, Array.init)
            case "<f8": withUnsafeBytes(of: value.bitPattern.littleEndian, Array.init)
            case ">i2": withUnsafeBytes(of: Int16(value).bigEndian, Array.init)
            case "<i8": withUnsafeBytes(of: Int64(value).littleEndian, Array.init)
            default: [UInt8(value)]
            }
        }
        #expect(data.count == 42 * size)
        try write(npy(descr, [7, 2, 3], data), to: folder + "/x.npy")
        try NPYArray(descr: "<i8", shape: [7], values: [3, 0, 2, 2, 1, 0, 3]).write(toFile: folder + "/y.npy")
        let source = try NPYSource<Float>(features: folder + "/x.npy", targets: folder + "/y.npy", dividingBy: 3)
        #expect(source.count == 7 && source.exampleShape == [2, 3] && source.targetLayout == .classes([]))

        let array = try NPYArray(contentsOfFile: folder + "/x.npy")
        #expect(array.values == values.map { descr == "<f4" ? Double(Float($0)) : $0 })
        // Divided as IDXFile and PGMImage divide: correctly rounded (Dataset.scaled multiplies by 1/3).
        let memory = Dataset(features: Tensor(array.tensor(as: Float.self).scalars.map { $0 / 3 }, shape: [7, 2, 3]),
                             labels: [3, 0, 2, 2, 1, 0, 3])
        for indices in [[0, 1, 2, 3, 4, 5, 6], [6, 0, 3], [2], []] {
            expectIdentical(try source.examples(at: indices), memory.subset(indices))
        }
    }

    @Test func npySourceValueTargetsAndTargetsInMemory() throws {
        let folder = try temporaryDirectory()
        try NPYArray(descr: "<f8", shape: [4, 2], values: [1, -2, 3.5, 4, 0, 1e-300, -7, 8]).write(toFile: folder + "/x.npy")
        try NPYArray(descr: "<f4", shape: [4], values: [0.5, 1.5, -2, 3]).write(toFile: folder + "/y.npy")
        let source = try NPYSource<Double>(features: folder + "/x.npy", targets: folder + "/y.npy")
        #expect(source.targetLayout == .values([1]), "a 1-D float array is one value per example")
        let x = try NPYArray(contentsOfFile: folder + "/x.npy").tensor(as: Double.self)
        let memory = Dataset(features: x, targets: Tensor<Double>([0.5, 1.5, -2, 3], shape: [4, 1]))
        expectIdentical(try source.examples(at: [3, 1, 0]), memory.subset([3, 1, 0]))

        let perPosition = IndexTensor([1, 0, 2, 2, 0, 1, 1, 1], shape: [4, 2])
        let given = try NPYSource<Double>(features: folder + "/x.npy", targets: .classes(perPosition))
        #expect(given.targetLayout == .classes([2]))
        expectIdentical(try given.examples(at: [2, 0]), Dataset(features: x, targets: perPosition).subset([2, 0]))
        // A 1-D features array is one feature per example.
        try NPYArray(descr: "<f4", shape: [4], values: [1, 2, 3, 4]).write(toFile: folder + "/flat.npy")
        let flat = try NPYSource<Float>(features: folder + "/flat.npy", targets: .classes(IndexTensor([0, 1, 0, 1])))
        #expect(flat.exampleShape == [1])
        #expect(try flat.examples(at: [3, 0]).features.scalars == [4, 1])
    }

    @Test func npySourceRefusesBadFilesAtOpen() throws {
        let folder = try temporaryDirectory(), path = folder + "/x.npy"
        let labels = Targets<Float>.classes(IndexTensor([0, 1, 0]))
        let whole = npy("<f4", [3, 2], [UInt8](repeating: 0, count: 24))
        try write(Array(whole.dropLast(5)), to: path)
        expectError(DataError.self, path, "truncated", "needs 24 data bytes") { _ = try NPYSource(features: path, targets: labels) }
        try write(whole + [0], to: path)
        expectError(DataError.self, path, "trailing data") { _ = try NPYSource(features: path, targets: labels) }
        try write(npy("<f4", [9_223_372_036_854_775_807, 3], []), to: path)
        expectError(DataError.self, path, "overflows") { _ = try NPYSource(features: path, targets: labels) }
        try write(npy("<c8", [3, 2], []), to: path)
        expectError(DataError.self, path, "unsupported dtype") { _ = try NPYSource(features: path, targets: labels) }
        try write(npy("<f4", [3, 0], []), to: path)
        expectError(DataError.self, path, "hold no features") { _ = try NPYSource(features: path, targets: labels) }
        expectError(DataError.self, folder + "/missing.npy", "no such file") { _ = try NPYSource(features: folder + "/missing.npy", targets: labels) }
        expectError(DataError.self, folder, "not a regular file") { _ = try NPYSource(features: folder, targets: labels) }

        try write(whole, to: path)
        expectError(DataError.self, path, "3 examples", "the targets have 2") {
            _ = try NPYSource(features: path, targets: Targets<Float>.classes(IndexTensor([0, 1])))
        }
        for (name, array) in [("negative", NPYArray(descr: "<i8", shape: [3], values: [0, -1, 2])),
                              ("short", NPYArray(descr: "<i8", shape: [2], values: [0, 1]))] {
            try array.write(toFile: folder + "/\(name).npy")
        }
        expectError(DataError.self, folder + "/negative.npy", "value 1", "class index -1.0 is not a whole number ≥ 0") {
            _ = try NPYSource<Float>(features: path, targets: folder + "/negative.npy")
        }
        expectError(DataError.self, path, "3 examples", "short.npy have 2") { _ = try NPYSource<Float>(features: path, targets: folder + "/short.npy") }
    }

    @Test func npyFileTruncatedAfterOpeningIsAnErrorAtTheNextBatch() throws {
        let path = try temporaryDirectory() + "/x.npy"
        try write(npy("<f4", [3, 2], [UInt8](repeating: 0, count: 24)), to: path)
        let source = try NPYSource(features: path, targets: Targets<Float>.classes(IndexTensor([0, 1, 0])))
        #expect(try source.examples(at: [2]).features.scalars == [0, 0])
        #expect(truncate(path, 70) == 0)  // the same file (inode), now shorter than its mapping
        expectError(DataError.self, path, "changed since (truncated)") { _ = try source.examples(at: [0]) }
    }

    @Test func aBatchOverTheMemoryLimitIsAnError() async {
        // A lowered limit is global state, so this runs in a child process.
        await #expect(processExitsWith: .success) {
            let path = NSTemporaryDirectory() + "easynets-npy-limit-\(getpid()).npy"
            defer { unlink(path) }
            do {
                try NPYArray(descr: "<f4", shape: [64, 1024], values: [Double](repeating: 1, count: 65_536)).write(toFile: path)
                let source = try NPYSource(features: path, targets: Targets<Float>.classes(IndexTensor([Int](repeating: 0, count: 64))))
                InputLimits.maximumBytes = 64 << 10  // 16 examples of 4 KiB
                _ = try source.examples(at: Array(0..<16))
                _ = try source.examples(at: Array(0..<17))
                exit(3)
            } catch let error as DataError {
                exit(error.description.contains("a batch of 17") && error.description.contains("InputLimits.maximumBytes") ? 0 : 4)
            } catch { exit(5) }
        }
    }

    // MARK: A folder of PGM images

    /// A folder of three 3×2 images (P5 8-bit, P5 16-bit, P2 with a comment) and its labels file.
    private func imageFolder(labels: String = "file,label\na.pgm,2\n\n\"b.pgm\", 0\nc.pgm,1\n") throws -> String {
        let folder = try temporaryDirectory()
        try write(p5(width: 3, height: 2, maxValue: 255, [0, 17, 255, 128, 3, 64]), to: folder + "/a.pgm")
        try write(p5(width: 3, height: 2, maxValue: 1000, [1000, 0, 999, 500, 250, 1]), to: folder + "/b.pgm")
        try write(Array("P2\n# plain\n3 2\n15\n0 1 2\n13 14 15\n".utf8), to: folder + "/c.pgm")
        try write(Array(labels.utf8), to: folder + "/labels.csv")
        return folder
    }

    @Test func pgmFolderMatchesTheImagesInMemory() throws {
        let folder = try imageFolder()
        let source = try PGMFolderSource<Float>(folder: folder, labelsFile: folder + "/labels.csv")
        #expect(source.files == ["a.pgm", "b.pgm", "c.pgm"] && source.exampleShape == [1, 2, 3] && source.targetLayout == .classes([]))
        let images = try source.files.map { try PGMImage(contentsOfFile: folder + "/" + $0) }
        let pixels = images.map { $0.pixels(dividingBy: Double($0.maxValue), as: Float.self) }
        let memory = Dataset(features: Tensor.stacked(pixels, along: 0).reshaped(to: [3, 1, 2, 3]), labels: [2, 0, 1])
        #expect(images[0].values == [0, 17, 255, 128, 3, 64] && images[2].values == [0, 1, 2, 13, 14, 15])
        for indices in [[0, 1, 2], [2, 2, 0], [1]] {
            expectIdentical(try source.examples(at: indices), memory.subset(indices))
        }
        // A fixed divisor instead of each image's maximum.
        let raw = try PGMFolderSource<Double>(folder: folder, labelsFile: folder + "/labels.csv", dividingBy: 1)
        #expect(try raw.examples(at: [1]).features.scalars == [1000, 0, 999, 500, 250, 1])
    }

    @Test func pgmFolderWithValueTargets() throws {
        let folder = try imageFolder(labels: "file,x,y\nc.pgm,0.25,-1\na.pgm,3,1e2\n")
        let source = try PGMFolderSource<Double>(folder: folder, labelsFile: folder + "/labels.csv", labels: .values)
        #expect(source.count == 2 && source.targetLayout == .values([2]))
        let examples = try source.examples(at: [1, 0])
        guard case .values(let targets) = examples.targets else { Issue.record("expected values"); return }
        #expect(targets.shape == [2, 2] && targets.scalars == [3, 100, 0.25, -1])
        let c: [Double] = [0, 1, 2, 13, 14, 15].map { $0 / 15 }, a: [Double] = [0, 17, 255, 128, 3, 64].map { $0 / 255 }
        #expect(examples.features.scalars == a + c)
    }

    @Test func pgmFolderRefusesBadLabelsAndImagesAtOpen() throws {
        func open(_ labels: String, as kind: PGMFolderSource<Float>.Labels = .classes) throws {
            let folder = try imageFolder(labels: labels)
            _ = try PGMFolderSource<Float>(folder: folder, labelsFile: folder + "/labels.csv", labels: kind)
        }
        expectError(DataError.self, "labels.csv", "line 2, column 2", "label -1 is not a whole number") { try open("file,label\na.pgm,-1\n") }
        expectError(DataError.self, "line 2, column 2", "label 1.5") { try open("file,label\na.pgm,1.5\n") }
        expectError(DataError.self, "line 3, column 1", "listed twice (first on line 2)") { try open("file,label\na.pgm,1\na.pgm,2\n") }
        expectError(DataError.self, "line 2, column 1", "\"../a.pgm\" is not a file name") { try open("file,label\n../a.pgm,1\n") }
        expectError(DataError.self, "line 2", "expected 2 fields, found 3") { try open("file,label\na.pgm,1,2\n") }
        expectError(DataError.self, "line 1", "a file of class labels has two") { try open("file,x,y\na.pgm,1,2\n") }
        expectError(DataError.self, "line 2, column 3", "expected a finite number, found \"inf\"") { try open("file,x,y\na.pgm,1,inf\n", as: .values) }
        expectError(DataError.self, "labels.csv", "lists no images") { try open("file,label\n") }
        expectError(DataError.self, "labels.csv", "needs a header line") { try open("\n\n") }
        expectError(DataError.self, "missing.pgm", "no such file (listed in the labels file)") { try open("file,label\na.pgm,0\nmissing.pgm,1\n") }

        let folder = try imageFolder(labels: "file,label\na.pgm,0\nwide.pgm,1\nshort.pgm,0\n")
        try write(p5(width: 4, height: 2, maxValue: 255, [UInt8](repeating: 0, count: 8).map(Int.init)), to: folder + "/wide.pgm")
        expectError(DataError.self, folder + "/wide.pgm", "4×2", "the first one (\(folder)/a.pgm) 3×2") {
            _ = try PGMFolderSource<Float>(folder: folder, labelsFile: folder + "/labels.csv")
        }
        try write(p5(width: 3, height: 2, maxValue: 255, [0, 1, 2, 3, 4, 5]), to: folder + "/wide.pgm")
        try write(Array(p5(width: 3, height: 2, maxValue: 1000, [1, 2, 3, 4, 5, 6]).dropLast(3)), to: folder + "/short.pgm")
        expectError(DataError.self, folder + "/short.pgm", "truncated", "need 2 bytes each, 9 bytes present") {
            _ = try PGMFolderSource<Float>(folder: folder, labelsFile: folder + "/labels.csv")
        }
        try write(Array("P7\n3 2\n255\n".utf8), to: folder + "/short.pgm")
        expectError(DataError.self, folder + "/short.pgm", "not a PGM image") {
            _ = try PGMFolderSource<Float>(folder: folder, labelsFile: folder + "/labels.csv")
        }
    }

    @Test func pgmHeaderLongerThanTheFirstBlockIsReadWhole() throws {
        let folder = try temporaryDirectory()
        // A comment of 5000 bytes pushes the size past the first 4 KiB read.
        let long = Array("P5\n#\(String(repeating: "x", count: 5000))\n3 2\n255\n".utf8) + [1, 2, 3, 4, 5, 6]
        try write(long, to: folder + "/long.pgm")
        try write(p5(width: 3, height: 2, maxValue: 255, [6, 5, 4, 3, 2, 1]), to: folder + "/short.pgm")
        try write(Array("file,label\nshort.pgm,0\nlong.pgm,1\n".utf8), to: folder + "/labels.csv")
        let source = try PGMFolderSource<Double>(folder: folder, labelsFile: folder + "/labels.csv", dividingBy: 1)
        #expect(try source.examples(at: [1, 0]).features.scalars == [1, 2, 3, 4, 5, 6, 6, 5, 4, 3, 2, 1])
    }

    @Test func anImageChangedSinceOpeningIsAnErrorNamingIt() throws {
        let folder = try imageFolder()
        let source = try PGMFolderSource<Float>(folder: folder, labelsFile: folder + "/labels.csv")
        try write(p5(width: 2, height: 3, maxValue: 255, [0, 1, 2, 3, 4, 5]), to: folder + "/b.pgm")
        expectError(DataError.self, folder + "/b.pgm", "now 2×3, 3×2 when the source was opened") { _ = try source.examples(at: [0, 1]) }
        try write(Array(p5(width: 3, height: 2, maxValue: 255, [0, 1, 2, 3, 4, 5]).dropLast()), to: folder + "/b.pgm")
        expectError(DataError.self, folder + "/b.pgm", "truncated") { _ = try source.examples(at: [1]) }
        try FileManager.default.removeItem(atPath: folder + "/c.pgm")
        expectError(DataError.self, folder + "/c.pgm", "no such file") { _ = try source.examples(at: [2]) }
        #expect(try source.examples(at: [0]).labels == [2], "the unchanged image still reads")
    }
}
