/// The IDX format of MNIST and Fashion-MNIST: two zero bytes, a type code, the number of
/// dimensions, each dimension as a big-endian 32-bit integer, then the values (big-endian),
/// optionally gzip-compressed as a whole.
public struct IDXFile: Sendable {
    /// The extents of each dimension.
    public var shape: [Int]
    /// The IDX element type code (0x08 unsigned byte, 0x09 signed byte, 0x0B int16, 0x0C int32,
    /// 0x0D float32, 0x0E float64).
    public var typeCode: UInt8
    /// The big-endian values as stored after the header.
    var payload: [UInt8]
    let elementSize: Int
    /// The source named in errors.
    let path: String

    /// Reads an IDX file, raw or gzip-compressed, validating its header and length.
    public init(contentsOfFile path: String) throws {
        try self.init(bytes: try Gzip.readMaybeCompressed(path), path: path)
    }

    /// Parses IDX bytes (already decompressed); `path` names the source in errors.
    public init(bytes: [UInt8], path: String = "<memory>") throws {
        func fail(_ offset: Int, _ reason: String) -> DataError {
            DataError(path: path, location: "offset \(offset)", reason: reason)
        }
        guard bytes.count >= 4 else { throw fail(bytes.count, "file ends inside the 4-byte IDX magic number") }
        guard bytes[0] == 0, bytes[1] == 0 else {
            throw fail(0, "not an IDX file (magic number must start with two zero bytes, found \(bytes[0]), \(bytes[1]))")
        }
        let elementSize: Int
        switch bytes[2] {
        case 0x08, 0x09: elementSize = 1
        case 0x0B: elementSize = 2
        case 0x0C, 0x0D: elementSize = 4
        case 0x0E: elementSize = 8
        default: throw fail(2, "unknown IDX element type 0x\(String(bytes[2], radix: 16))")
        }
        let rank = Int(bytes[3])
        guard rank >= 1 else { throw fail(3, "IDX file declares 0 dimensions") }
        let dataStart = 4 + 4 * rank
        guard bytes.count >= dataStart else {
            throw fail(bytes.count, "file ends inside the header (\(rank) dimensions need \(dataStart) bytes)")
        }
        func bigEndian32(_ offset: Int) -> UInt32 {
            (0..<4).reduce(UInt32(0)) { $0 << 8 | UInt32(bytes[offset + $1]) }
        }
        let shape = (0..<rank).map { Int(bigEndian32(4 + 4 * $0)) }
        // As a tensor the values take up to 8 bytes each, whatever the file's element size.
        if let problem = InputLimits.problem(shape: shape, elementSize: 8) { throw fail(4, problem) }
        let expected = dataStart + InputLimits.elementCount(shape)! * elementSize
        guard bytes.count == expected else {
            throw fail(bytes.count < expected ? bytes.count : expected,
                       "shape \(shape) needs \(expected) bytes but the file has \(bytes.count)"
                       + (bytes.count < expected ? " (truncated)" : " (trailing data)"))
        }
        (self.shape, typeCode, self.elementSize, self.path) = (shape, bytes[2], elementSize, path)
        payload = Array(bytes[dataStart...])
        if typeCode == 0x0D || typeCode == 0x0E {
            for i in 0..<count where !value(i).isFinite {
                throw fail(dataStart + i * elementSize, "value \(i) is \(value(i)); IDX values must be finite")
            }
        }
    }

    /// The number of values.
    public var count: Int { shape.reduce(1, *) }

    /// Value `i` (row-major), converted to Double (exact for every IDX type).
    @inline(__always)
    func value(_ i: Int) -> Double {
        let o = i * elementSize
        func bigEndian32(_ offset: Int) -> UInt32 {
            (0..<4).reduce(UInt32(0)) { $0 << 8 | UInt32(payload[offset + $1]) }
        }
        switch typeCode {
        case 0x08: return Double(payload[o])
        case 0x09: return Double(Int8(bitPattern: payload[o]))
        case 0x0B: return Double(Int16(bitPattern: UInt16(payload[o]) << 8 | UInt16(payload[o + 1])))
        case 0x0C: return Double(Int32(bitPattern: bigEndian32(o)))
        case 0x0D: return Double(Float(bitPattern: bigEndian32(o)))
        default: return Double(bitPattern: UInt64(bigEndian32(o)) << 32 | UInt64(bigEndian32(o + 4)))
        }
    }

    /// The values as a tensor of this file's shape, each divided by `divisor` (255 turns pixels
    /// into [0, 1] exactly as torchvision's `ToTensor` does: a correctly rounded division).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func tensor<Scalar: TensorScalar>(dividingBy divisor: Double = 1, as: Scalar.Type = Scalar.self) -> Tensor<Scalar> {
        var result = Tensor<Scalar>.zeros(shape)
        result.withUnsafeMutableBufferPointer { out in
            if typeCode == 0x08 {
                let d = Scalar(divisor)
                payload.withUnsafeBufferPointer { bytes in
                    for i in 0..<out.count { out[i] = Scalar(bytes[i]) / d }
                }
            } else {
                for i in 0..<out.count { out[i] = Scalar(value(i) / divisor) }
            }
        }
        return result
    }

    /// The values as whole numbers (for label files); a value that is not a whole number is an
    /// error naming its offset.
    public func integers() throws -> [Int] {
        try (0..<count).map { i in
            let v = value(i)
            guard let whole = Int(exactly: v) else {
                throw DataError(path: path, location: "offset \(4 + 4 * shape.count + i * elementSize)",
                                reason: "value \(i) is \(v), not a whole number")
            }
            return whole
        }
    }

    /// Writes unsigned-byte IDX data (type 0x08), for tests and tools.
    public static func unsignedBytes(shape: [Int], values: [UInt8]) -> [UInt8] {
        require(shape.reduce(1, *) == values.count, "IDXFile.unsignedBytes: \(values.count) values for shape \(shape)")
        var bytes: [UInt8] = [0, 0, 0x08, UInt8(shape.count)]
        for extent in shape {
            bytes += [UInt8(extent >> 24 & 0xFF), UInt8(extent >> 16 & 0xFF), UInt8(extent >> 8 & 0xFF), UInt8(extent & 0xFF)]
        }
        return bytes + values
    }
}
