import ArgumentParser
import EasyNets

@main
struct EasyNetsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "easynets",
        abstract: "EasyNets: neural networks in Swift on OpenBLAS.",
        version: EasyNetsVersion.current,
        subcommands: [Train.self, Evaluate.self, Predict.self, Generate.self, Summarize.self, Plot.self, Info.self, Explain.self, Bench.self]
    )
}

/// `easynets info`: the library and BLAS configuration.
struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the EasyNets version and the BLAS library in use.")

    func run() {
        print("EasyNets \(EasyNetsVersion.current)")
        print("BLAS: OpenBLAS \(BLASRuntime.configuration)")
        print("BLAS core: \(BLASRuntime.coreName)")
        print("threads: \(Parallelism.threadCount) (processors: \(BLASRuntime.processorCount))")
        print("Update loops: \(Parallelism.vectorExtension)")
    }
}
