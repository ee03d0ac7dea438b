/// A scalar `Event` encoded straight into bytes, without building the messages: the writer adds
/// one after every optimizer step, where the generic message path costs more than the step
/// budget allows. The bytes are those of the messages below (`event.proto`, `summary.proto`),
/// fields in number order, as swift-protobuf and TensorFlow write them:
///
/// ```text
/// Event   { double wall_time = 1; int64 step = 2; Summary summary = 5; }
/// Summary { repeated Value value = 1; }
/// Value   { string tag = 1; float simple_value = 2; }
/// ```
enum ScalarEventEncoding {
    /// The event at `step` and `wallTime` holding one summary value per scalar.
    static func bytes(wallTime: Double, step: Int, scalars: [(tag: String, value: Double)]) -> [UInt8] {
        var summary: [UInt8] = []
        summary.reserveCapacity(scalars.count * 48)
        for (tag, value) in scalars {
            let tagLength = tag.utf8.count
            summary.append(0x0A)  // Summary.value (1, length-delimited)
            appendVarint(UInt64(1 + varintSize(UInt64(tagLength)) + tagLength + 5), to: &summary)
            summary.append(0x0A)  // Value.tag (1, length-delimited)
            appendVarint(UInt64(tagLength), to: &summary)
            summary.append(contentsOf: tag.utf8)
            summary.append(0x15)  // Value.simple_value (2, 32-bit)
            appendLittleEndian(Float(value).bitPattern, to: &summary)
        }
        var event: [UInt8] = []
        event.reserveCapacity(summary.count + 24)
        if wallTime != 0 {
            event.append(0x09)  // Event.wall_time (1, 64-bit)
            appendLittleEndian(wallTime.bitPattern, to: &event)
        }
        if step != 0 {
            event.append(0x10)  // Event.step (2, varint; negative steps take ten bytes)
            appendVarint(UInt64(bitPattern: Int64(step)), to: &event)
        }
        event.append(0x2A)  // Event.summary (5, length-delimited)
        appendVarint(UInt64(summary.count), to: &event)
        event.append(contentsOf: summary)
        return event
    }

    /// Bytes a varint of `value` takes.
    private static func varintSize(_ value: UInt64) -> Int {
        var (value, size) = (value >> 7, 1)
        while value != 0 { (value, size) = (value >> 7, size + 1) }
        return size
    }

    /// Appends `value` as a base-128 varint, low groups first.
    private static func appendVarint(_ value: UInt64, to bytes: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    /// Appends `value`'s bytes, least significant first.
    private static func appendLittleEndian<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }
}
