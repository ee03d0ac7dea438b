import Testing
@testable import EasyNets

// Shared assertions and fixtures. Every assertion forwards `sourceLocation`, so a failure is
// reported at the test line that called it, with a summary (shape, element count, the largest
// difference and where it is), never the compared values themselves, which can run to megabytes.

// MARK: - Comparing values

/// Expects `actual` and `expected` to have one shape and to agree elementwise within
/// `tolerance · max(1, |expected|)`: an absolute tolerance for values up to 1, a relative one above.
func expectClose<T: TensorScalar>(
    _ actual: Tensor<T>, _ expected: Tensor<T>, tolerance: T,
    _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation
) {
    guard actual.shape == expected.shape else {
        Issue.record("shape \(actual.shape) differs from expected shape \(expected.shape)\(note(comment))",
                     sourceLocation: sourceLocation)
        return
    }
    let e = expected.scalars
    expectWithinBounds(actual.scalars, e, bounds: e.map { tolerance * Swift.max(1, Swift.abs($0)) }, shape: actual.shape,
                       "tolerance \(tolerance)", comment, sourceLocation: sourceLocation)
}

/// Expects `|actual[i] − expected[i]| ≤ bounds[i]` for every element of arrays of `shape` (NaN
/// never passes); on failure, records the largest violation relative to its bound, with its index.
func expectWithinBounds<T: TensorScalar>(
    _ actual: [T], _ expected: [T], bounds: [T], shape: [Int], _ allowance: String,
    _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation
) {
    guard actual.count == expected.count && bounds.count == expected.count else {
        Issue.record("\(actual.count) values against \(expected.count) expected and \(bounds.count) bounds\(note(comment))",
                     sourceLocation: sourceLocation)
        return
    }
    var worst: (index: Int, excess: T, difference: T)?
    var failures = 0
    for i in actual.indices {
        let difference = Swift.abs(actual[i] - expected[i])
        // `!(≤)` also catches NaN.
        if !(difference <= bounds[i]) {
            failures += 1
            let excess = difference.isNaN ? T.infinity : difference / bounds[i]
            if worst == nil || excess > worst!.excess { worst = (i, excess, difference) }
        }
    }
    if let worst {
        Issue.record("""
            \(failures) of \(actual.count) values of shape \(shape) differ: largest difference \(worst.difference) at \
            \(multiIndex(worst.index, in: shape)) (actual \(actual[worst.index]), expected \(expected[worst.index]), \
            allowed \(bounds[worst.index]); \(allowance))\(note(comment))
            """, sourceLocation: sourceLocation)
    }
}

/// Expects `actual` and `expected` to be equal element by element (`==`, as for arrays: NaN never
/// equals); on failure, records how many differ and the first difference, with its index.
func expectEqualScalars<T: TensorScalar>(
    _ actual: [T], _ expected: [T], shape: [Int]? = nil,
    _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation
) {
    let shape = shape ?? [expected.count]
    guard actual.count == expected.count else {
        Issue.record("\(actual.count) values, expected \(expected.count)\(note(comment))", sourceLocation: sourceLocation)
        return
    }
    let differing = actual.indices.filter { actual[$0] != expected[$0] }
    if let first = differing.first {
        Issue.record("""
            \(differing.count) of \(actual.count) values of shape \(shape) differ; the first at \
            \(multiIndex(first, in: shape)): actual \(actual[first]), expected \(expected[first])\(note(comment))
            """, sourceLocation: sourceLocation)
    }
}

/// Expects every element of `values` (of `shape`) to be finite; on failure, records how many are
/// not and the first of them, with its index.
func expectAllFinite<T: TensorScalar>(
    _ values: [T], shape: [Int]? = nil, _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation
) {
    let shape = shape ?? [values.count]
    let nonFinite = values.indices.filter { !values[$0].isFinite }
    if let first = nonFinite.first {
        Issue.record("""
            \(nonFinite.count) of \(values.count) values of shape \(shape) are not finite; the first is \(values[first]) \
            at \(multiIndex(first, in: shape))\(note(comment))
            """, sourceLocation: sourceLocation)
    }
}

private func note(_ comment: Comment?) -> String {
    comment.map { " — \($0.rawValue)" } ?? ""
}

/// ``expectClose(_:_:tolerance:_:sourceLocation:)`` for plain arrays (compared as 1-D tensors).
func expectClose<T: TensorScalar>(
    _ actual: [T], _ expected: [T], tolerance: T,
    _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation
) {
    expectClose(Tensor(actual), Tensor(expected), tolerance: tolerance, comment, sourceLocation: sourceLocation)
}

/// ``expectClose(_:_:tolerance:_:sourceLocation:)`` for single numbers.
func expectClose<T: TensorScalar>(
    _ actual: T, _ expected: T, tolerance: T,
    _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation
) {
    expectClose(Tensor([actual]), Tensor([expected]), tolerance: tolerance, comment, sourceLocation: sourceLocation)
}

// MARK: - Exit tests

