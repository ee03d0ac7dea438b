// swift-tools-version:6.0
// A package outside EasyNets that depends on it by path, as a user's package would by URL.
import PackageDescription

let package = Package(
    name: "Consumer",
    dependencies: [
        .package(name: "EasyNets", path: "../.."),
    ],
    targets: [
        .executableTarget(
            name: "consumer",
            dependencies: [.product(name: "EasyNets", package: "EasyNets")],
            path: "Sources/Consumer"
        ),
    ]
)
