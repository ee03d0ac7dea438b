import Foundation
import Testing

// An independent TFRecord reader for the tests: it checks each record's length and data
// against their masked CRC-32C, computed bit by bit.

/// A problem the reader found.
struct TFRecordProblem: Error, CustomStringConvertible {
    var description: String
}

/// The records of a TFRecord file's bytes; throws at the first bad length, checksum or truncation.
func readTFRecords(_ bytes: [UInt8]) throws -> [[UInt8]] {
    func mask(_ crc: UInt32) -> UInt32 { ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8 }
    func littleEndian<T: FixedWidthInteger>(_ at: Int, _: T.Type) -> T {
        (0..<MemoryLayout<T>.size).reduce(T(0)) { $0 | T(bytes[at + $1]) << (8 * $1) }
    }
    var records: [[UInt8]] = [], offset = 0
    while offset < bytes.count {
        guard bytes.count - offset >= 12 else { throw TFRecordProblem(description: "truncated header at \(offset)") }
        let length = littleEndian(offset, UInt64.self)
        guard mask(bitwiseCRC32C(Array(bytes[offset ..< offset + 8]))) == littleEndian(offset + 8, UInt32.self) else {
            throw TFRecordProblem(description: "bad length checksum at \(offset)")
        }
        guard length <= UInt64(bytes.count - offset - 16) else { throw TFRecordProblem(description: "truncated record at \(offset)") }
        let data = Array(bytes[offset + 12 ..< offset + 12 + Int(length)])
        guard mask(bitwiseCRC32C(data)) == littleEndian(offset + 12 + Int(length), UInt32.self) else {
            throw TFRecordProblem(description: "bad data checksum at \(offset)")
        }
        records.append(data)
        offset += 16 + Int(length)
    }
    return records
}

/// A new empty folder for a test's files.
func temporaryFolder() throws -> String {
    let folder = NSTemporaryDirectory() + "easynets-tensorboard-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    return folder
}
