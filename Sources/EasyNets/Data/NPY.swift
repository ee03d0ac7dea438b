/// NumPy's `.npy` format: the magic "\u{93}NUMPY", a version, a little-endian header length, a
/// Python-literal header `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`, then the
/// data. Reads float32/float64 and (un)signed integers of 1–8 bytes in C order; writes float32,
/// float64 and int64.
public struct NPYArray: Sendable {
    /// The element type as NumPy writes it, e.g. "<f4".
    public var descr: String
    /// The extents of each dimension.
    public var shape: [Int]
    /// Every value in row-major order.
    public var values: [Double]

    /// An array of `shape` holding `values` in row-major order.
    public init(descr: String = "<f8", shape: [Int], values: [Double]) {
        require(shape.reduce(1, *) == values.count, "NPYArray: \(values.count) values for shape \(shape)")
        (self.descr, self.shape, self.values) = (descr, shape, values)
    }

    /// Reads a `.npy` file.
    public init(contentsOfFile path: String) throws {
        try self.init(bytes: try readFileBytes(path), path: path)
    }

    /// Parses `.npy` bytes; `path` names the source in errors.
    public init(bytes: [UInt8], path: String = "<memory>") throws {
        let (header, values) = try bytes.withUnsafeBytes { raw in
            let header = try NPYHeader(raw, path: path)
            // The values are held as Double: 8 bytes each, whatever the file's element size.
            if let problem = InputLimits.problem(shape: header.shape, elementSize: 8) { throw header.fail(header.headerStart, problem) }
            try header.checkDataLength(raw.count)
            return (header, (0..<header.count).map { header.type.read(raw, at: header.dataStart + $0 * header.type.size) })
        }
        (descr, shape, self.values) = (header.descr, header.shape, values)
    }

    /// The `.npy` bytes (version 1.0; `descr` "<f4", "<f8" or "<i8").
    public func serialized() -> [UInt8] {
        require(["<f4", "<f8", "<i8"].contains(descr), "NPYArray.serialized: cannot write dtype '\(descr)'")
        var bytes = Self.header(descr: descr, shape: shape)
        for value in values {
            switch descr {
            case "<f4": withUnsafeBytes(of: Float(value).bitPattern.littleEndian) { bytes += $0 }
            case "<f8": withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 }
            default: withUnsafeBytes(of: Int64(value).littleEndian) { bytes += $0 }
            }
        }
        return bytes
    }

    /// The preamble and header (version 1.0, C order) of an array of `descr` and `shape`, whose
    /// data, `shape`'s element count of `descr`'s values in row-major order, follows it: for
    /// writing raw data of any dtype NumPy reads (`"|u1"` bytes, `"<f4"`, …).
    public static func header(descr: String, shape: [Int]) -> [UInt8] {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
        // Pad with spaces so the data starts on a 64-byte boundary; the header ends in a newline.
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        require(header.utf8.count <= 0xFFFF, "NPYArray.header: a header of \(header.utf8.count) bytes does not fit version 1.0")
        return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)] + Array(header.utf8)
    }

    /// Writes the array atomically (temporary file, then rename).
    public func write(toFile path: String) throws {
        try OutputFile.write(serialized(), to: path)
    }

    /// The values as a tensor.
    public func tensor<Scalar: TensorScalar>(as: Scalar.Type = Scalar.self) -> Tensor<Scalar> {
        Tensor(values.map { Scalar($0) }, shape: shape)
    }
}

/// A validated `.npy` header: the preamble, the Python-literal dictionary, the element type and
/// the shape (its element count and data size through checked arithmetic), and where the data
/// starts. The data itself is checked by the reader (``NPYArray`` reads it, ``NPYSource`` maps it).
struct NPYHeader {
    let path: String
    let descr: String
    let type: NPYType
    let shape: [Int]
    /// The number of values, and their bytes in the file.
    let count: Int, dataBytes: Int
    let headerStart: Int, dataStart: Int

