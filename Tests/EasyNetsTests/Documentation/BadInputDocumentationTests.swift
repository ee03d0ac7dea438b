import Foundation
import Testing
import EasyNets

@Suite("Bad input examples")
struct BadInputDocumentationTests {
    /// An IDX header that claims too much, and one that claims more than the file holds.
    @Test func idxHeaders() throws {
        // Documentation block: BadInput.md #1
        var bytes = IDXFile.unsignedBytes(shape: [2, 2], values: [0, 1, 2, 3])
        bytes.replaceSubrange(4..<8, with: [0x7F, 0xFF, 0xFF, 0xFF])   // a header that claims 2 147 483 647 rows
        let oversized = Result { try IDXFile(bytes: bytes, path: "images.idx") }
        bytes.replaceSubrange(4..<8, with: [0, 0, 0, 3])                // 3 rows, but the file holds 2
        let truncated = Result { try IDXFile(bytes: bytes, path: "images.idx") }
        print(oversized, truncated)                    // two failures, each a DataError naming images.idx and the offset

        // The header: 4 bytes of magic, then 4 per dimension; the first dimension is at offset 4.
        let rows = 0x7FFF_FFFF
        #expect(rows == 2_147_483_647 && rows * 2 * 8 > InputLimits.maximumBytes)
        guard case .failure(let first as DataError) = oversized else {
            Issue.record("an IDX file claiming \(rows) rows was read: \(oversized)")
            return
        }
        #expect(first.path == "images.idx" && first.location == "offset 4")
        // 3 × 2 values need 4 + 2·4 + 6 = 18 bytes; the file ends at 16.
        guard case .failure(let second as DataError) = truncated else {
            Issue.record("a truncated IDX file was read: \(truncated)")
            return
        }
        #expect(bytes.count == 4 + 2 * 4 + 4)
        #expect(second.path == "images.idx" && second.location == "offset \(bytes.count)")
        #expect(second.reason.contains("\(4 + 2 * 4 + 3 * 2)") && second.reason.contains("truncated"), "\(second)")
    }

    /// A model description with a dropout probability outside [0, 1).
    @Test func badDescription() throws {
        // Documentation block: BadInput.md #2
        let json = #"{"sequential":{"layers":[{"linear":{"inputSize":784,"outputSize":256,"bias":true}},{"dropout":{"probability":1.5}}]}}"#
        let described = Result { try ModelDescription(json: Array(json.utf8), source: "model.json") }
        print(described)                               // failure: model.json, layer 1: the dropout probability

        guard case .failure(let error as ModelDescriptionError) = described else {
            Issue.record("a dropout probability of 1.5 was accepted: \(described)")
            return
        }
        // The second layer (index 1) is the bad one.
        #expect(error.layer == "model.json")
        #expect(error.reason.contains("layer 1") && error.reason.contains("1.5") && error.reason.contains("dropout"), "\(error)")
        // The same description with a probability in [0, 1) is accepted.
        let fixed = json.replacingOccurrences(of: "1.5", with: "0.5")
        #expect(throws: Never.self) { try ModelDescription(json: Array(fixed.utf8), source: "model.json") }
    }
}
