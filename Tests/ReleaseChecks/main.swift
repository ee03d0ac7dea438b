// Programmer errors keep their messages in a release build: built with `-c release` by
// scripts/test.sh, this program runs each case below in a child process of itself and checks that
// the child stopped (a trap, or exit status 1 after `ProgrammerErrors.exitWithMessage()`) with a
// message naming the op and the shapes. Every check in EasyNets goes through one function
// (`require`, which calls `fatalError`); the test suite's exit tests cover each op in a debug
// build, and these cases, one of each kind of op, show that the function's messages survive `-O`.
//
// Usage: easynets-release-checks            (runs every case; exit status 1 if one fails)
//        easynets-release-checks CASE       (stops the way CASE does)
import EasyNets
import Foundation

/// A programmer error, the words its message must contain, and whether the process ends with
/// exit status 1 (after `ProgrammerErrors.exitWithMessage()`) instead of a trap.
struct Case {
    let name: String
    let names: [String]
    var exitsWithStatus1 = false
    let body: () -> Void
}

let cases: [Case] = [
    Case(name: "multiply", names: ["multiply", "[2, 3]", "[3, 2]"]) { _ = Tensor<Double>.zeros([2, 3]) * Tensor<Double>.zeros([3, 2]) },
    Case(name: "matmul", names: ["matmul", "[2, 3]", "[4]"]) { _ = matmul(Tensor<Double>.zeros([2, 3]), Tensor<Double>.zeros([4])) },
    Case(name: "reshaped", names: ["Tensor.reshaped", "[2, 3]", "[4, 2]"]) { _ = Tensor<Float>.zeros([2, 3]).reshaped(to: [4, 2]) },
    Case(name: "linear", names: ["linear", "[5, 2]", "[4, 3]"]) {
        var generator = RandomGenerator(seed: 0)
        _ = Linear<Double>(3, 4, using: &generator)(Tensor.zeros([5, 2]))
    },
    Case(name: "conv2d", names: ["conv2d", "[2, 1, 28, 28]", "[8, 3, 3, 3]", "takes 3"]) {
        _ = Conv2d<Float>(3, 8, kernelSize: 3)(Tensor.zeros([2, 1, 28, 28]))
    },
    Case(name: "layer-norm", names: ["LayerNorm", "[3, 5]", "[4]"]) { _ = LayerNorm<Double>([4])(Tensor.zeros([3, 5])) },
    Case(name: "group-norm-arguments", names: ["GroupNorm", "4 channels", "3 groups"]) { _ = GroupNorm<Float>(groupCount: 3, channelCount: 4) },
    Case(name: "exit-with-message", names: ["error: ", "[2, 3]", "[3, 2]"], exitsWithStatus1: true) {
        ProgrammerErrors.exitWithMessage()
        _ = Tensor<Float>.zeros([2, 3]) + Tensor<Float>.zeros([3, 2])
    },
]

/// Runs `check` in a child process; returns what went wrong, or nil.
func problem(running check: Case) -> String? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
    process.arguments = [check.name]
    // No crash report from the Swift runtime's backtracer: the message is what is checked.
    process.environment = ProcessInfo.processInfo.environment.merging(["SWIFT_BACKTRACE": "enable=no"]) { $1 }
    let errors = Pipe()
    process.standardError = errors
    do { try process.run() } catch { return "cannot start the child process: \(error)" }
    let output = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    let stopped = check.exitsWithStatus1 ? process.terminationReason == .exit && process.terminationStatus == 1
        : process.terminationReason == .uncaughtSignal
    guard stopped else { return "ended with \(process.terminationReason == .exit ? "exit status" : "signal") \(process.terminationStatus)" }
    let missing = check.names.filter { !output.contains($0) }
    return missing.isEmpty ? nil : "the message lacks \(missing): \(output)"
}

let arguments = CommandLine.arguments.dropFirst()
if let name = arguments.first {
    guard let check = cases.first(where: { $0.name == name }) else {
        FileHandle.standardError.write(Data("unknown case \(name); cases: \(cases.map(\.name).joined(separator: ", "))\n".utf8))
        exit(2)
    }
    check.body()
    FileHandle.standardError.write(Data("\(name): no programmer error\n".utf8))
    exit(0)
}
var failures = 0
for check in cases {
    if let problem = problem(running: check) {
        print("FAIL \(check.name): \(problem)")
        failures += 1
    } else {
        print("ok   \(check.name)")
    }
}
print(failures == 0 ? "release checks: all \(cases.count) cases stopped with their messages" : "release checks: \(failures) of \(cases.count) failed")
exit(failures == 0 ? 0 : 1)
