/// The heap buffer behind a ``Tensor``: contiguous, row-major, 64-byte aligned for BLAS.
///
/// Tensors share a storage until one of them mutates (copy-on-write, see `Tensor.ensureUnique`).
final class TensorStorage<Scalar: TensorScalar> {
    let count: Int
    let base: UnsafeMutablePointer<Scalar>

    /// Allocates `count` uninitialized scalars (trivial type: no initialization needed).
    init(uninitializedCount count: Int) {
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(
            byteCount: Swift.max(count, 1) * MemoryLayout<Scalar>.stride, alignment: 64)
        base = raw.bindMemory(to: Scalar.self, capacity: Swift.max(count, 1))
    }

    convenience init(repeating value: Scalar, count: Int) {
        self.init(uninitializedCount: count)
        base.initialize(repeating: value, count: count)
    }

    func copy() -> TensorStorage {
        let result = TensorStorage(uninitializedCount: count)
        result.base.update(from: base, count: count)
        return result
    }

    var buffer: UnsafeMutableBufferPointer<Scalar> { UnsafeMutableBufferPointer(start: base, count: count) }

    deinit { UnsafeMutableRawPointer(base).deallocate() }
}
