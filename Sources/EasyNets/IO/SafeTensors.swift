import Foundation

/// An error reading or writing a checkpoint: the file, and what was wrong where.
public struct CheckpointError: Error, CustomStringConvertible, Equatable {
    /// The file concerned.
    public var path: String
    /// What was expected and what was found (byte offsets where they apply).
    public var reason: String

    /// An error about the file at `path`.
    public init(path: String, reason: String) { (self.path, self.reason) = (path, reason) }
    public var description: String { "\(path): \(reason)" }
}

/// Element types of the safetensors format.
public enum SafeTensorsDType: String, Sendable, CaseIterable {
    case float64 = "F64", float32 = "F32", float16 = "F16", bfloat16 = "BF16"
    case int64 = "I64", int32 = "I32", int16 = "I16", int8 = "I8", uint8 = "U8", bool = "BOOL"

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .float64, .int64: return 8
        case .float32, .int32: return 4
        case .float16, .bfloat16, .int16: return 2
        case .int8, .uint8, .bool: return 1
        }
    }
}

/// One tensor of a safetensors file: its element type, shape and little-endian bytes.
public struct SafeTensorsEntry: Sendable {
    /// The element type.
    public var dtype: SafeTensorsDType
    /// The extent of each axis.
    public var shape: [Int]
    /// The elements, little-endian and row-major.
    public var bytes: [UInt8]

    /// Encodes `tensor` as `dtype` (`F32`, `F64` or, for whole numbers, `I64`).
    public init<Scalar>(_ tensor: Tensor<Scalar>, as dtype: SafeTensorsDType) {
        require([.float32, .float64, .int64].contains(dtype), "SafeTensorsEntry: cannot encode \(dtype.rawValue)")
        self.dtype = dtype
        shape = tensor.shape
        var out = [UInt8]()
        out.reserveCapacity(tensor.count * dtype.size)
        tensor.withUnsafeBufferPointer { values in
            switch dtype {
            case .float32: for v in values { withUnsafeBytes(of: Float(v).bitPattern.littleEndian) { out += $0 } }
            case .float64: for v in values { withUnsafeBytes(of: Double(v).bitPattern.littleEndian) { out += $0 } }
            default: for v in values { withUnsafeBytes(of: Int64(v).littleEndian) { out += $0 } }
            }
        }
        bytes = out
    }

    init(dtype: SafeTensorsDType, shape: [Int], bytes: [UInt8]) { (self.dtype, self.shape, self.bytes) = (dtype, shape, bytes) }

    /// The values converted to `Scalar` (exact for F32→Float, F64→Double and small integers).
    public func tensor<Scalar: TensorScalar>(as: Scalar.Type = Scalar.self) -> Tensor<Scalar> {
        let count = shape.reduce(1, *)
        var values = [Scalar](repeating: 0, count: count)
        bytes.withUnsafeBytes { raw in
            for i in 0..<count {
                let offset = i * dtype.size
                switch dtype {
                case .float64: values[i] = Scalar(Double(bitPattern: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self).littleEndian))
                case .float32: values[i] = Scalar(Float(bitPattern: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian))
                case .float16:
                    let bits = raw.loadUnaligned(fromByteOffset: offset, as: UInt16.self).littleEndian
                    values[i] = Scalar(Float(Float16(bitPattern: bits)))
                case .bfloat16:
                    let bits = UInt32(raw.loadUnaligned(fromByteOffset: offset, as: UInt16.self).littleEndian) << 16
                    values[i] = Scalar(Float(bitPattern: bits))
                case .int64: values[i] = Scalar(raw.loadUnaligned(fromByteOffset: offset, as: Int64.self).littleEndian)
                case .int32: values[i] = Scalar(raw.loadUnaligned(fromByteOffset: offset, as: Int32.self).littleEndian)
                case .int16: values[i] = Scalar(raw.loadUnaligned(fromByteOffset: offset, as: Int16.self).littleEndian)
                case .int8: values[i] = Scalar(raw.loadUnaligned(fromByteOffset: offset, as: Int8.self))
                case .uint8, .bool: values[i] = Scalar(raw[offset])
                }
            }
        }
        return Tensor(values, shape: shape)
    }
}

/// A file in the safetensors format (as written by Python's `safetensors`): an 8-byte
/// little-endian header length, a JSON header mapping names to dtype, shape and byte offsets
/// (plus optional string `__metadata__`), then the tensor bytes.
///
/// Reading validates everything before returning: a truncated or corrupt file is a thrown
/// ``CheckpointError``, never a crash or a partial result.
public struct SafeTensorsFile: Sendable {
    /// The tensors, by name.
    public var entries: [String: SafeTensorsEntry]
    /// The string map stored under `__metadata__`.
    public var metadata: [String: String]

    /// A file of `entries` and `metadata`, to be written.
    public init(entries: [String: SafeTensorsEntry] = [:], metadata: [String: String] = [:]) {
        (self.entries, self.metadata) = (entries, metadata)
    }

    /// Reads and validates the file at `path`.
    public init(contentsOfFile path: String) throws {
        let bytes: [UInt8]
        do { bytes = try readFileBytes(path) } catch let error as DataError {
            throw CheckpointError(path: path, reason: error.location.isEmpty ? error.reason : "\(error.location): \(error.reason)")
        }
        try self.init(bytes: bytes, path: path)
    }

