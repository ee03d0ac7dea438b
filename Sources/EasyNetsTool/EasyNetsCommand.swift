import ArgumentParser
import EasyNets
import Foundation
import Synchronization

/// The `easynets` tool: one subcommand per file in Commands/, flags shared among them in Options/.
public struct EasyNetsCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "easynets",
        abstract: "EasyNets: neural networks in Swift on OpenBLAS.",
        version: EasyNetsVersion.current,
        subcommands: [Train.self, Evaluate.self, Predict.self, Generate.self, Summarize.self, Describe.self, Export.self, Import.self, Plot.self, Info.self, Explain.self, Bench.self]
    )

    /// Runs the command the arguments name. Every error is one `error: …` message on standard
    /// error; a usage error adds the usage of the command it concerns, found while parsing or
    /// while running. A programmer error the tool's checks did not foresee reaches the user the
    /// same way, with exit status 1, not as a crash report.
    public init() {}

    /// How `train` joins a job `mpirun` started (``ProcessLauncher``); `nil`: this tool trains in
    /// one process and refuses to run under `mpirun`.
    public static var processLauncher: ProcessLauncher? {
        get { launcher.withLock { $0 } }
        set { launcher.withLock { $0 = newValue } }
    }
    private static let launcher = Mutex<ProcessLauncher?>(nil)

    public static func main() {
        ProgrammerErrors.exitWithMessage()
        let arguments = Array(CommandLine.arguments.dropFirst())
        var command: any ParsableCommand
        do {
            command = try parseAsRoot(arguments)
        } catch {
            if let unknown = unknownCommandMessage(arguments) {
                printError("error: " + unknown)
                Foundation.exit(ExitCode.validationFailure.rawValue)
            }
            guard exitCode(for: error) != .success else { exit(withError: error) }  // --help, --version
            stop(with: error, usage: fullMessage(for: error))
        }
        do {
            try command.run()
        } catch {
            // `--help` and `help` run a command that ends with a clean exit: the help, on standard output.
            guard exitCode(for: error) != .success else { exit(withError: error) }
            let type = Swift.type(of: command)
            let usage = "Usage: " + usageString(for: type) + "\n  See 'easynets \(type._commandName) --help' for more information."
            stop(with: error, usage: error is ValidationError ? usage : nil)
        }
    }

    /// Prints `error`'s message (prefixed `error:`) and, when given, the usage, and exits with its status.
    private static func stop(with error: any Error, usage: String?) -> Never {
        let code = exitCode(for: error)
        var text = message(for: error)
        if let usage {
            // `fullMessage` begins with "Error: " and the message, which the lowercase prefix replaces.
            let rest = usage.hasPrefix("Error: " + text) ? String(usage.dropFirst(("Error: " + text).count)) : usage
            let trimmed = rest.trimmingCharacters(in: .newlines)
            if !trimmed.isEmpty { text += "\n" + trimmed }
        }
        if !text.isEmpty { printError("error: " + text) }
        Foundation.exit(code.rawValue)
    }

    /// For a first argument that is no command (`easynets trian`): the commands, with the nearest
    /// one suggested.
    static func unknownCommandMessage(_ arguments: [String]) -> String? {
        guard let first = arguments.first, !first.hasPrefix("-") else { return nil }
        let names = configuration.subcommands.map { $0._commandName }
        guard !names.contains(first) && first != "help" else { return nil }
        let nearest = names.map { ($0, editDistance($0, first)) }.min { $0.1 < $1.1 }
        let suggestion = nearest.flatMap { $0.1 <= 2 ? " Did you mean '\($0.0)'?" : nil } ?? ""
        return "unknown command '\(first)'.\(suggestion) The commands: \(names.joined(separator: ", ")); see 'easynets --help'."
    }
}

/// The Levenshtein distance between `a` and `b`: the fewest insertions, deletions and
/// substitutions of characters that turn one into the other.
func editDistance(_ a: String, _ b: String) -> Int {
    let (a, b) = (Array(a), Array(b))
    var previous = Array(0...b.count)
    for i in 1...max(a.count, 1) where !a.isEmpty {
        var current = [i] + [Int](repeating: 0, count: b.count)
        for j in stride(from: 1, through: b.count, by: 1) {
            current[j] = Swift.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}
