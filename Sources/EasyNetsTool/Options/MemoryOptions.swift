import ArgumentParser
import EasyNets

/// The memory limit every command checks a model, a batch and a file against before allocating
/// (``InputLimits/maximumBytes``).
struct MemoryOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "The most memory a model and a batch may need, and the largest file or tensor read: bytes, or a number with K, M, G or T (powers of 1024), e.g. 6G. (default: half the memory this process may use, \(MemoryOptions.describe(InputLimits.usableMemory / 2)))",
        valueName: "size"))
    var memoryLimit: String?

    func validate() throws {
        if let memoryLimit, Self.bytes(memoryLimit) == nil {
            throw ValidationError("--memory-limit takes a size from 1M to 1024T, such as 512M or 6G; got \"\(memoryLimit)\"")
        }
    }

    /// Sets the limit for the rest of the process; called first by every command that reads files.
    func apply() {
        if let memoryLimit, let bytes = Self.bytes(memoryLimit) { InputLimits.maximumBytes = bytes }
    }

    /// The bytes `text` names ("6G", "512M", "1.5G", "1073741824"), from 1 MiB to 1024 TiB, or `nil`.
    static func bytes(_ text: String) -> Int? {
        let units: [Character: Double] = ["K": 0x1p10, "M": 0x1p20, "G": 0x1p30, "T": 0x1p40]
        var number = Substring(text.uppercased())
        if number.hasSuffix("B") { number = number.dropLast() }  // "6GB"
        var scale = 1.0
        if let last = number.last, let unit = units[last] { (scale, number) = (unit, number.dropLast()) }
        guard let value = Double(number), value.isFinite, value * scale >= 0x1p20, value * scale <= 0x1p50 else { return nil }
        return Int(value * scale)
    }

    /// "12.0 GiB", for the help text.
    static func describe(_ bytes: Int) -> String {
        "\(String(Double(bytes) / 0x1p30, style: .fixed(1))) GiB"
    }
}
