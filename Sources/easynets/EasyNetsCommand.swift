import ArgumentParser
import EasyNets

/// The `easynets` tool: one subcommand per file in Commands/, flags shared among them in Options/.
@main
struct EasyNetsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "easynets",
        abstract: "EasyNets: neural networks in Swift on OpenBLAS.",
        version: EasyNetsVersion.current,
        subcommands: [Train.self, Evaluate.self, Predict.self, Generate.self, Summarize.self, Plot.self, Info.self, Explain.self, Bench.self]
    )
}
