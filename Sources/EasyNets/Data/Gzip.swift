import CZlib

/// gzip (and zlib) decompression through the system zlib.
public enum Gzip {
    /// Whether `bytes` start with the gzip magic number 1f 8b.
    public static func isCompressed(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B
    }

    /// Decompresses a whole gzip stream; `path` names the source in errors, which give the
    /// compressed offset where the stream broke off or went wrong. The output may not exceed
    /// ``InputLimits/maximumBytes``.
    public static func decompress(_ bytes: [UInt8], path: String = "<memory>") throws -> [UInt8] {
        var stream = z_stream()
        // windowBits 15 + 32: detect gzip or zlib headers automatically.
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DataError(path: path, reason: "zlib could not start decompressing")
        }
        defer { inflateEnd(&stream) }
        let limit = InputLimits.maximumBytes
        var output: [UInt8] = []
        output.reserveCapacity(min(bytes.count, limit / 4) * 4)
        var chunk = [UInt8](repeating: 0, count: 1 << 18)
        var status: Int32 = Z_OK
        var consumed = 0  // input bytes handed to zlib so far
        func fail(_ reason: String) -> DataError {
            DataError(path: path, location: "compressed offset \(consumed - Int(stream.avail_in))", reason: reason)
        }
        try bytes.withUnsafeBufferPointer { input in
            repeat {
                if stream.avail_in == 0 && consumed < input.count {  // zlib counts in 32 bits: feed ≤ 1 GiB at a time
                    let piece = min(input.count - consumed, 1 << 30)
                    stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress! + consumed)
                    stream.avail_in = uInt(piece)
                    consumed += piece
                }
                let produced = chunk.withUnsafeMutableBufferPointer { out -> Int in
                    stream.next_out = out.baseAddress
                    stream.avail_out = uInt(out.count)
                    status = inflate(&stream, Z_NO_FLUSH)
                    return out.count - Int(stream.avail_out)
                }
                if status == Z_DATA_ERROR || status == Z_NEED_DICT || status == Z_MEM_ERROR || status == Z_STREAM_ERROR {
                    let message = stream.msg.map { String(cString: $0) } ?? "corrupt data"
                    throw fail("gzip data is corrupt (\(message))")
                }
                guard output.count + produced <= limit else {
                    throw fail("decompresses to more than the limit of \(limit) bytes (InputLimits.maximumBytes)")
                }
                output += chunk[0..<produced]
                if status == Z_BUF_ERROR || (status == Z_OK && stream.avail_in == 0 && consumed == input.count && stream.avail_out != 0) {
                    throw fail("gzip stream is truncated (ended before its end marker)")
                }
            } while status != Z_STREAM_END
        }
        return output
    }

    /// The file's bytes, decompressed when it is gzip-compressed.
    public static func readMaybeCompressed(_ path: String) throws -> [UInt8] {
        let bytes = try readFileBytes(path)
        return isCompressed(bytes) ? try decompress(bytes, path: path) : bytes
    }
}
