import Foundation
import Testing
@testable import EasyNets

/// Writes `bytes` to a fresh temporary file and returns its path.
func temporaryFile(_ name: String, _ bytes: [UInt8]) throws -> String {
    let path = try temporaryDirectory() + "/" + name
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
}

/// gzip-compresses with the system's gzip tool (an implementation independent of ours).
func gzipped(_ bytes: [UInt8]) throws -> [UInt8] {
    let path = try temporaryFile("data", bytes)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/gzip")
    process.arguments = ["-k", "-n", path]
    try process.run()
    process.waitUntilExit()
    return [UInt8](try #require(FileManager.default.contents(atPath: path + ".gz")))
}

/// Expects `body` to throw a DataError naming `path` whose text contains every fragment.
func expectDataError(_ path: String, _ fragments: String..., sourceLocation: SourceLocation = #_sourceLocation,
                     _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("no error for \(path)", sourceLocation: sourceLocation)
    } catch let error as DataError {
        #expect(error.path == path, sourceLocation: sourceLocation)
        for fragment in fragments {
            #expect(error.description.contains(fragment), "\(error)", sourceLocation: sourceLocation)
        }
    } catch {
        Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
    }
}

@Suite struct IDXTests {
    let images = IDXFile.unsignedBytes(shape: [2, 2, 3], values: [0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255])

    @Test func readsRawAndGzip() throws {
        for bytes in [images, try gzipped(images)] {
            let file = try IDXFile(contentsOfFile: try temporaryFile("images-idx3-ubyte", bytes))
            #expect(file.shape == [2, 2, 3])
            let t: Tensor<Float> = file.tensor(dividingBy: 255)
            #expect(t.shape == [2, 2, 3])
            #expect(t.scalars == [0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255].map { Float($0) / 255 })
        }
    }

    @Test func readsOtherElementTypesBigEndian() throws {
        // int16 (0x0B): 0x0102 = 258 and 0xFFFE = −2; int32 (0x0C): −3; float32 (0x0D): 1.5.
        let int16: [UInt8] = [0, 0, 0x0B, 1, 0, 0, 0, 2, 0x01, 0x02, 0xFF, 0xFE]
        #expect(try IDXFile(bytes: int16).integers() == [258, -2])
        let int32: [UInt8] = [0, 0, 0x0C, 1, 0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFD]
        #expect(try IDXFile(bytes: int32).integers() == [-3])
        let float32: [UInt8] = [0, 0, 0x0D, 1, 0, 0, 0, 1] + withUnsafeBytes(of: Float(1.5).bitPattern.bigEndian) { Array($0) }
        #expect(try IDXFile(bytes: float32).tensor(as: Double.self).scalars == [1.5])
    }

    @Test func malformedFilesAreErrorsWithOffsets() throws {
        let truncated = try temporaryFile("cut", Array(images.dropLast(3)))
        expectDataError(truncated, "offset 25", "needs 28 bytes but the file has 25 (truncated)") { _ = try IDXFile(contentsOfFile: truncated) }
        let trailing = try temporaryFile("long", images + [9])
        expectDataError(trailing, "trailing data") { _ = try IDXFile(contentsOfFile: trailing) }
        let magic = try temporaryFile("magic", [1] + images.dropFirst())
        expectDataError(magic, "offset 0", "not an IDX file") { _ = try IDXFile(contentsOfFile: magic) }
        let type = try temporaryFile("type", [0, 0, 0x07] + images.dropFirst(3))
        expectDataError(type, "offset 2", "unknown IDX element type 0x7") { _ = try IDXFile(contentsOfFile: type) }
        let header = try temporaryFile("header", Array(images.prefix(9)))
        expectDataError(header, "offset 9", "inside the header") { _ = try IDXFile(contentsOfFile: header) }
        let tiny = try temporaryFile("tiny", [0, 0])
        expectDataError(tiny, "magic number") { _ = try IDXFile(contentsOfFile: tiny) }
        let missing = "/nonexistent/file-idx3-ubyte"
        expectDataError(missing, "no such file") { _ = try IDXFile(contentsOfFile: missing) }
    }

