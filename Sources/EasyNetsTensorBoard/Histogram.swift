/// The distribution of a tensor's values, as TensorBoard's histogram and distribution dashboards
/// show it (its `HistogramProto`): the minimum, maximum, count, sum and sum of squares, and the
/// counts of equal-width buckets between the minimum and the maximum.
///
/// Bucket `i` holds the values in `[limit[i-1], limit[i])` (the first starts at ``minimum``; the
/// last also holds ``maximum``, its limit). Non-finite values (NaN, ±∞) are left out of every
/// field. Two passes over the values; O(n).
public struct Histogram: Sendable, Equatable {
    /// The smallest and largest finite value (0 when there is none).
    public var minimum: Double, maximum: Double
    /// The number of finite values.
    public var count: Double
    /// The sum and the sum of squares of the finite values.
    public var sum: Double, sumOfSquares: Double
    /// Each bucket's upper edge, increasing; the last is ``maximum``.
    public var bucketLimits: [Double]
    /// The number of values in each bucket.
    public var bucketCounts: [Double]

    /// The histogram of `values` in `bucketCount` equal-width buckets (one bucket when all the
    /// finite values are equal; none when there is no finite value).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public init<T: BinaryFloatingPoint>(_ values: UnsafeBufferPointer<T>, bucketCount: Int = 30) {
        if bucketCount <= 0 { fatalError("Histogram: bucketCount must be positive, got \(bucketCount)") }  // kept under -O
        var (low, high, count, sum, squares) = (Double.infinity, -Double.infinity, 0, 0.0, 0.0)
        for value in values where value.isFinite {
            let x = Double(value)
            low = Swift.min(low, x)
            high = Swift.max(high, x)
            sum += x
            squares += x * x
            count += 1
        }
        (self.count, self.sum, sumOfSquares) = (Double(count), sum, squares)
        guard count > 0 else {
            (minimum, maximum, bucketLimits, bucketCounts) = (0, 0, [], [])
            return
        }
        (minimum, maximum) = (low, high)
        guard high > low else {
            (bucketLimits, bucketCounts) = ([high], [Double(count)])
            return
        }
        let width = (high - low) / Double(bucketCount), scale = Double(bucketCount) / (high - low)
        var counts = [Int](repeating: 0, count: bucketCount)
        counts.withUnsafeMutableBufferPointer { counts in
            for value in values where value.isFinite {
                counts[Swift.min(Int((Double(value) - low) * scale), bucketCount - 1)] += 1
            }
        }
        bucketLimits = (1...bucketCount).map { $0 == bucketCount ? high : low + Double($0) * width }
        bucketCounts = counts.map(Double.init)
    }

    /// The histogram of `values` in `bucketCount` equal-width buckets.
    public init<T: BinaryFloatingPoint>(_ values: [T], bucketCount: Int = 30) {
        self = values.withUnsafeBufferPointer { Histogram($0, bucketCount: bucketCount) }
    }
}
