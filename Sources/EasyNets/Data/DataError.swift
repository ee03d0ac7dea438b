/// A data file could not be read, or an output file could not be written: which file, where, and
/// what was expected.
public struct DataError: Error, CustomStringConvertible, Equatable {
    /// The file.
    public var path: String
    /// Where in the file: "offset 16", "line 3, column 2", or empty.
    public var location: String
    /// What was wrong.
    public var reason: String

    /// An error for `path`, optionally at `location`, explaining `reason`.
    public init(path: String, location: String = "", reason: String) {
        (self.path, self.location, self.reason) = (path, location, reason)
    }

    public var description: String {
        location.isEmpty ? "\(path): \(reason)" : "\(path), \(location): \(reason)"
    }
}

import Foundation

/// Reads a whole file, throwing a ``DataError`` that names it when it is missing, unreadable or
/// larger than ``InputLimits/maximumBytes``.
public func readFileBytes(_ path: String) throws -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else {
        let reason = errno == ENOENT ? "no such file" : "cannot open the file (\(String(cString: strerror(errno))))"
        throw DataError(path: path, reason: reason)
    }
    defer { close(fd) }
    let limit = InputLimits.maximumBytes
    var info = stat()
    if fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, Int(info.st_size) > limit {
        throw DataError(path: path, reason: "the file has \(info.st_size) bytes, more than the limit of \(limit) bytes (InputLimits.maximumBytes)")
    }
    var bytes: [UInt8] = []
    if (info.st_mode & S_IFMT) == S_IFREG { bytes.reserveCapacity(Int(info.st_size)) }
    var chunk = [UInt8](repeating: 0, count: 1 << 20)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 {
            if errno == EINTR { continue }
            throw DataError(path: path, location: "offset \(bytes.count)", reason: "cannot read the file (\(String(cString: strerror(errno))))")
        }
        if n == 0 { return bytes }
        guard bytes.count + n <= limit else {
            throw DataError(path: path, reason: "the file has more than the limit of \(limit) bytes (InputLimits.maximumBytes)")
        }
        bytes += chunk[0..<n]
    }
}
