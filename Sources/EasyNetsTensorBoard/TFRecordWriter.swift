import EasyNets
import Foundation

/// Writes a TFRecord file: a sequence of records, each framed as
///
/// ```text
/// length              UInt64, little-endian
/// masked CRC of length UInt32, little-endian (CRC32C.masked(CRC32C.checksum(length bytes)))
/// data                length bytes
/// masked CRC of data   UInt32, little-endian
/// ```
///
/// Records are collected in memory and written with one system call per ``flush()``, so adding
/// a record costs a copy and a checksum. Every failure is a `DataError` naming the file.
public final class TFRecordWriter {
    /// The file written.
    public let path: String
    /// The open file, or -1 once closed.
    private var descriptor: Int32
    /// Framed records not yet written.
    private var pending: [UInt8] = []

    /// Creates the file at `path`; throws when it already exists (unless `replacing`), or its
    /// folder is missing or not writable.
    public init(path: String, replacing: Bool = false) throws {
        let flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (replacing ? O_TRUNC : O_EXCL)
        let descriptor = open(path, flags, 0o644)
        guard descriptor >= 0 else {
            let reason = errno == EEXIST ? "the file already exists" : "cannot create the file (\(String(cString: strerror(errno))))"
            throw DataError(path: path, reason: reason)
        }
        (self.path, self.descriptor) = (path, descriptor)
        pending.reserveCapacity(1 << 16)
    }

    deinit {
        if descriptor >= 0 {
            _ = try? flush()
            Glibc.close(descriptor)
        }
    }

    /// Bytes added but not yet written.
    public var pendingByteCount: Int { pending.count }

    /// Adds one record (written at the next ``flush()``).
    public func append(_ record: [UInt8]) {
        record.withUnsafeBytes { Self.frame($0, into: &pending) }
    }

    /// Appends `record`, framed, to `buffer`.
    public static func frame(_ record: UnsafeRawBufferPointer, into buffer: inout [UInt8]) {
        let length = UInt64(record.count)
        let start = buffer.count
        withUnsafeBytes(of: length.littleEndian) { buffer.append(contentsOf: $0) }
        let lengthCRC = buffer.withUnsafeBytes { CRC32C.masked(CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[start ..< start + 8]))) }
        withUnsafeBytes(of: lengthCRC.littleEndian) { buffer.append(contentsOf: $0) }
        buffer.append(contentsOf: record)
        withUnsafeBytes(of: CRC32C.masked(CRC32C.checksum(record)).littleEndian) { buffer.append(contentsOf: $0) }
    }

    /// Writes the records added so far to the file.
    public func flush() throws {
        guard !pending.isEmpty else { return }
        guard descriptor >= 0 else { throw DataError(path: path, reason: "the file was closed before all its records were written") }
        let failure: String? = pending.withUnsafeBytes { raw in
            var written = 0
            while written < raw.count {
                let n = write(descriptor, raw.baseAddress! + written, raw.count - written)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return n < 0 ? String(cString: strerror(errno)) : "no progress after \(written) bytes" }
                written += n
            }
            return nil
        }
        if let failure { throw DataError(path: path, reason: "writing records failed (\(failure))") }
        pending.removeAll(keepingCapacity: true)
    }

    /// Writes the pending records and closes the file; later records cannot be written.
    public func close() throws {
        guard descriptor >= 0 else { return }
        defer {
            Glibc.close(descriptor)
            descriptor = -1
        }
        try flush()
    }
}
