import Foundation

/// Output files written without losing data: replaced atomically, appended with checked writes,
/// and checked for writability before long work starts. Every failure is a ``DataError`` naming
/// the path and the system's reason (a missing folder, a read-only folder, a full disk).
public enum OutputFile {
    /// Throws when `path` cannot be written: its folder is missing or read-only, or it is a folder.
    /// Creates and removes a temporary sibling to find out, so it checks what a later write needs.
    public static func checkWritable(_ path: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw DataError(path: path, reason: "is a folder, not a file")
        }
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty, !FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) || !isDirectory.boolValue {
            throw DataError(path: path, reason: "the folder \(folder) does not exist")
        }
        if FileManager.default.fileExists(atPath: path), access(path, W_OK) != 0 {
            throw DataError(path: path, reason: "the file is not writable (\(String(cString: strerror(errno))))")
        }
        let probe = temporaryName(for: path)
        let fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw DataError(path: path, reason: "cannot create files in its folder (\(String(cString: strerror(errno))))")
        }
        close(fd)
        unlink(probe)
    }

    /// Writes `bytes` to a temporary sibling of `path`, syncs it, and renames it over `path`, so a
    /// crash mid-write leaves any previous file intact. Temporary files that killed processes
    /// left behind for the same `path` are removed first.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        removeStaleTemporaries(of: path)
        let temporary = temporaryName(for: path)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw DataError(path: path, reason: "cannot create the temporary file \(temporary) (\(String(cString: strerror(errno))))")
        }
        var failure = writeAll(bytes, to: fd)
        if failure == nil, fsync(fd) != 0 { failure = String(cString: strerror(errno)) }
        if close(fd) != 0, failure == nil { failure = String(cString: strerror(errno)) }
        if let failure {
            unlink(temporary)
            throw DataError(path: path, reason: "writing \(temporary) failed (\(failure))")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw DataError(path: path, reason: "cannot rename \(temporary) into place (\(reason))")
        }
    }

    /// Appends `text` to the file at `path`, creating it, or emptying it first when `truncating`.
    public static func append(_ text: String, to path: String, truncating: Bool = false) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (truncating ? O_TRUNC : 0), 0o644)
        guard fd >= 0 else { throw DataError(path: path, reason: "cannot open the file for writing (\(String(cString: strerror(errno))))") }
        var failure = writeAll(Array(text.utf8), to: fd)
        if close(fd) != 0, failure == nil { failure = String(cString: strerror(errno)) }
        if let failure { throw DataError(path: path, reason: "writing failed (\(failure))") }
    }

    /// The temporary sibling this process writes `path` through.
    static func temporaryName(for path: String) -> String { "\(path).tmp-\(getpid())" }

    /// Writes every byte, retrying short writes; returns the system's reason on failure.
    private static func writeAll(_ bytes: [UInt8], to fd: Int32) -> String? {
        bytes.withUnsafeBytes { raw -> String? in
            var written = 0
            while written < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + written, raw.count - written)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return n < 0 ? String(cString: strerror(errno)) : "no progress after \(written) bytes" }
                written += n
            }
            return nil
        }
    }

    /// Removes `path.tmp-PID` files whose process no longer runs (left by a killed write).
    private static func removeStaleTemporaries(of path: String) {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        let prefix = url.lastPathComponent + ".tmp-"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for name in names where name.hasPrefix(prefix) {
            guard let pid = Int32(name.dropFirst(prefix.count)), pid > 0, pid != getpid() else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH { unlink(folder + "/" + name) }
        }
    }
}
