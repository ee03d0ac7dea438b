import ArgumentParser
import EasyNets

/// The `easynets` tool: one subcommand per file in Commands/, flags shared among them in Options/.
@main
struct EasyNetsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "easynets",
        abstract: "EasyNets: neural networks in Swift on OpenBLAS.",
        version: EasyNetsVersion.current,
        subcommands: [Train.self, Evaluate.self, Predict.self, Generate.self, Summarize.self, Export.self, Import.self, Plot.self, Info.self, Explain.self, Bench.self]
    )

    /// Runs the command the arguments name. A programmer error the tool's checks did not foresee
    /// reaches the user as a one-line message and exit status 1, not a crash report.
    static func main() {
        ProgrammerErrors.exitWithMessage()
        main(nil)
    }
}