/// Expects the standard error of an exit test's child process (observed with
/// `observing: [\.standardErrorContent]`) to contain every fragment.
func expectMessage(
    _ result: ExitTest.Result?, names fragments: [String], sourceLocation: SourceLocation = #_sourceLocation
) {
    let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
    for fragment in fragments {
        #expect(message.contains(fragment), "missing \"\(fragment)\" in stderr: \(message)", sourceLocation: sourceLocation)
    }
}

// MARK: - Gradient checks

/// Checks reverse-mode gradients of `f` at `inputs` against central finite differences (the public
/// ``checkGradients(of:at:epsilon:seed:)``), expecting both the largest absolute and the largest
/// relative error to be at most `tolerance`.
func expectGradientsMatch(
    _ inputs: [Tensor<Double>], tolerance: Double = 1e-6, epsilon: Double = 1e-5,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ f: ([Tensor<Double>]) -> Tensor<Double>
) {
    let result = checkGradients(of: f, at: inputs, epsilon: epsilon)
    let shapes = inputs.map(\.shape)
    #expect(result.maxAbsoluteError <= tolerance, "inputs \(shapes): \(result)", sourceLocation: sourceLocation)
    #expect(result.maxRelativeError <= tolerance, "inputs \(shapes): \(result)", sourceLocation: sourceLocation)
}

// MARK: - Fixtures

/// A tensor of uniform values in `range`, the same for the same `seed`.
func randomTensor<T: TensorScalar>(_ shape: [Int], in range: ClosedRange<T> = -1...1, seed: UInt64) -> Tensor<T> {
    var generator = RandomGenerator(seed: seed)
    return Tensor<T>.uniform(shape, low: range.lowerBound, high: range.upperBound, using: &generator)
}

/// ``randomTensor(_:in:seed:)`` in `Double`, the precision of the gradient checks.
func randomTensor(_ shape: [Int], in range: ClosedRange<Double> = -1...1, seed: UInt64) -> Tensor<Double> {
    var generator = RandomGenerator(seed: seed)
    return Tensor<Double>.uniform(shape, low: range.lowerBound, high: range.upperBound, using: &generator)
}

/// Uniform magnitudes in `magnitudes` with random signs: values kept away from 0 (for kinks such
/// as relu's and abs's).
func randomSignedTensor(_ shape: [Int], magnitudes: ClosedRange<Double> = 0.2...1.5, seed: UInt64) -> Tensor<Double> {
    let size = randomTensor(shape, in: magnitudes, seed: seed)
    let sign = randomTensor(shape, in: -1...1, seed: seed &+ 0x9E37).scalars.map { $0 < 0 ? -1.0 : 1.0 }
    return Tensor(zip(size.scalars, sign).map { $0 * $1 }, shape: shape)
}

/// The same values in `Double`, to compare a `Float` result with a `Double` reference.
func asDouble<T: TensorScalar>(_ t: Tensor<T>) -> Tensor<Double> {
    Tensor<Double>(t.scalars.map { Double($0) }, shape: t.shape)
}

// MARK: - Index arithmetic for the naive references

/// Every multi-index of `shape` in row-major order (one empty index for a 0-D shape).
func allIndices(of shape: [Int]) -> [[Int]] {
    var result: [[Int]] = [[]]
    for extent in shape {
        result = result.flatMap { prefix in (0..<extent).map { prefix + [$0] } }
    }
    return result
}

/// The row-major offset of `index` in `shape`.
func flatOffset(_ index: [Int], in shape: [Int]) -> Int {
    zip(index, shape).reduce(0) { $0 * $1.1 + $1.0 }
}

/// The multi-index of row-major `offset` in `shape`.
func multiIndex(_ offset: Int, in shape: [Int]) -> [Int] {
    var rest = offset
    var index = [Int](repeating: 0, count: shape.count)
    for axis in shape.indices.reversed() where shape[axis] > 0 {
        index[axis] = rest % shape[axis]
        rest /= shape[axis]
    }
    return index
}

/// The element of `t` at `index`, reading axes of extent 1 (and missing leading axes) as
/// broadcast: the plain-loop definition of NumPy broadcasting.
func broadcastElement<T: TensorScalar>(_ t: Tensor<T>, at index: [Int]) -> T {
    let own = index.suffix(t.rank).enumerated().map { axis, i in t.shape[axis] == 1 ? 0 : i }
    return t.scalars[flatOffset(own, in: t.shape)]
}

// MARK: - Errors

/// Expects `body` to throw an `E` whose description contains every fragment.
func expectError<E: Error & CustomStringConvertible>(
    _: E.Type, _ fragments: String..., sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) {
    do {
        try body()
        Issue.record("no error; expected \(E.self) containing \(fragments)", sourceLocation: sourceLocation)
    } catch let error as E {
        for fragment in fragments {
            #expect(error.description.contains(fragment), "\"\(fragment)\" missing in: \(error)", sourceLocation: sourceLocation)
        }
    } catch {
        Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
    }
}
