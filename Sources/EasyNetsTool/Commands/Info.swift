import ArgumentParser
import EasyNets

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
