import Foundation
import Testing
@testable import EasyNets

/// The repository's root folder: the nearest folder above this file that holds Package.swift, so
/// test files find it from any folder depth.
let repositoryRoot: URL = {
    var folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    while !FileManager.default.fileExists(atPath: folder.appendingPathComponent("Package.swift").path) {
        guard folder.path != "/" else { fatalError("no Package.swift above \(#filePath)") }
        folder.deleteLastPathComponent()
    }
    return folder
}()

/// The path of a committed fixture under Tests/Fixtures.
func fixturePath(_ name: String) -> String {
    repositoryRoot.appendingPathComponent("Tests/Fixtures").appendingPathComponent(name).path
}

/// Decodes a JSON fixture.
func loadFixture<T: Decodable>(_ name: String, as type: T.Type) throws -> T {
    let path = fixturePath(name)
    let data = try #require(FileManager.default.contents(atPath: path), "fixture \(path) is missing")
    let decoder = JSONDecoder()
    // Fixture generators write ±∞ (attention masks) as the strings Python's json module reads back.
    decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity",
                                                                    nan: "NaN")
    return try decoder.decode(T.self, from: data)
}

/// A fresh empty folder for files a test writes.
func temporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "easynets-tests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// A Double tensor in a fixture: its shape and its values in row-major order.
struct EncodedTensor: Decodable {
    let shape: [Int]
    let values: [Double]
    var tensor: Tensor<Double> { Tensor(values, shape: shape) }
    /// The tensor as a leaf that collects a gradient.
    var leaf: Tensor<Double> {
        var leaf = tensor
        leaf.requiresGradient = true
        return leaf
    }
}
