import EasyNets
import EasyNetsFuzzTargets
import Foundation
import Testing

// Bad input never crashes: each case feeds a malformed file, header, metadata value or
// size through the public API and expects a thrown error naming the file and what was wrong. A
// crash (trap, abort, sanitizer report) fails the test run. The fuzz corpus and every input a
// fuzzer found are replayed at the end.

/// safetensors bytes for a JSON header (given as text) and data bytes.
private func safetensors(header: String, data: [UInt8] = []) -> [UInt8] {
    var json = Array(header.utf8)
    while json.count % 8 != 0 { json.append(UInt8(ascii: " ")) }
    return withUnsafeBytes(of: UInt64(json.count).littleEndian, Array.init) + json + data
}

/// An EasyNets training checkpoint of a 2-3-2 MLP whose metadata `change` may alter.
private func checkpointBytes(_ change: (inout [String: String]) -> Void = { _ in }) throws -> [UInt8] {
    let model = try Sequential<Float>(MultilayerPerceptron.Configuration(inputSize: 2, hidden: [3], classes: 2).modelDescription)
    let path = try temporaryDirectory() + "/c.safetensors"
    try TrainingCheckpoint<Float>(step: 4, epoch: 1).save(model: model, optimizer: Adam(model.trainableParameters, learningRate: 0.1), toFile: path)
    var file = try SafeTensorsFile(contentsOfFile: path)
    change(&file.metadata)
    return try file.serialized()
}

/// What `easynets train --resume` does with a checkpoint's bytes: rebuild the model from its
/// description, then restore the run.
private func resume(_ bytes: [UInt8]) throws {
    let file = try SafeTensorsFile(bytes: bytes, path: "run.safetensors")
    guard let model = try Sequential<Float>.loadModel(from: file, path: "run.safetensors") else { throw CheckpointError(path: "", reason: "no model") }
    let optimizer = Adam(model.trainableParameters, learningRate: 0.1)
    let data = Dataset(features: Tensor<Float>.zeros([4, 2]), labels: [0, 1, 0, 1])
    let trainer = Trainer(model: model, optimizer: optimizer,
                          scheduler: LearningRateScheduler(optimizer: optimizer, schedule: CosineAnnealingSchedule(period: 3)),
                          loader: DataLoader(data, batchSize: 2))
    try trainer.resume(from: file, path: "run.safetensors")
}

@Suite("Bad input is an error, never a crash")
struct BadInputTests {
    // MARK: Sizes from headers

    @Test func pgmWithHugeHeightIsAnErrorNotAHeapOverflow() {
        // Issue 9's heap-buffer overflow: width × height overflowed and the pixel loop ran off the end.
        let bytes = Array("P5\n1 9223372036854775807\n255\n".utf8) + [1, 2, 3]
        expectError(DataError.self, "image.pgm", "offset", "truncated") { _ = try PGMImage(bytes: bytes, path: "image.pgm") }
        let wide = Array("P5 4294967296 4294967296 255\n".utf8) + [0]
        expectError(DataError.self, "overflows") { _ = try PGMImage(bytes: wide, path: "image.pgm") }
    }

    @Test func pgmPixelCountBeyondTheFileIsTruncation() {
        expectError(DataError.self, "truncated") { _ = try PGMImage(bytes: Array("P5 1000 1000 255\n".utf8) + [7], path: "a.pgm") }
        expectError(DataError.self, "truncated") { _ = try PGMImage(bytes: Array("P2 100000 100000 255\n1 2 3".utf8), path: "a.pgm") }
        expectError(DataError.self, "whitespace") { _ = try PGMImage(bytes: Array("P5 1 1 255".utf8), path: "a.pgm") }
        // Found by the pgm fuzzer (Tests/Fuzz/Regressions/pgm/truncation-message-overflow): the
        // truncation message computed pixels × 2 bytes, which overflowed.
        expectError(DataError.self, "69999×88888899835480 pixels need at least 2 bytes each") {
            _ = try PGMImage(bytes: Array("P2 69999 88888899835480 3\n1 30\n".utf8), path: "a.pgm")
        }
    }

