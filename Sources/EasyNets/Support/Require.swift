/// The check for programmer errors: a shape mismatch, an argument out of its documented range.
///
/// Stops the process with `message` when `condition` is false, in release builds too: the standard
/// library's `precondition` drops its message under `-O`, `fatalError` keeps it. Every such
/// check in EasyNets goes through this function. Errors that depend on data, files, flags or
/// numerics are thrown instead (``DataError``, ``CheckpointError``, ``TrainingError``).
@inline(__always)
func require(
    _ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
    file: StaticString = #fileID, line: UInt = #line
) {
    if !condition() { programmerError(message(), file: file, line: line) }
}

/// Stops the process with `message` (kept in release builds).
@inline(never)
func programmerError(_ message: String, file: StaticString = #fileID, line: UInt = #line) -> Never {
    fatalError(message, file: file, line: line)
}

extension Duration {
    /// The duration in seconds, as a `Double`.
    public var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
