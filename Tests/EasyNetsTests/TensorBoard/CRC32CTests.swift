import Testing
@testable import EasyNetsTensorBoard

@Suite("CRC-32C")
struct CRC32CTests {
    /// The check value of the Castagnoli CRC and the iSCSI test vectors (RFC 3720, appendix B.4).
    @Test func publishedVectors() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map(UInt8.init)) == 0x46DD_794E)
        #expect(CRC32C.checksum((0..<32).reversed().map(UInt8.init)) == 0x113F_DB5C)
        #expect(CRC32C.checksum([]) == 0)
    }

    /// The table-driven checksum equals a bit-at-a-time one at every length and alignment.
    @Test func matchesBitwiseReference() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let bytes = (0..<300).map { _ -> UInt8 in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
        for start in 0..<9 {
            for end in Swift.stride(from: start, through: bytes.count, by: 7) {
                let slice = Array(bytes[start..<end])
                #expect(CRC32C.checksum(slice) == bitwiseCRC32C(slice), "bytes \(start)..<\(end)")
            }
        }
        // Continuing from the checksum of a prefix gives the checksum of the whole.
        let prefix = CRC32C.checksum(Array(bytes[..<123]))
        let whole = bytes[123...].withUnsafeBytes { CRC32C.checksum($0, continuing: prefix) }
        #expect(whole == bitwiseCRC32C(bytes))
    }

    /// Masking rotates right by 15 bits and adds 0xA282EAD8, wrapping (worked by hand).
    @Test func masking() {
        #expect(CRC32C.masked(0) == 0xA282_EAD8)
        #expect(CRC32C.masked(0x0000_8000) == 0xA282_EAD9)  // bit 15 rotates to bit 0
        #expect(CRC32C.masked(1) == 0xA284_EAD8)  // bit 0 rotates to bit 17
        #expect(CRC32C.masked(0xFFFF_FFFF) == 0xA282_EAD7)  // 0xFFFFFFFF + 0xA282EAD8 wraps
    }
}

/// CRC-32C one bit at a time, straight from the definition (reflected polynomial 0x82F63B78).
func bitwiseCRC32C(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
    }
    return ~crc
}
