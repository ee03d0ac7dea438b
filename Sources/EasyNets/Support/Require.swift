import Foundation
import Synchronization

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

/// Stops the process with `message` (kept in release builds): a trap with the message, or, after
/// ``ProgrammerErrors/exitWithMessage()``, the message on one line and exit status 1.
@inline(never)
func programmerError(_ message: String, file: StaticString = #fileID, line: UInt = #line) -> Never {
    if ProgrammerErrors.exits.load(ordering: .relaxed) {
        fflush(nil)  // every output stream, so progress printed so far is not lost
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        _exit(1)  // not exit(): other threads may be inside BLAS or hold locks that atexit handlers need
    }
    fatalError(message, file: file, line: line)
}

/// How EasyNets stops on a programmer error (a shape mismatch, an argument out of range).
public enum ProgrammerErrors {
    fileprivate static let exits = Atomic<Bool>(false)

    /// From now on a programmer error writes `error: <message>` on one line to standard error and
    /// ends the process with exit status 1, instead of trapping with a crash report: for a
    /// command-line tool, whose users and scripts should see an error, not a crash. A library
    /// keeps the default, a trap, which debuggers and test runners report where it happened.
    public static func exitWithMessage() {
        exits.store(true, ordering: .relaxed)
    }
}

extension Duration {
    /// The duration in seconds, as a `Double`.
    public var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
