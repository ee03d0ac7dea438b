import Testing
@testable import EasyNets

/// `Dataset.contentHash`, which data-parallel processes compare to check that they train on the
/// same examples: equal data gives equal hashes, and any changed byte of the features, label or
/// target gives another.
@Suite struct ContentHashTests {
    /// 3 examples of 5 Floats: 60 bytes, so the last 4 are mixed after the whole 8-byte words.
    private func features() -> Tensor<Float> {
        Tensor((0..<15).map { Float($0) * 0.25 - 1 }, shape: [3, 5])
    }

    @Test func equalDataGivesEqualHashes() {
        let first = Dataset(features: features(), labels: [2, 0, 1])
        let second = Dataset(features: features(), labels: [2, 0, 1])
        #expect(first.contentHash == second.contentHash)
        #expect(first.contentHash == first.contentHash)
    }

    @Test func everyFeatureByteCounts() {
        let reference = Dataset(features: features(), labels: [2, 0, 1]).contentHash
        var seen: Set<String> = [reference]
        for byte in 0..<(15 * 4) {
            var changed = features()
            changed.withUnsafeMutableBufferPointer { buffer in
                UnsafeMutableRawBufferPointer(buffer)[byte] ^= 0x80
            }
            let hash = Dataset(features: changed, labels: [2, 0, 1]).contentHash
            #expect(hash != reference, "flipping a bit of byte \(byte) left the hash unchanged")
            seen.insert(hash)
        }
        #expect(seen.count == 61)
    }

    /// The top bits of two words: a multiply-only hash carries their change only upward, out of
    /// the hash, and two such changes cancel.
    @Test func twoChangesDoNotCancel() {
        let reference = Dataset(features: features(), labels: [2, 0, 1]).contentHash
        for (first, second) in [(7, 15), (7, 23), (15, 31), (23, 55)] {
            var changed = features()
            changed.withUnsafeMutableBufferPointer { buffer in
                UnsafeMutableRawBufferPointer(buffer)[first] ^= 0x80
                UnsafeMutableRawBufferPointer(buffer)[second] ^= 0x80
            }
            #expect(Dataset(features: changed, labels: [2, 0, 1]).contentHash != reference,
                    "the top bits of bytes \(first) and \(second) cancelled")
        }
    }

    @Test func labelsTargetsAndLabelShapeCount() {
        let classes = Dataset(features: features(), labels: [2, 0, 1])
        #expect(Dataset(features: features(), labels: [2, 1, 1]).contentHash != classes.contentHash)
        let values = Dataset(features: features(), targets: Tensor<Float>([0.5, 1, 2], shape: [3, 1]))
        let otherValues = Dataset(features: features(), targets: Tensor<Float>([0.5, 1, 2.5], shape: [3, 1]))
        #expect(values.contentHash != otherValues.contentHash)
        let perPosition = Dataset(features: features(), labels: [2, 0, 1, 1, 0, 2], labelShape: [2])
        let otherShape = Dataset(features: features(), labels: [2, 0, 1, 1, 0, 2], labelShape: [1, 2])
        #expect(perPosition.contentHash != otherShape.contentHash)
    }
}