    @Test func corruptAndTruncatedGzipAreErrors() throws {
        let compressed = try gzipped(images + Array(repeating: 7, count: 3000))
        let cut = try temporaryFile("cut.gz", Array(compressed.prefix(compressed.count / 2)))
        expectDataError(cut, "compressed offset", "truncated") { _ = try IDXFile(contentsOfFile: cut) }
        var corrupt = compressed
        for i in 12..<min(40, corrupt.count - 8) { corrupt[i] ^= 0x5A }
        let bad = try temporaryFile("bad.gz", corrupt)
        expectDataError(bad, "compressed offset", "corrupt") { _ = try IDXFile(contentsOfFile: bad) }
    }
}

@Suite struct NPYTests {
    @Test func roundTripsFloatAndIntegerArrays() throws {
        let directory = try temporaryDirectory()
        for descr in ["<f4", "<f8", "<i8"] {
            let array = NPYArray(descr: descr, shape: [2, 3], values: [1, -2, 3.5, 0, 7, -8].map { descr == "<i8" ? $0.rounded(.down) : $0 })
            try array.write(toFile: directory + "/a.npy")
            let read = try NPYArray(contentsOfFile: directory + "/a.npy")
            #expect(read.shape == [2, 3] && read.descr == descr && read.values == array.values)
        }
        #expect(try NPYArray(contentsOfFile: directory + "/a.npy").tensor(as: Float.self).shape == [2, 3])
    }

    @Test func readsWhatNumPyWrites() throws {
        // Bytes of numpy.save(f, numpy.array([[1, 2], [3, 4]], dtype='<i2')), written out by hand
        // from the format specification: magic, version 1.0, header length 118, header, data.
        var header = "{'descr': '<i2', 'fortran_order': False, 'shape': (2, 2), }"
        while (10 + header.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        let bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.count), 0] + Array(header.utf8)
            + [1, 0, 2, 0, 3, 0, 4, 0]
        let array = try NPYArray(bytes: bytes)
        #expect(array.shape == [2, 2] && array.values == [1, 2, 3, 4])
        // 1-D shape "(3,)" and big-endian float64.
        let big = "{'descr': '>f8', 'fortran_order': False, 'shape': (1,), }\n"
        let bigBytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(big.count), 0] + Array(big.utf8)
            + withUnsafeBytes(of: Double(-2.25).bitPattern.bigEndian) { Array($0) }
        #expect(try NPYArray(bytes: bigBytes).values == [-2.25])
    }

    @Test func malformedFilesAreErrors() throws {
        let good = NPYArray(descr: "<f4", shape: [4], values: [1, 2, 3, 4]).serialized()
        let cut = try temporaryFile("cut.npy", Array(good.dropLast(2)))
        expectDataError(cut, "truncated", "needs 16 data bytes") { _ = try NPYArray(contentsOfFile: cut) }
        let magic = try temporaryFile("magic.npy", [0x94] + good.dropFirst())
        expectDataError(magic, "offset 0", "not an NPY file") { _ = try NPYArray(contentsOfFile: magic) }
        let header = try temporaryFile("header.npy", Array(good.prefix(30)))
        expectDataError(header, "inside the", "header") { _ = try NPYArray(contentsOfFile: header) }
        func withHeader(_ text: String) -> [UInt8] {
            var h = text
            while (10 + h.count + 1) % 64 != 0 { h += " " }
            h += "\n"
            return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(h.count), 0] + Array(h.utf8) + [0, 0, 0, 0]
        }
        let fortran = try temporaryFile("f.npy", withHeader("{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }"))
        expectDataError(fortran, "Fortran-order") { _ = try NPYArray(contentsOfFile: fortran) }
        let dtype = try temporaryFile("d.npy", withHeader("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }"))
        expectDataError(dtype, "unsupported dtype '<c8'") { _ = try NPYArray(contentsOfFile: dtype) }
        let shape = try temporaryFile("s.npy", withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (x,), }"))
        expectDataError(shape, "not a tuple of non-negative integers") { _ = try NPYArray(contentsOfFile: shape) }
        let version = try temporaryFile("v.npy", [0x93] + Array("NUMPY".utf8) + [9, 0, 0, 0])
        expectDataError(version, "unsupported NPY version 9.0") { _ = try NPYArray(contentsOfFile: version) }
    }
}

