import EasyNets
import Foundation
import Testing
@testable import EasyNetsTensorBoard

@Suite("TFRecord files")
struct TFRecordTests {
    /// Records of several lengths (empty, one byte, eight, a long one) written and flushed in
    /// two parts read back through the independent reader, checksums and all.
    @Test func roundTrip() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/records.tfrecord"
        let records: [[UInt8]] = [[], [7], Array("abcdefgh".utf8), (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }]
        let writer = try TFRecordWriter(path: path)
        writer.append(records[0])
        writer.append(records[1])
        try writer.flush()
        #expect(writer.pendingByteCount == 0)
        writer.append(records[2])
        writer.append(records[3])
        try writer.close()
        let bytes = try readFileBytes(path)
        #expect(bytes.count == records.reduce(0) { $0 + 16 + $1.count })
        #expect(try readTFRecords(bytes) == records)
    }

    /// The reader catches a flipped bit (so the round trip above checks the checksums).
    @Test func readerRejectsCorruption() throws {
        var bytes: [UInt8] = []
        Array("abcdefgh".utf8).withUnsafeBytes { TFRecordWriter.frame($0, into: &bytes) }
        #expect(try readTFRecords(bytes) == [Array("abcdefgh".utf8)])
        for position in [0, 9, 14, 22] {
            var corrupted = bytes
            corrupted[position] ^= 0x10
            #expect(throws: TFRecordProblem.self, "flipped byte \(position)") { try readTFRecords(corrupted) }
        }
    }

    /// An existing file is not overwritten; a missing folder is named in the error.
    @Test func refusesExistingFileAndMissingFolder() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/records.tfrecord"
        _ = try TFRecordWriter(path: path)
        let error = try #require(throws: DataError.self) { try TFRecordWriter(path: path) }
        #expect(error.path == path && error.reason.contains("already exists"))
        let missing = folder + "/missing/records.tfrecord"
        #expect(throws: DataError.self) { try TFRecordWriter(path: missing) }
    }
}
