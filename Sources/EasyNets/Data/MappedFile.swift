import Foundation

/// A file mapped read-only into memory with `mmap`: its pages are read from disk when touched,
/// not copied up front, and stay shared with the page cache.
///
/// The descriptor stays open so ``checkSize(atLeast:)`` can see whether the file was truncated
/// since it was mapped (reading a mapped page past the end of a truncated file would stop the
/// process with SIGBUS). Unmapped and closed on deinit.
final class MappedFile: @unchecked Sendable {
    // Sendable: the mapping is read-only (PROT_READ, MAP_PRIVATE) and never changes after init,
    // so any thread may read it; the descriptor is only passed to fstat.
    let path: String
    /// The mapped bytes (empty for an empty file).
    let bytes: UnsafeRawBufferPointer
    private let descriptor: Int32

    /// Maps the regular file at `path`; throws a ``DataError`` naming it when it is missing,
    /// unreadable, not a regular file or cannot be mapped.
    init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let reason = errno == ENOENT ? "no such file" : "cannot open the file (\(String(cString: strerror(errno))))"
            throw DataError(path: path, reason: reason)
        }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw DataError(path: path, reason: "not a regular file, so it cannot be memory-mapped")
        }
        let size = Int(info.st_size)
        if size == 0 {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
        } else {
            let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
            guard let address, address != MAP_FAILED else {
                let reason = String(cString: strerror(errno))
                close(fd)
                throw DataError(path: path, reason: "cannot map the file's \(size) bytes into memory (\(reason))")
            }
            bytes = UnsafeRawBufferPointer(start: address, count: size)
        }
        descriptor = fd
    }

    deinit {
        if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
        close(descriptor)
    }

    /// Throws a ``DataError`` naming the file when it is now shorter than `count` bytes (it was
    /// truncated or rewritten since it was mapped), before a read would touch a missing page.
    func checkSize(atLeast count: Int) throws {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            throw DataError(path: path, reason: "cannot check the file's size (\(String(cString: strerror(errno))))")
        }
        guard Int(info.st_size) >= count else {
            throw DataError(path: path, location: "offset \(info.st_size)",
                            reason: "the file has \(info.st_size) bytes, \(count) when it was opened: it changed since (truncated)")
        }
    }
}
