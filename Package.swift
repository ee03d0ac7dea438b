// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "EasyNets",
    products: [
        // MARK: Public products
        .library(name: "EasyNets", targets: ["EasyNets"]),
        // Data-parallel training on Open MPI; only packages that use it need MPI installed.
        .library(name: "EasyNetsDistributed", targets: ["EasyNetsDistributed"]),
        // Models in and out as ONNX; training runs as TensorBoard event files (both through swift-protobuf).
        .library(name: "EasyNetsONNX", targets: ["EasyNetsONNX"]),
        .library(name: "EasyNetsTensorBoard", targets: ["EasyNetsTensorBoard"]),
        // The tool; `easynets-mpi` is the same tool with data-parallel training under `mpirun`
        // (it needs Open MPI; `easynets` does not).
        .executable(name: "easynets", targets: ["easynets"]),
        .executable(name: "easynets-mpi", targets: ["easynets-mpi"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // ONNX and TensorBoard's messages; the generated code is committed (scripts/protos/generate.sh).
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        // `swift package generate-documentation` (scripts/docs.sh); builds nothing into the library.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // MARK: System libraries (flags from pkg-config; no absolute paths, no unsafeFlags)
        .systemLibrary(
            name: "CBLAS",
            path: "Modules/CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            path: "Modules/CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .systemLibrary(
            name: "CLAPACKE",
            path: "Modules/CLAPACKE",
            pkgConfig: "lapacke",
            providers: [.apt(["liblapacke-dev"])]
        ),
        .systemLibrary(
            name: "CMPI",
            path: "Modules/CMPI",
            pkgConfig: "ompi-c",
            providers: [.apt(["libopenmpi-dev"])]
        ),
        // libFuzzer's driver (declaration only; linked by -sanitize=fuzzer in scripts/fuzz.sh).
        .systemLibrary(name: "CLibFuzzer", path: "Modules/CLibFuzzer"),

        // MARK: Library and tool
        // The C kernels (optimizer updates, ReLU, max pooling, batch normalization, the LSTM cell),
        // compiled for several vector widths (no flags needed); bound per scalar type in EasyNets/Kernels.
        .target(name: "CEasyNetsKernels"),
        .target(
            name: "EasyNets",
            dependencies: [
                "CBLAS", "CLAPACKE", "CZlib", "CEasyNetsKernels",
                .product(name: "RealModule", package: "swift-numerics"),
            ]
        ),
        .target(name: "EasyNetsDistributed", dependencies: ["EasyNets", "CMPI"]),
        .target(name: "EasyNetsONNX", dependencies: ["EasyNets", .product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        .target(name: "EasyNetsTensorBoard", dependencies: ["EasyNets", .product(name: "SwiftProtobuf", package: "swift-protobuf")]),
        // The tool's commands (flags, parsing, messages); its two executables only start them.
        .target(
            name: "EasyNetsTool",
            dependencies: [
                "EasyNets",
                "EasyNetsONNX",  // `easynets export`, `easynets import`
                "EasyNetsTensorBoard",  // `easynets train --tensorboard DIR`
                "EasyNetsBenchmarks",  // `easynets bench`
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "easynets", dependencies: ["EasyNetsTool"]),
        .executableTarget(name: "easynets-mpi", dependencies: ["EasyNetsTool", "EasyNetsDistributed"]),  // `mpirun -np N easynets-mpi train …`

        // MARK: Benchmarks (`easynets bench`): EasyNets against raw BLAS calls and bare C loops,
        // both reached through the library's `_blas…` and `_kernel…` bindings
        .target(name: "EasyNetsBenchmarks", dependencies: ["EasyNets"]),

        // MARK: Fuzzing (scripts/fuzz.sh): every reader of untrusted input, driven with arbitrary bytes
        .target(name: "EasyNetsFuzzTargets", dependencies: ["EasyNets", "EasyNetsONNX"]),
        .executableTarget(name: "easynets-fuzz", dependencies: ["EasyNetsFuzzTargets", "CLibFuzzer"]),

        // MARK: Tests
        .testTarget(name: "EasyNetsTests", dependencies: ["EasyNets", "EasyNetsFuzzTargets", "EasyNetsONNX", "EasyNetsTensorBoard"]),
        // The tool's flag parsing against the library (`@testable import EasyNetsTool`).
        .testTarget(name: "EasyNetsToolTests", dependencies: ["EasyNetsTool"]),
        // Multi-process checks, run under `mpirun -np 2` by scripts/test.sh.
        // Models exported to ONNX with EasyNets' outputs, run by scripts/onnx/check.sh against ONNX Runtime.
        .executableTarget(name: "easynets-onnx-cases", dependencies: ["EasyNets", "EasyNetsONNX"], path: "Tests/ONNXChecks",
                          exclude: ["Cases"]),
        .executableTarget(name: "easynets-distributed-checks", dependencies: ["EasyNets", "EasyNetsDistributed"],
                          path: "Tests/DistributedChecks"),
        // Programmer errors stopping with their messages in a release build, run by scripts/test.sh.
        .executableTarget(name: "easynets-release-checks", dependencies: ["EasyNets"], path: "Tests/ReleaseChecks"),
    ]
)