    /// Parses and validates safetensors bytes; `path` names the source in errors.
    public init(bytes: [UInt8], path: String = "<memory>") throws {
        func fail(_ reason: String) -> CheckpointError { CheckpointError(path: path, reason: reason) }
        guard bytes.count >= 8 else {
            throw fail("file is \(bytes.count) bytes, shorter than the 8-byte header length at offset 0")
        }
        let headerLength = bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard headerLength <= UInt64(bytes.count - 8) else {
            // A text file (JSON, a metrics file) given by mistake: say so rather than quote a huge length.
            let text = bytes.prefix(8).allSatisfy { (0x20...0x7E).contains($0) || [0x09, 0x0A, 0x0D].contains($0) }
            throw fail((text ? "not a safetensors file: it begins with text (\(String(decoding: bytes.prefix(8), as: UTF8.self).debugDescription)), "
                        + "where a safetensors file begins with the length of its header in 8 bytes; " : "")
                       + "header length \(headerLength) at offset 0 exceeds the \(bytes.count - 8) bytes after it")
        }
        let dataStart = 8 + Int(headerLength)
        let header: [String: HeaderValue]
        do {
            header = try JSONDecoder().decode([String: HeaderValue].self, from: Data(bytes[8..<dataStart]))
        } catch {
            throw fail("header at offsets 8..<\(dataStart) is not a valid safetensors JSON header (\(Self.describe(error)))")
        }
        let dataLength = bytes.count - dataStart
        var entries: [String: SafeTensorsEntry] = [:]
        var metadata: [String: String] = [:]
        var ranges: [(name: String, range: Range<Int>)] = []
        for (name, value) in header {
            let info: HeaderEntry
            switch value {
            case .metadata(let strings):
                guard name == "__metadata__" else { throw fail("tensor \"\(name)\": entry is not a tensor description") }
                metadata = strings
                continue
            case .tensor(let entry):
                guard name != "__metadata__" else { throw fail("__metadata__ is not a map of strings") }
                info = entry
            }
            guard let dtype = SafeTensorsDType(rawValue: info.dtype) else {
                throw fail("tensor \"\(name)\": unknown dtype \"\(info.dtype)\" (known: \(SafeTensorsDType.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            let shape = info.shape
            guard shape.allSatisfy({ $0 >= 0 }) else { throw fail("tensor \"\(name)\": negative extent in shape \(shape)") }
            guard info.data_offsets.count == 2 else { throw fail("tensor \"\(name)\": \"data_offsets\" is not a pair") }
            let (begin, end) = (info.data_offsets[0], info.data_offsets[1])
            guard begin >= 0, begin <= end, end <= dataLength else {
                throw fail("tensor \"\(name)\": data offsets [\(begin), \(end)] lie outside the \(dataLength) data bytes "
                           + "starting at file offset \(dataStart)")
            }
            // Converted tensors hold up to 8 bytes an element, whatever the stored type.
            if let problem = InputLimits.problem(shape: shape, elementSize: 8) { throw fail("tensor \"\(name)\": \(problem)") }
            guard InputLimits.elementCount(shape)! * dtype.size == end - begin else {
                throw fail("tensor \"\(name)\": \(end - begin) bytes at offsets [\(begin), \(end)] do not hold shape \(shape) of \(info.dtype)")
            }
            entries[name] = SafeTensorsEntry(dtype: dtype, shape: shape,
                                             bytes: Array(bytes[(dataStart + begin)..<(dataStart + end)]))
            if begin < end { ranges.append((name, begin..<end)) }  // an empty tensor overlaps nothing
        }
        ranges.sort { $0.range.lowerBound < $1.range.lowerBound }
        for (a, b) in zip(ranges, ranges.dropFirst()) where a.range.upperBound > b.range.lowerBound {
            throw fail("tensors \"\(a.name)\" and \"\(b.name)\" overlap in the data section")
        }
        self.entries = entries
        self.metadata = metadata
    }

    private static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context), DecodingError.typeMismatch(_, let context),
             DecodingError.keyNotFound(_, let context), DecodingError.valueNotFound(_, let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
        default:
            return "\(error)"
        }
    }

    /// One header value: a tensor description or the string metadata map.
    private enum HeaderValue: Codable {
        case tensor(HeaderEntry)
        case metadata([String: String])

        init(from decoder: Decoder) throws {
            if let entry = try? HeaderEntry(from: decoder) {
                self = .tensor(entry)
            } else {
                self = .metadata(try [String: String](from: decoder))
            }
        }

        func encode(to encoder: Encoder) throws {
            switch self {
            case .tensor(let entry): try entry.encode(to: encoder)
            case .metadata(let strings): try strings.encode(to: encoder)
            }
        }
    }

    private struct HeaderEntry: Codable {
        var dtype: String
        var shape: [Int]
        var data_offsets: [Int]
    }

    /// The file's bytes: header padded with spaces to a multiple of 8, tensors in name order.
    public func serialized() throws -> [UInt8] {
        var header: [String: HeaderValue] = [:]
        var data: [UInt8] = []
        for name in entries.keys.sorted() {
            let entry = entries[name]!
            header[name] = .tensor(HeaderEntry(dtype: entry.dtype.rawValue, shape: entry.shape,
                                               data_offsets: [data.count, data.count + entry.bytes.count]))
            data += entry.bytes
        }
        if !metadata.isEmpty { header["__metadata__"] = .metadata(metadata) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var json = [UInt8](try encoder.encode(header))
        while json.count % 8 != 0 { json.append(UInt8(ascii: " ")) }
        var result: [UInt8] = []
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { result += $0 }
        return result + json + data
    }

    /// Writes the file atomically: to a temporary file in the same folder, flushed, then renamed
    /// over `path`, so a crash mid-save leaves any previous file intact.
    public func write(toFile path: String) throws {
        let bytes = try serialized()
        do { try OutputFile.write(bytes, to: path) } catch let error as DataError {
            throw CheckpointError(path: path, reason: error.reason)
        }
    }
}
