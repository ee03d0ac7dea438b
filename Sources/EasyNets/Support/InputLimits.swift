import Synchronization

/// Limits on what EasyNets allocates for untrusted input: sizes read from file headers, checkpoint
/// metadata and command-line flags. Every such size goes through checked arithmetic and this limit
/// before anything is allocated, so a corrupt or hostile file is a thrown error naming the file,
/// the offset and the limit, never a crash or an allocation of terabytes.
public enum InputLimits {
    private static let bytes = Atomic<Int>(8 << 30)

    /// The largest number of bytes one file, one decompressed stream, one tensor read from a file
    /// or one model built from a description may take (default 8 GiB).
    public static var maximumBytes: Int {
        get { bytes.load(ordering: .relaxed) }
        set {
            require(newValue > 0, "InputLimits.maximumBytes: must be positive, got \(newValue)")
            bytes.store(newValue, ordering: .relaxed)
        }
    }

    /// The number of elements of `shape`, or `nil` when an extent is negative or a product of
    /// extents overflows `Int` (also the product of the non-zero extents, which strides use).
    public static func elementCount(_ shape: [Int]) -> Int? {
        var count = 1, nonZero = 1
        for extent in shape {
            guard extent >= 0 else { return nil }
            let (product, overflow) = nonZero.multipliedReportingOverflow(by: Swift.max(extent, 1))
            guard !overflow else { return nil }
            nonZero = product
            count = extent == 0 ? 0 : count * extent  // cannot overflow: count ≤ nonZero
        }
        return count
    }

    /// Why `shape` of `elementSize`-byte elements cannot be allocated, or `nil` when it can: a
    /// negative extent, an overflowing size, or more bytes than ``maximumBytes``.
    public static func problem(shape: [Int], elementSize: Int) -> String? {
        guard let count = elementCount(shape) else {
            return "shape \(shape) has a negative extent or a size that overflows a 64-bit integer"
        }
        return problem(byteCount: count.multipliedReportingOverflow(by: elementSize), what: "shape \(shape)")
    }

    /// Why `byteCount` bytes (with its overflow flag) cannot be allocated for `what`, or `nil`.
    static func problem(byteCount: (partialValue: Int, overflow: Bool), what: String) -> String? {
        if byteCount.overflow || byteCount.partialValue > maximumBytes {
            let size = byteCount.overflow ? "more than 2^63" : "\(byteCount.partialValue)"
            return "\(what) needs \(size) bytes, more than the limit of \(maximumBytes) bytes (InputLimits.maximumBytes)"
        }
        return nil
    }
}
