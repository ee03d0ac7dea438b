/// The heap buffer behind a ``Tensor``: contiguous, row-major, 64-byte aligned for BLAS.
///
/// Tensors share a storage until one of them mutates (copy-on-write, see `Tensor.ensureUnique`).
final class TensorStorage<Scalar: TensorScalar> {
    let count: Int
    let base: UnsafeMutablePointer<Scalar>

    /// Allocates `count` uninitialized scalars (trivial type: no initialization needed).
    init(uninitializedCount count: Int) {
        self.count = count
        let raw = BufferPool.allocate(byteCount: count * MemoryLayout<Scalar>.stride)
        base = raw.bindMemory(to: Scalar.self, capacity: Swift.max(count, 1))
    }

    convenience init(repeating value: Scalar, count: Int) {
        self.init(uninitializedCount: count)
        fillScalars(base, with: value, count: count)
    }

    func copy() -> TensorStorage {
        let result = TensorStorage(uninitializedCount: count)
        copyScalars(to: result.base, from: base, count: count)
        return result
    }

    var buffer: UnsafeMutableBufferPointer<Scalar> { UnsafeMutableBufferPointer(start: base, count: count) }

    deinit { BufferPool.release(UnsafeMutableRawPointer(base), byteCount: count * MemoryLayout<Scalar>.stride) }
}

/// Sets `count` scalars to zero with one memset: +0.0 is all zero bits in Float and Double, and a
/// byte fill avoids a generic per-element initialization loop in unspecialized code.
@inline(__always)
func zeroFill<Scalar: TensorScalar>(_ pointer: UnsafeMutablePointer<Scalar>, count: Int) {
    UnsafeMutableRawPointer(pointer).initializeMemory(as: UInt8.self, repeating: 0, count: count * MemoryLayout<Scalar>.stride)
}

/// Copies `count` scalars with one memcpy: unspecialized generic code would otherwise copy them
/// one value-witness call at a time (Float and Double are trivially copyable).
@inline(__always)
func copyScalars<Scalar: TensorScalar>(
    to destination: UnsafeMutablePointer<Scalar>, from source: UnsafePointer<Scalar>, count: Int
) {
    UnsafeMutableRawPointer(destination).copyMemory(from: source, byteCount: count * MemoryLayout<Scalar>.stride)
}

/// Sets `count` scalars to `value`: zero as one memset, other values through a loop compiled for
/// the concrete type (a generic `initialize(repeating:)` in unspecialized code makes one
/// value-witness call per element).
func fillScalars<Scalar: TensorScalar>(_ pointer: UnsafeMutablePointer<Scalar>, with value: Scalar, count: Int) {
    if value == 0 && value.sign == .plus {
        zeroFill(pointer, count: count)
    } else {
        fillLoop(pointer, with: value, count: count)
    }
}

/// Pre-specialized and never inlined, so an unspecialized caller reaches the Float or Double loop.
@inline(never)
@_specialize(where T == Float)
@_specialize(where T == Double)
private func fillLoop<T: TensorScalar>(_ pointer: UnsafeMutablePointer<T>, with value: T, count: Int) {
    for i in 0..<count { pointer[i] = value }
}