@Suite struct CSVTests {
    let text = "x1,x2,label\n0.5,1,2\n-1,2.5,0\n\n3,4,1\n"

    @Test func labelColumnByNameOrIndex() throws {
        let path = try temporaryFile("d.csv", Array(text.utf8))
        let byName = try CSVReader.read(contentsOfFile: path, labelColumn: .name("label"), as: Double.self)
        #expect(byName.features.shape == [3, 2] && byName.features.scalars == [0.5, 1, -1, 2.5, 3, 4])
        #expect(byName.labels == [2, 0, 1] && byName.header == ["x1", "x2", "label"])
        let byIndex = try CSVReader.read(contentsOfFile: path, labelColumn: .index(2), as: Double.self)
        #expect(byIndex.labels == [2, 0, 1] && byIndex.features.scalars == byName.features.scalars)
        let featuresOnly = try CSVReader.read(contentsOfFile: path, as: Double.self)
        #expect(featuresOnly.labels.isEmpty && featuresOnly.features.shape == [3, 3])
        let headerless = try temporaryFile("h.csv", Array("1,2,0\r\n3,4,1\r\n".utf8))
        let plain = try CSVReader.read(contentsOfFile: headerless, hasHeader: false, labelColumn: .index(-1), as: Float.self)
        #expect(plain.labels == [0, 1] && plain.features.scalars == [1, 2, 3, 4])
        let gz = try temporaryFile("d.csv.gz", try gzipped(Array(text.utf8)))
        #expect(try CSVReader.read(contentsOfFile: gz, labelColumn: .name("label"), as: Double.self).labels == [2, 0, 1])
    }

    @Test func badRowsAreErrorsWithLineAndColumn() throws {
        let number = try temporaryFile("n.csv", Array("a,b\n1,2\n3,oops\n".utf8))
        expectDataError(number, "line 3, column 2", "expected a number, found \"oops\"") {
            _ = try CSVReader.read(contentsOfFile: number, as: Double.self)
        }
        let ragged = try temporaryFile("r.csv", Array("a,b\n1,2\n3\n".utf8))
        expectDataError(ragged, "line 3", "expected 2 fields, found 1") { _ = try CSVReader.read(contentsOfFile: ragged, as: Double.self) }
        let label = try temporaryFile("l.csv", Array("a,y\n1,2.5\n".utf8))
        expectDataError(label, "line 2, column 2", "not a whole number") {
            _ = try CSVReader.read(contentsOfFile: label, labelColumn: .name("y"), as: Double.self)
        }
        expectDataError(label, "no column named \"z\"") { _ = try CSVReader.read(contentsOfFile: label, labelColumn: .name("z"), as: Double.self) }
        let empty = try temporaryFile("e.csv", Array("a,b\n".utf8))
        expectDataError(empty, "no data rows") { _ = try CSVReader.read(contentsOfFile: empty, as: Double.self) }
    }
}

@Suite struct PGMTests {
    @Test func readsBinaryAndPlain() throws {
        let p5: [UInt8] = Array("P5\n# comment\n2 2\n255\n".utf8) + [0, 128, 255, 7]
        let image = try PGMImage(bytes: p5)
        #expect(image.width == 2 && image.values == [0, 128, 255, 7])
        let p2 = try PGMImage(bytes: Array("P2 3 1 15 0 15 7".utf8))
        #expect(p2.values == [0, 15, 7])
        #expect(p2.pixels(dividingBy: 15, as: Double.self).scalars == [0, 1, 7.0 / 15])
        let cut = try temporaryFile("cut.pgm", Array(p5.dropLast()))
        expectDataError(cut, "truncated") { _ = try PGMImage(contentsOfFile: cut) }
        expectDataError("<memory>", "not a PGM") { _ = try PGMImage(bytes: Array("P6 1 1 255 0".utf8)) }
    }
}
