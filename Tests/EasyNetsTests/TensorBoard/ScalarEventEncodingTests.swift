import Foundation
import SwiftProtobuf
import Testing
@testable import EasyNetsTensorBoard

@Suite("Scalar event encoding")
struct ScalarEventEncodingTests {
    /// The hand encoding gives swift-protobuf's bytes for the same messages: steps 0, 1, 300
    /// (a two-byte varint) and negative, a 200-byte tag (a two-byte length), non-ASCII tags.
    @Test func matchesSwiftProtobuf() throws {
        let cases: [(Double, Int, [(tag: String, value: Double)])] = [
            (1_796_217_177.25, 1, [("batch/loss", 0.5)]),
            (0, 0, [("a", -1e-3)]),
            (12.5, 300, [("batch/loss", 2.3), ("batch/learning_rate", 0.001), ("batch/samples_per_second", 51234.5)]),
            (3, -7, [(String(repeating: "x", count: 200), .infinity)]),
            (4, Int(Int32.max) + 5, [("épreuve/λ", 3)]),
        ]
        for (wallTime, step, scalars) in cases {
            var event = Tensorboard_Event()
            event.wallTime = wallTime
            event.step = Int64(step)
            var summary = Tensorboard_Summary()
            summary.value = scalars.map { scalar in
                var value = Tensorboard_Summary.Value()
                value.tag = scalar.tag
                value.simpleValue = Float(scalar.value)
                return value
            }
            event.summary = summary
            let expected: [UInt8] = try event.serializedBytes()
            #expect(ScalarEventEncoding.bytes(wallTime: wallTime, step: step, scalars: scalars) == expected, "step \(step)")
        }
    }
}