    @Test func safetensorsSizeThatWrapsToZeroIsRejected() {
        // 2^62 elements of 4 bytes wrap around to 0 bytes: this passed validation and the restore
        // wrote through a wild pointer.
        let wrapped = safetensors(header: #"{"w":{"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,0]}}"#)
        expectError(CheckpointError.self, "model.safetensors", "\"w\"", "2^63") {
            let file = try SafeTensorsFile(bytes: wrapped, path: "model.safetensors")
            try Sequential<Float> { Linear(2, 2) }.loadState(from: file, strict: false)
        }
        let twoAxes = safetensors(header: #"{"w":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,0]}}"#)
        expectError(CheckpointError.self, "\"w\"") { _ = try SafeTensorsFile(bytes: twoAxes) }
        let zeroTimesHuge = safetensors(header: #"{"w":{"dtype":"F32","shape":[0,9223372036854775807,4],"data_offsets":[0,0]}}"#)
        expectError(CheckpointError.self, "overflows") { _ = try SafeTensorsFile(bytes: zeroTimesHuge) }
    }

    @Test func anEmptyTensorAtAnotherTensorsOffsetIsNoOverlap() throws {
        // Python's safetensors gives an empty tensor the offsets [n, n] where the next tensor starts;
        // the overlap check once rejected such files, depending on the sort order of equal starts.
        for order in [#""a":{"dtype":"F32","shape":[0,3],"data_offsets":[0,0]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}"#,
                      #""b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[0,3],"data_offsets":[0,0]}"#] {
            let file = try SafeTensorsFile(bytes: safetensors(header: "{\(order)}", data: [0, 0, 128, 63]))
            #expect(file.entries["a"]?.shape == [0, 3] && file.entries["b"]?.tensor(as: Float.self).scalars == [1])
        }
    }

    @Test func idxDimensionsThatOverflowOrAskForTerabytes() {
        let overflowing: [UInt8] = [0, 0, 0x0E, 4] + [UInt8](repeating: 0xFF, count: 16)
        expectError(DataError.self, "x.idx", "offset 4", "overflows") { _ = try IDXFile(bytes: overflowing, path: "x.idx") }
        let terabytes: [UInt8] = [0, 0, 0x08, 3, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0]  // 65536³ bytes
        expectError(DataError.self, "offset 4", "InputLimits.maximumBytes") { _ = try IDXFile(bytes: terabytes, path: "x.idx") }
    }

    @Test func npyShapeThatOverflowsOrAsksForTerabytes() {
        func npy(_ shape: String) -> [UInt8] {
            var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shape), }"
            while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
            header += "\n"
            return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count), 0] + Array(header.utf8)
        }
        expectError(DataError.self, "a.npy", "overflows") { _ = try NPYArray(bytes: npy("(9223372036854775807, 3)"), path: "a.npy") }
        expectError(DataError.self, "InputLimits.maximumBytes") { _ = try NPYArray(bytes: npy("(1000000, 1000000)"), path: "a.npy") }
        expectError(DataError.self, "not a tuple of non-negative integers") { _ = try NPYArray(bytes: npy("(99999999999999999999,)"), path: "a.npy") }
    }

    // MARK: Labels and feature values

    @Test func idxFloatLabelsMustBeFiniteWholeNumbers() {
        func floats(_ values: [Double]) -> [UInt8] {
            [0, 0, 0x0E, 1, 0, 0, 0, UInt8(values.count)] + values.flatMap { withUnsafeBytes(of: $0.bitPattern.bigEndian, Array.init) }
        }
        expectError(DataError.self, "labels.idx", "offset 16", "finite") { _ = try IDXFile(bytes: floats([1, .nan]), path: "labels.idx") }
        expectError(DataError.self, "offset 8", "finite") { _ = try IDXFile(bytes: floats([-.infinity]), path: "labels.idx") }
        expectError(DataError.self, "offset 16", "not a whole number") { _ = try IDXFile(bytes: floats([2, 1e300]), path: "labels.idx").integers() }
        expectError(DataError.self, "offset 8", "not a whole number") { _ = try IDXFile(bytes: floats([0.5]), path: "labels.idx").integers() }
    }

    @Test func fashionMNISTLabelsOutsideTheTenClasses() throws {
        let folder = try temporaryDirectory()
        let images = IDXFile.unsignedBytes(shape: [2, 28, 28], values: [UInt8](repeating: 0, count: 2 * 784))
        try Data(images).write(to: URL(fileURLWithPath: folder + "/t10k-images-idx3-ubyte"))
        try Data(IDXFile.unsignedBytes(shape: [2], values: [3, 200])).write(to: URL(fileURLWithPath: folder + "/t10k-labels-idx1-ubyte"))
        expectError(DataError.self, "t10k-labels-idx1-ubyte", "label 1", "200 is outside 0–9") {
            _ = try FashionMNIST.load(.test, directory: folder, as: Float.self)
        }
    }

    @Test func csvLabelsBeyondTheClassesAndNonFiniteFeatures() {
        func parse(_ text: String, classes: Int? = nil) throws {
            _ = try CSVReader.parse(Array(text.utf8), path: "d.csv", labelColumn: .name("label"), classCount: classes, as: Float.self)
        }
        expectError(DataError.self, "d.csv", "line 3, column 2", "label 1000000000000000000 is outside the 10 classes") {
            try parse("x,label\n1,2\n3,1e18\n", classes: 10)
        }
        expectError(DataError.self, "line 2, column 2", "not a whole number") { try parse("x,label\n1,1e400\n") }
        expectError(DataError.self, "line 2, column 2", "not a whole number") { try parse("x,label\n1,nan\n") }
        expectError(DataError.self, "line 3, column 1", "\"nan\" is not a finite number") { try parse("x,label\n1,0\nnan,1\n") }
        expectError(DataError.self, "line 2, column 1", "\"-inf\" is not a finite number") { try parse("x,label\n-inf,0\n") }
        // Finite in Double, infinite in Float.
        expectError(DataError.self, "line 2, column 1", "\"1e39\" is not a finite number") { try parse("x,label\n1e39,0\n") }
    }

    // MARK: Checkpoint metadata

    @Test func checkpointMetadataIsValidated() throws {
        try resume(try checkpointBytes())  // the unchanged file loads
        func mlp(_ hidden: String, classes: String = "2", dropout: String = "0") -> String {
            #"{"sequential":{"layers":[{"linear":{"bias":true,"inputSize":2,"outputSize":\#(hidden)}},{"relu":{}},"#
                + #"{"dropout":{"probability":\#(dropout)}},{"linear":{"bias":true,"inputSize":\#(hidden),"outputSize":\#(classes)}}]}}"#
        }
        let cases: [(String, String, String)] = [
            ("epoch", "-9223372036854775808", "\"epoch\" is \"-9223372036854775808\", not a whole number in 0...2^53"),
            ("step", "9223372036854775807", "\"step\""),
            ("epoch", "9223372036854775807", "\"epoch\""),
            ("scheduler_step", "9223372036854775807", "\"scheduler_step\""),
            ("generator.shuffle", "0,0,0,0", "all-zero generator state"),
            ("extra.trainer.batch_size", "64", "batch size 64; this one has 2"),
            ("step", "-1", "\"step\""),
            ("scheduler_step", "-5", "\"scheduler_step\""),
            ("batches_in_epoch", "3", "stopped after batch 3 of an epoch; this data has 2 batches"),
            ("learning_rate", "nan", "\"learning_rate\""),
            ("extra.trainer.epoch_totals", "1,1000,1000,1", "\"extra.trainer.epoch_totals\""),
            ("extra.trainer.epoch_totals", "1,1,1", "\"extra.trainer.epoch_totals\""),
            ("extra.trainer.epoch_totals", "1,1,1,nan", "\"extra.trainer.epoch_totals\""),
            ("extra.trainer.epoch_totals", "1,1,1,2", "\"extra.trainer.epoch_totals\""),
            ("extra.trainer.accumulation_steps", "2", "accumulation steps 2; this one has 1"),
            ("model", mlp("3", classes: "-2"), "Linear sizes must be at least 1"),
            ("model", mlp("3", dropout: "1.5"), "dropout probability 1.5"),
            ("model", mlp("1099511627776"), "InputLimits.maximumBytes"),
            ("model", mlp("4611686018427387904"), "InputLimits.maximumBytes"),
            ("model", mlp("4"), "shape mismatches"),
            ("model", #"{"sequential":{"layers":[{"swish":{}}]}}"#, "unknown layer kind \"swish\""),
            ("model", "[", "not JSON"),
            ("generator.shuffle", "1,2", "four 64-bit words"),
            ("generator.shuffle", "1,2,,3", "four 64-bit words"),
        ]
        for (key, value, fragment) in cases {
            let bytes = try checkpointBytes { $0[key] = value }
            do {
                try resume(bytes)
                Issue.record("no error for metadata \(key) = \(value)")
            } catch let error as CheckpointError {
                #expect(error.path == "run.safetensors" && error.description.contains(fragment), "\(error)")
            } catch let error as ModelDescriptionError {
                #expect(error.layer == "run.safetensors" && error.description.contains(fragment), "\(error)")
            }
        }
        // Checkpoints of earlier versions describe an MLP under "extra.model".
        let legacy = try checkpointBytes {
            $0["model"] = nil
            $0["extra.model"] = #"{"inputSize":2,"hidden":[3],"classes":2,"activation":"relu","dropout":0}"#
        }
        try resume(legacy)
        let badLegacy = try checkpointBytes {
            $0["model"] = nil
            $0["extra.model"] = #"{"inputSize":2,"hidden":[3],"classes":-2,"activation":"relu","dropout":0}"#
        }
        expectError(CheckpointError.self, "run.safetensors", "sizes must be at least 1") { try resume(badLegacy) }
    }

    @Test func optimizerStepCountsMustBeWholeNumbers() throws {
        let configuration = MultilayerPerceptron.Configuration(inputSize: 2, hidden: [3], classes: 2)
        let model = try Sequential<Float>(configuration.modelDescription)
        let optimizer = Adam(model.trainableParameters, learningRate: 0.1)
        for step in [Float.nan, -3, 1e30, 0.5] {
            var file = SafeTensorsFile(entries: model.stateEntries(prefix: "model."), metadata: ["format": "easynets-training-checkpoint", "step": "1", "epoch": "1"])
            file.entries["optimizer.0.step"] = SafeTensorsEntry(Tensor<Float>(step), as: .float32)
            expectError(CheckpointError.self, "\"0.step\" is not one whole number") {
                _ = try TrainingCheckpoint<Float>.load(model: model, optimizer: optimizer, from: file)
            }
        }
    }

    // MARK: Limits and sizes from flags

    @Test func decompressionAndFileSizeStayWithinTheLimit() async {
        // A lowered limit is global state, so this runs in a child process.
        await #expect(processExitsWith: .success) {
            InputLimits.maximumBytes = 1 << 20
            let zeros = [UInt8](repeating: 0, count: 4 << 20)
            let path = NSTemporaryDirectory() + "easynets-limit-\(getpid())"
            defer { unlink(path) }
            guard FileManager.default.createFile(atPath: path, contents: Data(zeros)) else { exit(2) }
            do { _ = try IDXFile(contentsOfFile: path); exit(3) } catch let error as DataError {
                guard error.description.contains("more than the limit of 1048576 bytes") else { exit(4) }
            } catch { exit(5) }
            let bomb = Data(zeros).gzipForTest()
            do { _ = try Gzip.decompress(bomb, path: "bomb.gz"); exit(6) } catch let error as DataError {
                guard error.description.contains("bomb.gz"), error.description.contains("decompresses to more than the limit") else { exit(7) }
            } catch { exit(8) }
        }
    }

    @Test func modelSizesFromFlagsAreChecked() {
        #expect(MultilayerPerceptron.Configuration(inputSize: 784, hidden: [100_000_000_000], classes: 10).problem()?
            .contains("InputLimits.maximumBytes") == true)
        #expect(MultilayerPerceptron.Configuration(inputSize: 784, hidden: [Int.max, Int.max], classes: 10).problem()?
            .contains("more than 2^63") == true)
        #expect(MultilayerPerceptron.Configuration(inputSize: 784, hidden: [256, 128], classes: 10).problem() == nil)
    }

    @Test func batchSizeNearIntMaxMakesOneBatch() {
        let data = Dataset(features: Tensor<Float>.zeros([5, 2]), labels: [0, 1, 0, 1, 0])
        for dropLast in [false, true] {
            var loader = DataLoader(data, batchSize: Int.max, shuffle: true, dropLast: dropLast, seed: 1)
            #expect(loader.batchCount == (dropLast ? 0 : 1))
            #expect(loader.epoch().map(\.count) == (dropLast ? [] : [5]))
        }
        var loader = DataLoader(data, batchSize: 2, shuffle: false)
        #expect(loader.epoch().map(\.indices) == [[0, 1], [2, 3], [4]])
    }

    // MARK: Divergence and metrics

    @Test func divergenceGuardNamesTheEpochAndStep() {
        expectError(TrainingError.self, "epoch 3, step 17", "it diverged: the loss is nan") { try DivergenceGuard<Double>().check(loss: .nan, epoch: 3, step: 17) }
        expectError(TrainingError.self, "the loss is inf") { try DivergenceGuard<Double>().check(loss: .infinity, epoch: 1, step: 1) }
        let model = Sequential<Double> { Linear(2, 2); ReLU(); Linear(2, 1) }
        #expect(throws: Never.self) { try DivergenceGuard<Double>().check(parameters: model.namedParameters, epoch: 1, step: 1) }
        var weight = model.namedParameters[2].parameter.value
        weight = weight * .infinity
        model.namedParameters[2].parameter.value = weight
        expectError(TrainingError.self, "parameter \"2.weight\"") { try DivergenceGuard<Double>().check(parameters: model.namedParameters, epoch: 2, step: 9) }
    }

    @Test func sgdWithAHugeLearningRateStopsAtTheFirstNonFiniteLoss() {
        var generator = RandomGenerator(seed: 3)
        let model = Sequential<Float> { Linear(4, 8, using: &generator); ReLU(); Linear(8, 3, using: &generator) }
        let optimizer = SGD(model.trainableParameters, learningRate: 1e30)
        let x = Tensor<Float>.normal([16, 4], using: &generator), labels = (0..<16).map { $0 % 3 }
        var stopped: TrainingError?
        for step in 1...20 {
            optimizer.zeroGradients()
            let loss = crossEntropy(logits: model(x), labels: labels)
            do { try DivergenceGuard<Float>().check(loss: Double(loss.scalar), epoch: 1, step: step) } catch let error as TrainingError {
                stopped = error
                break
            } catch {}
            loss.backward()
            optimizer.step()
        }
        #expect(stopped != nil && stopped!.step > 1, "\(String(describing: stopped))")
    }

    @Test func metricsWithAbsurdValuesAreRejected() {
        let good = EpochMetrics(epoch: 1, values: ["train_loss": 0.5, "train_accuracy": 0.8, "validation_loss": 0.6, "validation_accuracy": 0.7],
                                seconds: 1, samplesPerSecond: 100, learningRate: 0.01)
        #expect(good.problem == nil)
        var nan = good
        nan.values["train_loss"] = .nan
        #expect(throws: EncodingError.self) { _ = try nan.jsonLine() }
        let lines = [
            (#"{"epoch":9223372036854775807,"learning_rate":0.1,"samples_per_second":1,"seconds":1,"test_accuracy":0.5,"test_loss":1,"train_accuracy":0.5,"train_loss":1}"#, "epoch 9223372036854775807"),
            (#"{"epoch":1,"learning_rate":0.1,"samples_per_second":1,"seconds":1,"test_accuracy":0.5,"test_loss":1e308,"train_accuracy":0.5,"train_loss":1}"#, "test_loss"),
            (#"{"epoch":1,"learning_rate":0.1,"samples_per_second":1,"seconds":-1,"test_accuracy":0.5,"test_loss":1,"train_accuracy":0.5,"train_loss":1}"#, "seconds -1"),
            (#"{"epoch":1,"learning_rate":0.1,"samples_per_second":1,"seconds":1,"test_accuracy":7,"test_loss":1,"train_accuracy":0.5,"train_loss":1}"#, "test_accuracy 7"),
            (#"{"epoch":1,"learning_rate":0.1,"samples_per_second":1,"seconds":1,"validation_mae":-1,"train_loss":1}"#, "validation_mae -1"),
            (#"{"epoch":1,"learning_rate":0.1,"samples_per_second":1,"seconds":1,"validation_loss":1}"#, "no train_loss"),
            (#"{"epoch":1,"learning_rate":0.1,"samples_per_second":1,"seconds":1,"train_loss":1,"Loss":2}"#, "\"Loss\" is not a value name"),
            (#"{"epoch":1,"learning_rate":0.1,"samples_per_second":1,"seconds":1,"train_loss":1,"train_mae":"x"}"#, "not an epoch metrics JSON object"),
        ]
        for (line, fragment) in lines {
            expectError(DataError.self, "m.jsonl", "line 2", fragment) {
                _ = try EpochMetrics.parse(Array((try good.jsonLine() + "\n" + line + "\n").utf8), path: "m.jsonl")
            }
        }
        var absurd = good
        absurd.epoch = Int.max
        expectError(DataError.self, "m.jsonl", "record 2") { _ = try CurvesPlot.svg([CurvesPlot.Run(name: "m.jsonl", epochs: [good, absurd])]) }
    }

    @Test func plotOfHugeButFiniteValuesLabelsItsAxes() throws {
        // Found by the metrics fuzzer (Tests/Fuzz/Regressions/metrics/huge-loss-axis-label): an axis
        // tick of 2.2e74 trapped converting its label to Int.
        var epochs = (1...2).map {
            EpochMetrics(epoch: $0, values: ["train_loss": 0.7, "train_accuracy": 0.4, "validation_loss": 0.7, "validation_accuracy": 0.4],
                         seconds: 1, samplesPerSecond: 100, learningRate: 0.001)
        }
        epochs[1].values["validation_loss"] = 2.2222222222222223e+74
        let svg = try CurvesPlot.svg([CurvesPlot.Run(name: "run", epochs: epochs)])
        #expect(svg.contains("e+74"), "no tick label near the largest loss")
        #expect(!svg.contains("nan") && !svg.contains("inf"))
    }

    // MARK: Outputs

    @Test func unwritableOutputsNameThePath() throws {
        let folder = try temporaryDirectory()
        expectError(DataError.self, folder + "/missing/run.safetensors", "does not exist") {
            try OutputFile.checkWritable(folder + "/missing/run.safetensors")
        }
        expectError(DataError.self, "is a folder") { try OutputFile.checkWritable(folder) }
        #expect(FileManager.default.createFile(atPath: folder + "/file", contents: Data()))
        expectError(DataError.self, "does not exist") { try OutputFile.checkWritable(folder + "/file/x") }
        expectError(DataError.self, "/proc/easynets.json", "cannot create files") { try OutputFile.checkWritable("/proc/easynets.json") }
        // A full disk.
        expectError(DataError.self, "/dev/full", "writing failed", "No space left") { try OutputFile.append("line\n", to: "/dev/full") }
        expectError(CheckpointError.self, folder + "/missing/m.safetensors") {
            try Sequential<Float> { Linear(2, 2) }.saveState(toFile: folder + "/missing/m.safetensors")
        }
        try OutputFile.checkWritable(folder + "/ok.json")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["file"])
    }

    @Test func aKilledWritesTemporaryFileIsRemovedByTheNextWrite() throws {
        let folder = try temporaryDirectory()
        let path = folder + "/run.safetensors"
        // A process that has exited: its pid no longer runs.
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/true")
        try child.run()
        child.waitUntilExit()
        let stale = "\(path).tmp-\(child.processIdentifier)", other = folder + "/other.safetensors.tmp-\(child.processIdentifier)"
        for file in [stale, other] { #expect(FileManager.default.createFile(atPath: file, contents: Data([1, 2, 3]))) }
        try OutputFile.write([4, 5], to: path)
        #expect(!FileManager.default.fileExists(atPath: stale))
        #expect(FileManager.default.fileExists(atPath: other), "only the same file's temporaries are removed")
        #expect(FileManager.default.contents(atPath: path) == Data([4, 5]))
    }

    // MARK: Fuzz corpus and regressions

    @Test(arguments: FuzzTarget.allCases)
    func fuzzCorpusAndRegressionsReadWithoutACrash(_ target: FuzzTarget) throws {
        let root = repositoryRoot.appendingPathComponent("Tests/Fuzz").path
        var count = 0
        for kind in ["Corpus", "Regressions"] {
            let folder = "\(root)/\(kind)/\(target.rawValue)"
            for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] {
                target.run([UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(folder)/\(name)"))))
                count += 1
            }
        }
        #expect(count >= 2, "the corpus for \(target.rawValue) is missing")
    }
}

extension Data {
    /// The bytes compressed by /bin/gzip.
    fileprivate func gzipForTest() -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = ["-c"]
        let input = Pipe(), output = Pipe()
        (process.standardInput, process.standardOutput) = (input, output)
        try? process.run()
        input.fileHandleForWriting.write(self)
        try? input.fileHandleForWriting.close()
        let result = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return [UInt8](result)
    }
}
