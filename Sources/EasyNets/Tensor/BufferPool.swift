import Synchronization

/// Recycles tensor buffers by size, so a training loop's steady state reuses the buffers of the
/// previous step instead of asking the allocator (and the kernel, for large blocks) afresh.
///
/// Freed buffers wait in per-size free lists up to `capacityBytes` in total; past that they go
/// back to the system. Buffers are 64-byte aligned.
enum BufferPool {
    /// The most bytes kept waiting for reuse.
    static let capacityBytes = 1 << 30

    private struct State: ~Copyable {
        var free: [Int: [UInt]] = [:]  // addresses, so the lock holds only Sendable values
        var cachedBytes = 0
    }

    private static let state = Mutex(State())

    static func allocate(byteCount: Int) -> UnsafeMutableRawPointer {
        let size = Swift.max(byteCount, 64)
        if let address = state.withLock({ s -> UInt? in
            guard let address = s.free[size]?.popLast() else { return nil }
            s.cachedBytes -= size
            return address
        }) {
            return UnsafeMutableRawPointer(bitPattern: address)!
        }
        return UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
    }

    static func release(_ pointer: UnsafeMutableRawPointer, byteCount: Int) {
        let size = Swift.max(byteCount, 64)
        let address = UInt(bitPattern: pointer)
        let kept = state.withLock { s -> Bool in
            guard s.cachedBytes + size <= capacityBytes else { return false }
            s.free[size, default: []].append(address)
            s.cachedBytes += size
            return true
        }
        if !kept { pointer.deallocate() }
    }

    /// Bytes currently waiting for reuse.
    static var cachedBytes: Int { state.withLock { $0.cachedBytes } }
}
