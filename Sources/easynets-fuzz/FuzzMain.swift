import EasyNets
import EasyNetsFuzzTargets
import Foundation
#if EASYNETS_LIBFUZZER
import CLibFuzzer
#endif

/// `easynets-fuzz TARGET [ARGUMENTS…]`: runs one fuzz target.
///
/// Built by `scripts/fuzz.sh` with `-sanitize=fuzzer,address` (and `-DEASYNETS_LIBFUZZER`), the
/// arguments go to libFuzzer (corpus folders, `-max_total_time=…`). In a plain build it replays
/// the files and folders given, one input per file, and prints how many it read.
@main
enum FuzzMain {
    /// The target named by the first argument (read once, from the C callback too).
    static let target: FuzzTarget? = CommandLine.arguments.count > 1 ? FuzzTarget(rawValue: CommandLine.arguments[1]) : nil

    static func main() {
        guard let target else {
            FileHandle.standardError.write(Data("usage: easynets-fuzz \(FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")) [libFuzzer arguments | files…]\n".utf8))
            exit(64)
        }
        // Small limits keep each input fast; the checks are the same at any limit.
        InputLimits.maximumBytes = 64 << 20
        let rest = Array(CommandLine.arguments.dropFirst(2))
        #if EASYNETS_LIBFUZZER
        var arguments = ([CommandLine.arguments[0]] + rest).map { strdup($0) }
        arguments.append(nil)
        var count = Int32(arguments.count - 1)
        let status = arguments.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var argv = buffer.baseAddress
            return LLVMFuzzerRunDriver(&count, &argv) { data, size in
                FuzzMain.target?.run(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
                return 0
            }
        }
        exit(status)
        #else
        var inputs = 0
        for path in rest {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
                FileHandle.standardError.write(Data("easynets-fuzz: no such file \(path)\n".utf8))
                exit(66)
            }
            let files = isFolder.boolValue
                ? ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted().map { "\(path)/\($0)" }
                : [path]
            for file in files {
                guard let data = FileManager.default.contents(atPath: file) else { continue }
                target.run([UInt8](data))
                inputs += 1
            }
        }
        print("easynets-fuzz \(target.rawValue): \(inputs) inputs read without a crash")
        #endif
    }
}
