import Foundation
import Testing
@testable import EasyNets

/// The architecture of the interchange fixtures: Linear(4, 8), ReLU, BatchNorm1d(8), Linear(8, 3).
func interchangeModel(seed: UInt64) -> Sequential<Float> {
    var generator = RandomGenerator(seed: seed)
    return Sequential<Float> {
        Linear(4, 8, using: &generator)
        ReLU()
        BatchNorm1d(8)
        Linear(8, 3, using: &generator)
    }
}

struct InterchangeFixture: Decodable {
    var input: [[Float]]
    var output: [[Float]]
    var dtypes: [String: String]
}

@Suite struct CheckpointTests {
    @Test func loadsAStateDictSavedByPyTorch() throws {
        let model = interchangeModel(seed: 99)
        try model.loadState(fromFile: fixturePath("torch_model.safetensors"))
        let f = try loadFixture("torch_model.json", as: InterchangeFixture.self)
        #expect(f.dtypes["2.num_batches_tracked"] == "torch.int64")
        #expect(model.namedBuffers.first { $0.name == "2.num_batches_tracked" }!.parameter.value.scalar == 3)
        model.eval()
        expectClose(model(Tensor(f.input)), Tensor(f.output), tolerance: 1e-6)
    }

    /// With EASYNETS_FIXTURE_DIR set (scripts/fixtures/make_checkpoint_fixture.sh), writes the file
    /// PyTorch then loads; always checks that the committed file is exactly what EasyNets writes.
    @Test func writesInterchangeFixture() throws {
        let model = interchangeModel(seed: 5)
        model.train()
        var generator = RandomGenerator(seed: 6)
        for _ in 0..<2 { _ = withoutGradients { model(Tensor.normal([16, 4], using: &generator)) } }
        // What saveState writes (the state and the model's description), as the committed file holds it.
        let written = try temporaryDirectory() + "/easynets_model.safetensors"
        try model.saveState(toFile: written)
        let bytes = try #require(FileManager.default.contents(atPath: written)).map { $0 }
        if let directory = ProcessInfo.processInfo.environment["EASYNETS_FIXTURE_DIR"] {
            try model.saveState(toFile: directory + "/easynets_model.safetensors")
        }
        let committed = try #require(FileManager.default.contents(atPath: fixturePath("easynets_model.safetensors")))
        #expect([UInt8](committed) == bytes)
    }

    @Test func pyTorchLoadsWhatEasyNetsWrites() throws {
        // easynets_model_torch_outputs.json holds PyTorch's outputs after load_state_dict(strict=True)
        // of easynets_model.safetensors; our own outputs on the same file must agree.
        let f = try loadFixture("easynets_model_torch_outputs.json", as: InterchangeFixture.self)
        #expect(f.dtypes["0.weight"] == "torch.float32" && f.dtypes["2.num_batches_tracked"] == "torch.int64")
        let model = interchangeModel(seed: 1)
        try model.loadState(fromFile: fixturePath("easynets_model.safetensors"))
        model.eval()
        expectClose(model(Tensor(f.input)), Tensor(f.output), tolerance: 1e-6)
    }

    @Test func saveThenLoadGivesIdenticalOutputs() throws {
        let directory = try temporaryDirectory()
        for seed: UInt64 in [1, 2] {
            let a = interchangeModel(seed: seed), b = interchangeModel(seed: seed + 10)
            _ = a(Tensor.ones([4, 4]) * Float(seed))  // move the running statistics
            try a.saveState(toFile: directory + "/model.safetensors")
            try b.loadState(fromFile: directory + "/model.safetensors")
            a.eval(); b.eval()
            let x = randomTensor([6, 4], seed: seed) as Tensor<Float>
            #expect(a(x).scalars == b(x).scalars)
        }
        let double = Sequential<Double> { Linear(3, 2) }
        try double.saveState(toFile: directory + "/double.safetensors")
        let file = try SafeTensorsFile(contentsOfFile: directory + "/double.safetensors")
        #expect(file.entries["0.weight"]?.dtype == .float64)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).sorted() == ["double.safetensors", "model.safetensors"])
    }

    @Test func strictLoadingReportsEveryMismatchAndChangesNothing() throws {
        let directory = try temporaryDirectory()
        let saved = Sequential<Float> { Linear(4, 8); ReLU(); Linear(8, 2); Linear(2, 2) }
        try saved.saveState(toFile: directory + "/m.safetensors")
        let target = Sequential<Float> { Linear(4, 8); ReLU(); Linear(8, 3); Dropout(); Linear(3, 3, bias: false) }
        let before = target.namedParameters.map(\.parameter.value.scalars)
        do {
            try target.loadState(fromFile: directory + "/m.safetensors")
            Issue.record("strict load of a mismatched file did not throw")
        } catch let error as CheckpointError {
            #expect(error.reason.contains("missing keys: 4.weight"))
            #expect(error.reason.contains("unexpected keys: 3.bias, 3.weight"))
            #expect(error.reason.contains("2.weight (model [3, 8], file [2, 8])"))
            #expect(error.reason.contains("2.bias (model [3], file [2])"))
            #expect(error.path.hasSuffix("m.safetensors"))
        }
        #expect(target.namedParameters.map(\.parameter.value.scalars) == before)
        let mismatch = try target.loadState(fromFile: directory + "/m.safetensors", strict: false)
        #expect(mismatch.missing == ["4.weight"] && mismatch.unexpected == ["3.bias", "3.weight"])
        #expect(target.namedParameters[0].parameter.value.scalars == saved.namedParameters[0].parameter.value.scalars)
    }