    /// Parses the header at the start of `bytes` (the whole file, or at least its header).
    init(_ bytes: UnsafeRawBufferPointer, path: String) throws {
        self.path = path
        func fail(_ offset: Int, _ reason: String) -> DataError { DataError(path: path, location: "offset \(offset)", reason: reason) }
        let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)
        guard bytes.count >= 10 else { throw fail(bytes.count, "file ends inside the 10-byte NPY preamble") }
        guard Array(bytes[0..<6]) == magic else { throw fail(0, "not an NPY file (magic \\x93NUMPY missing)") }
        let major = bytes[6]
        let headerLength: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw fail(bytes.count, "file ends inside the 12-byte NPY preamble") }
            headerLength = (0..<4).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
            headerStart = 12
        default:
            throw fail(6, "unsupported NPY version \(major).\(bytes[7])")
        }
        guard bytes.count >= headerStart + headerLength else {
            throw fail(bytes.count, "file ends inside the \(headerLength)-byte header")
        }
        let header = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[headerStart..<(headerStart + headerLength)]), as: UTF8.self)
        guard let descr = Self.field("descr", in: header).flatMap(Self.quoted) else {
            throw fail(headerStart, "header has no 'descr' string: \(header.trimmed)")
        }
        guard let fortran = Self.field("fortran_order", in: header) else {
            throw fail(headerStart, "header has no 'fortran_order': \(header.trimmed)")
        }
        guard fortran.hasPrefix("False") else { throw fail(headerStart, "Fortran-order arrays are not supported (C order only)") }
        guard let shapeText = Self.field("shape", in: header), shapeText.hasPrefix("("), let close = shapeText.firstIndex(of: ")") else {
            throw fail(headerStart, "header has no 'shape' tuple: \(header.trimmed)")
        }
        let parts = shapeText[shapeText.index(after: shapeText.startIndex)..<close].split(separator: ",")
            .map { $0.stripping(" ") }.filter { !$0.isEmpty }
        let dims = parts.compactMap { Int($0) }
        guard dims.count == parts.count, dims.allSatisfy({ $0 >= 0 }) else {
            throw fail(headerStart, "shape \(shapeText[...close]) is not a tuple of non-negative integers")
        }
        guard let type = NPYType(descr) else { throw fail(headerStart, "unsupported dtype '\(descr)'") }
        guard let count = InputLimits.elementCount(dims), case let (dataBytes, overflow) = count.multipliedReportingOverflow(by: type.size),
              !overflow else {
            throw fail(headerStart, InputLimits.problem(shape: dims, elementSize: type.size) ?? "shape \(dims) overflows")
        }
        (self.descr, self.type, shape, self.count, self.dataBytes) = (descr, type, dims, count, dataBytes)
        dataStart = headerStart + headerLength
    }

    func fail(_ offset: Int, _ reason: String) -> DataError { DataError(path: path, location: "offset \(offset)", reason: reason) }

    /// Throws unless a file of `fileSize` bytes holds exactly the data the header describes.
    func checkDataLength(_ fileSize: Int) throws {
        guard fileSize - dataStart == dataBytes else {
            throw fail(fileSize - dataStart < dataBytes ? fileSize : dataStart + dataBytes,
                       "shape \(shape) of '\(descr)' needs \(dataBytes) data bytes, the file has \(fileSize - dataStart)"
                       + (fileSize - dataStart < dataBytes ? " (truncated)" : " (trailing data)"))
        }
    }

    /// The text after `'key':` in a header, or nil.
    private static func field(_ key: String, in header: String) -> Substring? {
        guard let range = header.range(of: "'\(key)':") else { return nil }
        return header[range.upperBound...].drop { $0 == " " }
    }

    private static func quoted(_ text: Substring) -> String? {
        guard let quote = text.first, quote == "'" || quote == "\"" else { return nil }
        let rest = text.dropFirst()
        guard let end = rest.firstIndex(of: quote) else { return nil }
        return String(rest[..<end])
    }
}

/// An NPY element type.
struct NPYType {
    enum Kind { case float, signed, unsigned }
    let kind: Kind, size: Int, littleEndian: Bool

    init?(_ descr: String) {
        guard descr.count >= 3, let size = Int(descr.dropFirst(2)) else { return nil }
        let order = descr.first!, code = descr[descr.index(after: descr.startIndex)]
        guard "<>|=".contains(order) else { return nil }
        littleEndian = order != ">"
        switch code {
        case "f" where size == 4 || size == 8: kind = .float
        case "i" where [1, 2, 4, 8].contains(size): kind = .signed
        case "u" where [1, 2, 4, 8].contains(size): kind = .unsigned
        case "b" where size == 1: kind = .unsigned
        default: return nil
        }
        self.size = size
    }

    func read(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Double {
        var bits: UInt64 = 0
        for k in 0..<size {
            let byte = UInt64(bytes[offset + (littleEndian ? k : size - 1 - k)])
            bits |= byte << (8 * UInt64(k))
        }
        switch kind {
        case .float: return size == 4 ? Double(Float(bitPattern: UInt32(bits))) : Double(bitPattern: bits)
        case .unsigned: return Double(bits)
        case .signed:
            let shift = UInt64(64 - 8 * size)
            return Double(Int64(bitPattern: bits << shift) >> Int64(shift))
        }
    }
}

extension NPYType {
    /// Converts `count` values at `source` to `Scalar`, each as ``read(_:at:)`` gives it (through
    /// Double, so bit for bit what ``NPYArray/tensor(as:)`` makes), divided by `divisor` unless it
    /// is 1. The common little-endian types get a loop of their own.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func convert<Scalar: TensorScalar>(_ source: UnsafeRawPointer, count: Int, into target: UnsafeMutablePointer<Scalar>,
                                       dividingBy divisor: Scalar) {
        func each(_ value: (Int) -> Double) {
            if divisor == 1 {
                for i in 0..<count { target[i] = Scalar(value(i)) }
            } else {
                for i in 0..<count { target[i] = Scalar(value(i)) / divisor }
            }
        }
        switch (kind, size, littleEndian || size == 1) {
        case (.unsigned, 1, _): each { Double(source.load(fromByteOffset: $0, as: UInt8.self)) }
        case (.float, 4, true): each { Double(Float(bitPattern: UInt32(littleEndian: source.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self)))) }
        case (.float, 8, true): each { Double(bitPattern: UInt64(littleEndian: source.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self))) }
        default:
            let bytes = UnsafeRawBufferPointer(start: source, count: count * size)
            each { read(bytes, at: $0 * size) }
        }
    }
}

extension StringProtocol {
    /// The text without leading and trailing characters from `set`.
    func stripping(_ set: String) -> String {
        String(String(drop { set.contains($0) }.reversed()).drop { set.contains($0) }.reversed())
    }
    fileprivate var trimmed: String { stripping(" \n") }
}
