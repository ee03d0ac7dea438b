import Foundation
import Synchronization

/// Limits on what EasyNets allocates for untrusted input: sizes read from file headers, checkpoint
/// metadata and command-line flags. Every such size goes through checked arithmetic and this limit
/// before anything is allocated, so a corrupt or hostile file is a thrown error naming the file,
/// the offset and the limit, never a crash or an allocation of terabytes.
public enum InputLimits {
    private static let bytes = Atomic<Int>(usableMemory / 2)

    /// The memory this process may really use, in bytes: the smallest of the machine's physical
    /// memory, the memory limit of its control group (cgroup v2 `memory.max` or v1
    /// `memory.limit_in_bytes`) and its address-space limit (`ulimit -v`). Read once.
    public static let usableMemory: Int = {
        var limits = [Int(clamping: ProcessInfo.processInfo.physicalMemory)]
        var addressSpace = rlimit()
        if getrlimit(Int32(RLIMIT_AS.rawValue), &addressSpace) == 0, addressSpace.rlim_cur != rlim_t.max {  // RLIM_INFINITY
            limits.append(Int(clamping: addressSpace.rlim_cur))
        }
        limits += controlGroupLimits()
        return Swift.max(limits.min()!, 1)
    }()

    /// The memory limits of this process's control groups, v2 and v1, where a file states one.
    private static func controlGroupLimits() -> [Int] {
        var paths = ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"]
        // The process's own group, from lines "0::/path" (v2) and "N:memory:/path" (v1).
        if let groups = try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8) {
            for line in groups.split(separator: "\n") {
                let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
                guard fields.count == 3, fields[2] != "/" else { continue }
                if fields[0] == "0" && fields[1].isEmpty { paths.append("/sys/fs/cgroup\(fields[2])/memory.max") }
                if fields[1].split(separator: ",").contains("memory") {
                    paths.append("/sys/fs/cgroup/memory\(fields[2])/memory.limit_in_bytes")
                }
            }
        }
        return paths.compactMap { path in
            (try? String(contentsOfFile: path, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }.filter { $0 > 0 }
    }

    /// The largest number of bytes one file, one decompressed stream, one tensor read from a file
    /// or the memory one model needs may take: by default half of ``usableMemory``, leaving the
    /// rest to the runtime, BLAS and the data.
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