    // MARK: Corrupt files

    func expectCorrupt(_ bytes: [UInt8], _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try SafeTensorsFile(bytes: bytes, path: "bad.safetensors")
            Issue.record("parsed a corrupt file", sourceLocation: sourceLocation)
        } catch let error as CheckpointError {
            #expect(error.reason.contains(fragment), "\(error)", sourceLocation: sourceLocation)
            #expect(error.path == "bad.safetensors", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
    }

    func file(header: String, data: [UInt8]) -> [UInt8] {
        let json = Array(header.utf8)
        var bytes: [UInt8] = []
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { bytes += $0 }
        return bytes + json + data
    }

    @Test func corruptFilesAreClearErrors() throws {
        let good = try SafeTensorsFile(entries: Sequential<Float> { Linear(2, 2) }.stateEntries()).serialized()
        #expect(try SafeTensorsFile(bytes: good).entries.count == 2)
        for cut in [0, 5] { expectCorrupt(Array(good.prefix(cut)), "shorter than the 8-byte header length") }
        for cut in [8, 20] { expectCorrupt(Array(good.prefix(cut)), "exceeds") }
        expectCorrupt(Array(good.dropLast()), "lie outside")
        var huge = good
        huge[7] = 0x10  // header length ~2^60
        expectCorrupt(huge, "exceeds")
        // A JSON file given as a checkpoint is named as text, not as a header length of 10^18.
        expectCorrupt(Array("{\"layers\": [1, 2, 3]}\n".utf8), "not a safetensors file: it begins with text (\"{\\\"layers\")")
        expectCorrupt(file(header: "{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]", data: []), "not a valid safetensors JSON header")
        expectCorrupt(file(header: "[1, 2]", data: []), "not a valid safetensors JSON header")
        expectCorrupt(file(header: "{\"a\": {\"dtype\": \"Q7\", \"shape\": [2], \"data_offsets\": [0, 8]}}", data: Array(repeating: 0, count: 8)),
                      "unknown dtype \"Q7\"")
        expectCorrupt(file(header: "{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 80]}}", data: Array(repeating: 0, count: 8)),
                      "lie outside the 8 data bytes")
        expectCorrupt(file(header: "{\"a\": {\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [0, 8]}}", data: Array(repeating: 0, count: 8)),
                      "do not hold shape [3] of F32")
        expectCorrupt(file(header: "{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}, \"b\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4, 8]}}",
                           data: Array(repeating: 0, count: 8)), "overlap")
        expectCorrupt(file(header: "{\"a\": {\"dtype\": \"F32\", \"shape\": [-2], \"data_offsets\": [0, 8]}}", data: Array(repeating: 0, count: 8)),
                      "negative extent")
        expectCorrupt(file(header: "{\"a\": {\"dtype\": \"F32\", \"shape\": [2.5], \"data_offsets\": [0, 8]}}", data: Array(repeating: 0, count: 8)),
                      "not a valid safetensors JSON header")
        // A missing file is an error too, naming it.
        #expect(throws: CheckpointError.self) { try SafeTensorsFile(contentsOfFile: "/nonexistent/x.safetensors") }
    }

    @Test func truncatedFileOnDiskLeavesModelUntouched() throws {
        let directory = try temporaryDirectory()
        let model = Sequential<Float> { Linear(3, 3) }
        try model.saveState(toFile: directory + "/m.safetensors")
        let bytes = try #require(FileManager.default.contents(atPath: directory + "/m.safetensors"))
        try Data(bytes.prefix(bytes.count - 5)).write(to: URL(fileURLWithPath: directory + "/cut.safetensors"))
        let other = Sequential<Float> { Linear(3, 3) }
        let before = other.namedParameters.map(\.parameter.value.scalars)
        #expect(throws: CheckpointError.self) { try other.loadState(fromFile: directory + "/cut.safetensors") }
        #expect(other.namedParameters.map(\.parameter.value.scalars) == before)
    }

    @Test func failedSaveLeavesThePreviousFileIntact() throws {
        let directory = try temporaryDirectory()
        let path = directory + "/m.safetensors"
        let first = Sequential<Float> { Linear(3, 3) }
        try first.saveState(toFile: path)
        let original = try #require(FileManager.default.contents(atPath: path))
        // Block the temporary file's name with a folder so the write fails midway.
        try FileManager.default.createDirectory(atPath: "\(path).tmp-\(getpid())", withIntermediateDirectories: false)
        #expect(throws: CheckpointError.self) { try Sequential<Float> { Linear(3, 3) }.saveState(toFile: path) }
        #expect(FileManager.default.contents(atPath: path) == original)
        let reloaded = Sequential<Float> { Linear(3, 3) }
        try reloaded.loadState(fromFile: path)
        #expect(reloaded.namedParameters.map(\.parameter.value.scalars) == first.namedParameters.map(\.parameter.value.scalars))
    }
}
