import ArgumentParser
import EasyNets
import EasyNetsBenchmarks

/// `easynets bench`: the benchmark suite (EasyNetsBenchmarks) run as the flags say.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure EasyNets against raw BLAS calls (build with -c release).")

    @Option(help: "Which benchmark: \(BenchmarkSuite.Workload.allCases.map(\.rawValue).joined(separator: ", ")).")
    var config: BenchmarkSuite.Workload = .all

    @Option(parsing: .unconditional, help: "Threads for BLAS and for EasyNets' own elementwise kernels.")
    var threads: Int = 1

    @Option(parsing: .unconditional, help: "Timed repetitions per measurement (the median is reported).")
    var repetitions: Int = 15

    @Option(help: ArgumentHelp("The training steps' optimizer: \(OptimizerKind.allCases.map(\.rawValue).joined(separator: ", ")) "
                               + "(sgd: momentum 0.9; by default adam for --config transformer, sgd for the others)."))
    var optimizer: OptimizerKind?

    @Flag(help: "Print one JSON object per training-step configuration.")
    var json = false

    @Flag(help: "Also time the phases of each training step (forward and loss, backward, optimizer update; not with --json).")
    var breakdown = false

    @Option(help: "Folder with the Fashion-MNIST IDX files (for --config epoch).")
    var dataDir: String = FashionMNIST.defaultDirectory

    func validate() throws {
        guard (1...1024).contains(threads) else { throw ValidationError("--threads must be in 1...1024") }
        guard (3...100_000).contains(repetitions) else { throw ValidationError("--repetitions must be in 3...100000") }
    }

    func run() {
        BenchmarkSuite(workload: config, threads: threads, repetitions: repetitions, optimizer: optimizer, json: json,
                       breakdown: breakdown, dataDirectory: dataDir).run()
    }
}
