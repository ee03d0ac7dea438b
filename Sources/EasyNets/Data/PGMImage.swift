/// A grayscale image in the netpbm PGM format, binary (P5) or plain text (P2).
public struct PGMImage: Sendable {
    /// The size in pixels and the largest gray level (white).
    public var width: Int, height: Int, maxValue: Int
    /// Row-major gray levels 0...maxValue.
    public var values: [Int]

    /// Reads a PGM file.
    public init(contentsOfFile path: String) throws {
        try self.init(bytes: try readFileBytes(path), path: path)
    }

    /// Parses PGM bytes; `path` names the source in errors.
    public init(bytes: [UInt8], path: String = "<memory>") throws {
        let header = try Header(bytes, path: path)
        (width, height, maxValue) = (header.width, header.height, header.maxValue)
        let count = width * height  // checked by Header
        var position = header.dataStart
        func fail(_ reason: String) -> DataError { DataError(path: path, location: "offset \(position)", reason: reason) }
        let size = header.binary ? (maxValue < 256 ? 1 : 2) : 2  // bytes per pixel in the file (text: at least a digit and a space)
        guard count <= (bytes.count - position) / size + (header.binary ? 0 : 1) else {
            throw fail("pixel data is truncated: \(width)×\(height) pixels need \(header.binary ? "" : "at least ")\(size) bytes each"
                       + "\(header.binary ? "" : " (a digit and a separator)"), \(bytes.count - position) bytes present")
        }
        if let problem = InputLimits.problem(shape: [height, width], elementSize: MemoryLayout<Int>.size) { throw fail(problem) }
        if header.binary {
            values = (0..<count).map { i in
                size == 1 ? Int(bytes[position + i]) : Int(bytes[position + 2 * i]) << 8 | Int(bytes[position + 2 * i + 1])
            }
        } else {
            values = try (0..<count).map { _ in try Header.number(bytes, &position, path: path) }
        }
        if let bad = values.first(where: { $0 > maxValue }) { throw fail("gray level \(bad) exceeds the maximum \(maxValue)") }
    }

    /// A PGM header: the magic, the size and the largest gray level, checked (positive, the
    /// pixel count without overflow, the maximum below 65536), and where the pixels start.
    struct Header {
        var binary: Bool, width: Int, height: Int, maxValue: Int
        /// The offset of the first pixel (binary: after the one whitespace byte that ends the header).
        var dataStart: Int

        /// Parses the header at the start of `bytes`; `path` names the file in errors.
        init(_ bytes: [UInt8], path: String) throws {
            var position = 0
            func fail(_ reason: String) -> DataError { DataError(path: path, location: "offset \(position)", reason: reason) }
            guard bytes.count >= 2, bytes[0] == UInt8(ascii: "P"), bytes[1] == UInt8(ascii: "5") || bytes[1] == UInt8(ascii: "2") else {
                throw fail("not a PGM image (expected magic P5 or P2)")
            }
            binary = bytes[1] == UInt8(ascii: "5")
            position = 2
            width = try Self.number(bytes, &position, path: path)
            height = try Self.number(bytes, &position, path: path)
            maxValue = try Self.number(bytes, &position, path: path)
            guard width > 0, height > 0, maxValue > 0, maxValue < 65536 else { throw fail("invalid size \(width)×\(height) or maximum \(maxValue)") }
            if width.multipliedReportingOverflow(by: height).overflow { throw fail("size \(width)×\(height) overflows a 64-bit integer") }
            if binary {
                guard position < bytes.count, [9, 10, 13, 32].contains(bytes[position]) else {
                    throw fail("expected one whitespace byte between the header and the pixels")
                }
                position += 1
            }
            dataStart = position
        }

        /// The decimal number after any whitespace and `#` comments at `position`, which moves past it.
        static func number(_ bytes: [UInt8], _ position: inout Int, path: String) throws -> Int {
            while position < bytes.count {
                if bytes[position] == UInt8(ascii: "#") {
                    while position < bytes.count && bytes[position] != 10 { position += 1 }
                } else if [9, 10, 13, 32].contains(bytes[position]) {
                    position += 1
                } else { break }
            }
            let start = position
            while position < bytes.count, (48...57).contains(bytes[position]) { position += 1 }
            guard position > start, let value = Int(String(decoding: bytes[start..<position], as: UTF8.self)) else {
                throw DataError(path: path, location: "offset \(position)", reason: "expected a number")
            }
            return value
        }
    }

    /// The pixels as a (height, width) tensor, each divided by `divisor`.
    public func pixels<Scalar: TensorScalar>(dividingBy divisor: Double, as: Scalar.Type = Scalar.self) -> Tensor<Scalar> {
        Tensor(values.map { Scalar($0) / Scalar(divisor) }, shape: [height, width])
    }
}
