/// A data file could not be read: which file, where, and what was expected.
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

/// Reads a whole file, throwing a ``DataError`` that names it when it is missing or unreadable.
func readFileBytes(_ path: String) throws -> [UInt8] {
    guard FileManager.default.fileExists(atPath: path) else {
        throw DataError(path: path, reason: "no such file")
    }
    guard let data = FileManager.default.contents(atPath: path) else {
        throw DataError(path: path, reason: "cannot read the file")
    }
    return [UInt8](data)
}
