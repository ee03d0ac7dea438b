@_spi(Benchmark) import EasyNets
import Foundation

/// The speed checks of `easynets bench` (meaningful in a release build), each a ratio against raw
/// BLAS or a concrete loop measured in the same process and run. Results go to standard output,
/// one line (or with ``json``, one JSON object) per measurement; problems to standard error.
///
/// ```swift
/// BenchmarkSuite(workload: .small, threads: 1).run()
/// ```
public struct BenchmarkSuite: Sendable {
    /// The benchmarks, by the names `easynets bench --config` takes.
    public enum Workload: String, CaseIterable, Sendable {
        /// Training steps of the 784-256-128-10 MLP at batch 128 against the step's BLAS floor.
        case small
        /// Training steps of a 784-1024-1024-10 MLP at batch 256 against the BLAS floor.
        case large
        /// Training steps of the 784-256-128-10 MLP on one example at a time against the BLAS floor.
        case online
        /// Training steps of the `cnn` preset against the products they issue.
        case cnn
        /// Training steps of a one-layer LSTM against the products they issue.
        case lstm
        /// Training steps of the `char-transformer` preset (batch 64 × 128 characters) against the
        /// products they issue.
        case transformer
        /// A `Linear` layer forward and backward against its three BLAS calls.
        case linear
        /// An epoch of Fashion-MNIST: the bare compute, the ``Trainer`` with prefetching off and on
        /// (from memory and from a memory-mapped `.npy`), and the trainer as `easynets train` sets it up.
        case epoch
        /// Resident memory over many training steps.
        case memory
        /// Tiny products at several threads against one thread.
        case threads
        /// A 1024×1024 matrix product against `cblas_sgemm`.
        case matmul
        /// Elementwise operations against concrete loops.
        case elementwise
        /// 1000 characters sampled from the `char-transformer` preset with the key-value cache against
        /// re-running the whole window for each character.
        case generation
        /// Every benchmark but ``memory`` and ``generation`` (and ``threads`` only with more than one thread).
        case all

        /// The optimizer a run of this benchmark uses unless told otherwise: Adam for ``transformer``
        /// (as the `char-transformer` preset trains), SGD with momentum 0.9 for the others.
        public var defaultOptimizer: OptimizerKind { self == .transformer ? .adam : .sgd }
    }

    /// Which benchmark to run.
    public var workload: Workload
    /// Threads for BLAS and for EasyNets' own elementwise kernels (``Parallelism/threadCount``), 1...1024.
    public var threads: Int
    /// Timed repetitions per measurement, at least 3 (the median is reported).
    public var repetitions: Int
    /// The training steps' optimizer (SGD with momentum 0.9, the others with PyTorch's defaults), or
    /// `nil` for each configuration's own (``Workload/defaultOptimizer``).
    public var optimizer: OptimizerKind?
    /// Whether to print one JSON object per training-step configuration, and nothing else.
    public var json: Bool
    /// Whether to also time the phases of each training step (not with ``json``).
    public var breakdown: Bool
    /// The folder with the Fashion-MNIST IDX files, for ``Workload/epoch``.
    public var dataDirectory: String

    /// A benchmark run; by default every benchmark on one thread.
    public init(workload: Workload = .all, threads: Int = 1, repetitions: Int = 15, optimizer: OptimizerKind? = nil,
                json: Bool = false, breakdown: Bool = false, dataDirectory: String = FashionMNIST.defaultDirectory) {
        // Kept in release builds, as EasyNets' own checks of arguments are.
        if !(1...1024).contains(threads) { fatalError("BenchmarkSuite: threads must be in 1...1024, got \(threads)") }
        if repetitions < 3 { fatalError("BenchmarkSuite: repetitions must be at least 3, got \(repetitions)") }
        (self.workload, self.threads, self.repetitions, self.optimizer) = (workload, threads, repetitions, optimizer)
        (self.json, self.breakdown, self.dataDirectory) = (json, breakdown, dataDirectory)
    }

    /// The optimizer of `workload`'s training steps: ``optimizer``, else the workload's default.
    private func optimizerKind(for workload: Workload) -> OptimizerKind { optimizer ?? workload.defaultOptimizer }

    /// Runs the benchmark, printing its results; sets ``Parallelism/threadCount`` to ``threads``.
    public func run() {
        Parallelism.threadCount = threads
        let config = workload
        let steps: [StepWorkload] = switch config {
        case .small: [.small]
        case .large: [.large]
        case .online: [.online]
        case .all: [.small, .large, .online]
        default: []
        }
        for workload in steps {
            benchmarkStep(workload)
            if breakdown && !json { benchmarkPhases(workload) }
        }
        if config == .cnn || config == .all {
            benchmarkRecordedStep(config: "cnn", title: "conv 32 → pool → conv 64 → pool → 128 → 10", batch: 128) {
                try PooledStep.cnn(batch: 128, optimizer: optimizerKind(for: .cnn)).step
            }
        }
        if config == .lstm || config == .all {
            benchmarkRecordedStep(config: "lstm", title: "LSTM 256 → 256, one layer, sequence 128, MSE", batch: 64) {
                LSTMStep(batch: 64, length: 128, size: 256, optimizer: optimizerKind(for: .lstm)).step
            }
        }
        if config == .transformer || config == .all {
            benchmarkRecordedStep(config: "transformer", title: "char-transformer, 2 blocks of 128, 4 heads, feed-forward 512, "
                                  + "\(PooledStep.length) characters", batch: 64) {
                try PooledStep.transformer(batch: 64, optimizer: optimizerKind(for: .transformer)).step
            }
        }
        if json { return }
        if config == .memory { benchmarkMemory() }
        if config == .threads || (config == .all && threads > 1) { benchmarkThreads() }
        if config == .linear || config == .all { benchmarkLinear() }
        if config == .epoch || config == .all { benchmarkEpoch() }
        if config == .matmul || config == .all { benchmarkMatmul() }
        if config == .elementwise || config == .all { benchmarkElementwise() }
        if config == .generation { benchmarkGeneration() }
    }

    /// Median seconds of `body` over the repetitions, after one warm-up call.
    private func median(_ body: () -> Void) -> Double {
        body()
        let clock = ContinuousClock()
        var samples: [Double] = []
        for _ in 0..<repetitions {
            let elapsed = clock.measure(body)
            samples.append(elapsed.inSeconds)
        }
        samples.sort()
        return samples[samples.count / 2]
    }

    /// A full training step against its BLAS floor, sampled alternately so noise hits both alike.
    private func benchmarkStep(_ workload: StepWorkload) {
        let optimizer = optimizerKind(for: .small)
        let step = EasyNetsStep(workload, optimizer: optimizer)
        let floor = BLASFloor(workload, inputs: step.inputs.map(\.scalars))
        var stepSamples: [Double] = [], floorSamples: [Double] = []
        for _ in 0..<repetitions {
            stepSamples += timePerCall(rounds: 1, step.step)
            floorSamples += timePerCall(rounds: 1, floor.step)
        }
        let (s, f) = (Timing(samples: stepSamples), Timing(samples: floorSamples))
        // The median of per-round ratios: each round times the step and then the floor back to back,
        // so slow drifts of a shared machine cancel within a pair.
        let ratio = Timing(samples: zip(stepSamples, floorSamples).map { $0 / $1 }).median
        if json {
            let object: [String: Any] = [
                "config": workload.name, "optimizer": optimizer.rawValue, "threads": threads, "batch": workload.batch,
                "widths": workload.widths, "step_ms": s.median * 1e3, "floor_ms": f.median * 1e3, "ratio": ratio,
                "step_ms_p10": s.p10 * 1e3, "step_ms_p90": s.p90 * 1e3, "floor_ms_p10": f.p10 * 1e3, "floor_ms_p90": f.p90 * 1e3,
                "samples_per_second": Double(workload.batch) / s.median, "samples": repetitions,
            ]
            if let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) {
                print(String(decoding: data, as: UTF8.self))
            } else {
                printError("error: \(workload.name): a measurement is not a finite number")
            }
        } else {
            print("\(workload.name) (\(workload.widths.map(String.init).joined(separator: "-")), batch \(workload.batch), "
                  + "\(optimizer.rawValue), \(threads) thread(s)): step \(String(s.median * 1e3, style: .fixed(4))) ms "
                  + "[p10 \(String(s.p10 * 1e3, style: .fixed(4))), p90 \(String(s.p90 * 1e3, style: .fixed(4)))], "
                  + "BLAS floor \(String(f.median * 1e3, style: .fixed(4))) ms, ratio \(String(ratio, style: .fixed(3))), "
                  + "\(Int(Double(workload.batch) / s.median)) samples/s")
        }
    }

    /// A training step (the `cnn` preset's, or an LSTM's) against its BLAS floor: the exact
    /// products one step issues, recorded and replayed on buffers of their own.
    private func benchmarkRecordedStep(config: String, title: String, batch: Int, makeStep: () throws -> () -> Void) {
        let optimizer = optimizerKind(for: Workload(rawValue: config) ?? .all)
        let step: () -> Void
        do { step = try makeStep() } catch {
            printError("error: \(config): \(error)")
            return
        }
        for _ in 0..<2 { step() }
        let floor = RecordedFloor(MatrixProduct.recordingCalls { step() })
        var stepSamples: [Double] = [], floorSamples: [Double] = []
        for _ in 0..<repetitions {
            stepSamples += timePerCall(rounds: 1, target: 0.1, step)
            floorSamples += timePerCall(rounds: 1, target: 0.1, floor.step)
        }
        let (s, f) = (Timing(samples: stepSamples), Timing(samples: floorSamples))
        let ratio = Timing(samples: zip(stepSamples, floorSamples).map { $0 / $1 }).median
        let gigaflops = 2 * Double(floor.multiplyAdds) / 1e9
        if breakdown && !json {
            // Products of one shape are listed once, with their count and their summed time, in order of first use.
            var order: [String] = [], totals: [String: (count: Int, seconds: Double, flops: Double)] = [:]
            for (call, seconds) in zip(floor.calls, floor.callTimes(rounds: repetitions)) {
                let name = "\(call.transposeA ? "ᵀ" : "")(\(call.m)×\(call.k)) · \(call.transposeB ? "ᵀ" : "")(\(call.k)×\(call.n)), beta \(call.beta)"
                if totals[name] == nil { order.append(name) }
                let total = totals[name] ?? (0, 0, 0)
                totals[name] = (total.count + 1, total.seconds + seconds, total.flops + 2 * Double(call.m * call.n * call.k))
            }
            for name in order {
                let total = totals[name]!
                print("  \(total.count) × product \(name): \(String(total.seconds * 1e3, style: .fixed(3))) ms, "
                      + "\(String(total.flops / total.seconds / 1e9, style: .fixed(1))) GFLOP/s")
            }
        }
        if json {
            let object: [String: Any] = [
                "config": config, "optimizer": optimizer.rawValue, "threads": threads, "batch": batch,
                "step_ms": s.median * 1e3, "floor_ms": f.median * 1e3, "ratio": ratio, "gemm_calls": floor.calls.count,
                "gflop_per_step": gigaflops, "step_ms_p10": s.p10 * 1e3, "step_ms_p90": s.p90 * 1e3,
                "floor_ms_p10": f.p10 * 1e3, "floor_ms_p90": f.p90 * 1e3, "samples_per_second": Double(batch) / s.median,
                "samples": repetitions,
            ]
            if let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) {
                print(String(decoding: data, as: UTF8.self))
            } else {
                printError("error: \(config): a measurement is not a finite number")
            }
        } else {
            print("\(config) (\(title), batch \(batch), \(optimizer.rawValue), \(threads) thread(s)): "
                  + "step \(String(s.median * 1e3, style: .fixed(2))) ms [p10 \(String(s.p10 * 1e3, style: .fixed(2))), "
                  + "p90 \(String(s.p90 * 1e3, style: .fixed(2)))], BLAS floor \(String(f.median * 1e3, style: .fixed(2))) ms "
                  + "(\(floor.calls.count) products, \(String(gigaflops, style: .fixed(2))) GFLOP, "
                  + "\(String(gigaflops / f.median, style: .fixed(1))) GFLOP/s), ratio \(String(ratio, style: .fixed(3))), "
                  + "\(Int(Double(batch) / s.median)) samples/s")
        }
    }

    /// The phases of a training step timed apart, each the median over the repetitions of the
    /// mean over enough steps to last ~20 ms: where the time above the floor goes.
    private func benchmarkPhases(_ workload: StepWorkload) {
        let optimizer = optimizerKind(for: .small)
        let step = EasyNetsStep(workload, optimizer: optimizer)
        let clock = ContinuousClock()
        let calls = max(1, Int(0.02 / max(timePerCall(rounds: 1, step.step)[0], 1e-7)))
        let bareUpdate = BareUpdate(optimizer, parameters: step.model.trainableParameters)
        var phases = [[Double]](repeating: [], count: 5)
        for _ in 0..<repetitions {
            var totals = [Duration](repeating: .zero, count: 5)
            for call in 0..<calls {
                totals[0] += clock.measure { step.optimizer.zeroGradients() }
                var loss: Tensor<Float>?
                totals[1] += clock.measure { loss = step.loss() }
                totals[2] += clock.measure { loss!.backward() }
                // The update, and the same arithmetic called straight, in alternating order: whichever
                // runs second finds the other's buffers in cache.
                if call % 2 == 0 {
                    totals[3] += clock.measure { step.optimizer.step() }
                    totals[4] += clock.measure { bareUpdate.run() }
                } else {
                    totals[4] += clock.measure { bareUpdate.run() }
                    totals[3] += clock.measure { step.optimizer.step() }
                }
            }
            for (i, total) in totals.enumerated() { phases[i].append(total.inSeconds / Double(calls)) }
        }
        let floor = BLASFloor(workload, inputs: step.inputs.map(\.scalars))
        let floorForward = Timing(samples: timePerCall(rounds: repetitions, floor.forward)).median
        let floorBackward = Timing(samples: timePerCall(rounds: repetitions, floor.backward)).median
        let names = ["zero gradients", "forward + loss", "backward", "optimizer step"]
        let text = zip(names, phases).map { "\($0) \(String(Timing(samples: $1).median * 1e3, style: .fixed(4))) ms" }
        let updateRatio = Timing(samples: zip(phases[3], phases[4]).map { $0 / $1 }).median
        print("  phases of \(workload.name): " + text.joined(separator: ", ")
              + "; BLAS floor of the forward pass \(String(floorForward * 1e3, style: .fixed(4))) ms, "
              + "of the backward pass \(String(floorBackward * 1e3, style: .fixed(4))) ms"
              + "; the update's bare C loop \(String(Timing(samples: phases[4]).median * 1e3, style: .fixed(4))) ms "
              + "(ratio \(String(updateRatio, style: .fixed(3))))")
    }

    /// Resident memory over 10 000 training steps of the small configuration: flat when
    /// steady-state steps reuse their buffers.
    private func benchmarkMemory() {
        let step = EasyNetsStep(.small)
        func memory() -> (rss: Int, peak: Int) {
            let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
            func field(_ name: String) -> Int {
                status.split(separator: "\n").first { $0.hasPrefix(name) }
                    .flatMap { Int($0.split(separator: " ").dropFirst().first { !$0.isEmpty }?.trimmingCharacters(in: .whitespaces) ?? "") } ?? -1
            }
            return (field("VmRSS:"), field("VmHWM:"))
        }
        for _ in 0..<100 { step.step() }
        let start = memory()
        print("memory: after 100 steps RSS \(start.rss / 1024) MiB, peak \(start.peak / 1024) MiB")
        for i in 1...10_000 {
            step.step()
            if i % 2500 == 0 {
                let now = memory()
                print("memory: after \(i + 100) steps RSS \(now.rss / 1024) MiB, peak \(now.peak / 1024) MiB")
            }
        }
        // The cnn preset: im2col columns, pooling winners and batch-norm buffers come from the
        // buffer pool, so resident memory stays where the first steps put it.
        guard let cnn = try? PooledStep.cnn(batch: 128) else { return }
        for _ in 0..<20 { cnn.step() }
        let cnnStart = memory()
        print("memory (cnn, batch 128): after 20 steps RSS \(cnnStart.rss / 1024) MiB, peak \(cnnStart.peak / 1024) MiB")
        for i in 1...200 {
            cnn.step()
            if i % 100 == 0 {
                let now = memory()
                print("memory (cnn, batch 128): after \(i + 20) steps RSS \(now.rss / 1024) MiB, peak \(now.peak / 1024) MiB")
            }
        }
    }

    /// Tiny products (a layer 10 wide) forward and backward, at `--threads` threads (at least 2)
    /// against 1 thread, alternating in the same process: more threads must not slow them down.
    private func benchmarkThreads() {
        let many = max(threads, 2)
        var generator = RandomGenerator(seed: 6)
        for (input, output, batch) in [(128, 10, 1), (128, 10, 128), (10, 10, 128)] {
            let layer = Linear<Float>(input, output, using: &generator)
            var x = Tensor<Float>.normal([batch, input], using: &generator)
            x.requiresGradient = true
            let seed = Tensor<Float>.ones([batch, output])
            let body = {
                layer.zeroGradients()
                x.zeroGradient()
                layer(x).backward(seed: seed)
            }
            var ratios: [Double] = []
            for _ in 0..<repetitions {
                Parallelism.threadCount = 1
                let one = timePerCall(rounds: 1, body)[0]
                Parallelism.threadCount = many
                ratios.append(timePerCall(rounds: 1, body)[0] / one)
            }
            print("Linear \(input) → \(output), batch \(batch), forward + backward: \(many) threads take "
                  + "\(String(Timing(samples: ratios).median, style: .fixed(3)))× the time of 1 thread")
        }
        Parallelism.threadCount = threads
    }

    /// Linear forward and backward alone against its three BLAS calls.
    private func benchmarkLinear() {
        let (batch, input, output) = (256, 1024, 1024)
        var generator = RandomGenerator(seed: 3)
        let layer = Linear<Float>(input, output, using: &generator)
        var x = Tensor<Float>.uniform([batch, input], using: &generator)
        x.requiresGradient = true
        let seed = Tensor<Float>.ones([batch, output])
        let floor = BLASFloor(StepWorkload(name: "linear", widths: [input, output], batch: batch))
        var layerSamples: [Double] = [], floorSamples: [Double] = []
        for _ in 0..<repetitions {
            layerSamples += timePerCall(rounds: 1) {
                layer.zeroGradients()
                x.zeroGradient()
                layer(x).backward(seed: seed)
            }
            floorSamples += timePerCall(rounds: 1) {
                floor.step()
                // the input gradient, which the one-layer floor skips for a first layer
                floor.product(false, false, batch, input, output, floor.gradients[1], floor.weights[0], 0, &floor.gradients[0])
            }
        }
        let (l, f) = (Timing(samples: layerSamples).median, Timing(samples: floorSamples).median)
        print("Linear \(input) → \(output), batch \(batch), forward + backward: \(String(l * 1e3, style: .fixed(3))) ms, "
              + "raw BLAS calls \(String(f * 1e3, style: .fixed(3))) ms, ratio \(String(l / f, style: .fixed(3)))")
    }

    /// One epoch of the default model over Fashion-MNIST, when the dataset is installed: the
    /// ``Trainer`` with the loader's prefetching off and on, from memory and from a memory-mapped
    /// `.npy`, against the bare compute over the same batches already in memory.
    private func benchmarkEpoch() {
        let optimizer = optimizerKind(for: .epoch)
        guard let train = try? FashionMNIST.load(.train, directory: dataDirectory, as: Float.self) else {
            print("Fashion-MNIST epoch: skipped (dataset not found in \(dataDirectory); \(FashionMNIST.installCommand))")
            return
        }
        // The same images as a memory-mapped .npy of bytes, converted and divided by 255 per batch
        // (bit for bit the Dataset's values), with the labels as int64.
        let folder = NSTemporaryDirectory() + "easynets-bench-epoch-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let mapped: NPYSource<Float>
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let pixels = train.features.scalars.map { UInt8(($0 * 255).rounded()) }
            try OutputFile.write(NPYArray.header(descr: "|u1", shape: [train.count, 784]) + pixels, to: folder + "/x.npy")
            try NPYArray(descr: "<i8", shape: [train.count], values: train.labels.map(Double.init)).write(toFile: folder + "/y.npy")
            mapped = try NPYSource(features: folder + "/x.npy", targets: folder + "/y.npy", dividingBy: 255)
        } catch {
            FileHandle.standardError.write(Data("Fashion-MNIST epoch: cannot write the .npy copy: \(error)\n".utf8))
            return
        }
        // Epochs of the same steps on identically initialized models, in rotating order so none gains
        // from another's warm caches: the bare compute (forward, backward, step) over the epoch's
        // batches read beforehand; the same loop reading the mapped .npy through the loader's reader;
        // the Trainer (loss and accuracy accounting, observers' hooks) over the Dataset in memory and
        // over the mapped .npy; each reading with prefetching off and on; and the Trainer as
        // `easynets train` sets it up (divergence guard, progress bar, metrics file, prefetching).
        func makeModel() -> (Sequential<Float>, any Optimizer<Float>) {
            var generator = RandomGenerator(seed: 4)
            let model = MultilayerPerceptron.make(inputSize: 784, hidden: [256, 128], classes: 10, using: &generator, as: Float.self)
            return (model, optimizer.benchmarkOptimizer(model.trainableParameters))
        }
        func makeTrainer(_ source: some ExampleSource<Float>, prefetchCount: Int) -> Trainer<Float> {
            let (model, optimizer) = makeModel()
            return Trainer(model: model, optimizer: optimizer, loader: DataLoader(source, batchSize: 128, seed: 5, prefetchCount: prefetchCount))
        }
        // The bare loop's step, on the examples given by `read` for each of an epoch's batches.
        func bareLoop(_ source: some ExampleSource<Float>, prefetchCount: Int?) -> () -> Void {
            let (model, optimizer) = makeModel()
            var loader = DataLoader(source, batchSize: 128, seed: 5, prefetchCount: prefetchCount ?? 0)
            let loaded = prefetchCount == nil ? loader.epoch().compactMap { try? $0.examples() } : []  // in memory: never fails
            func step(_ examples: Dataset<Float>) {
                optimizer.zeroGradients()
                crossEntropy(logits: model(examples.features), labels: examples.labels).backward()
                optimizer.step()
            }
            return {
                if prefetchCount == nil { return loaded.forEach(step) }
                let batches = loader.epoch(), reader = loader.reader(for: batches)
                for batch in batches { if let examples = try? reader.examples(of: batch) { step(examples) } }
                reader.finish()
            }
        }
        let trainers = [makeTrainer(train, prefetchCount: 0), makeTrainer(train, prefetchCount: 1),
                        makeTrainer(mapped, prefetchCount: 0), makeTrainer(mapped, prefetchCount: 1), makeTrainer(train, prefetchCount: 1)]
        let metricsPath = folder + "/metrics.jsonl"
        trainers[4].observers = [DivergenceGuard(), ProgressBar(epochs: 1_000_000, write: { _ in }), MetricsWriter(path: metricsPath)]
        let clock = ContinuousClock()
        let contenders = [bareLoop(train, prefetchCount: nil), bareLoop(mapped, prefetchCount: 0), bareLoop(mapped, prefetchCount: 1)]
            + trainers.map { trainer in { _ = try? trainer.fit(epochs: trainer.epoch + 1) } }
        var seconds = [[Double]](repeating: [], count: contenders.count)
        let rounds = max(5, repetitions / 3)
        for round in 0..<rounds {
            for k in contenders.indices {
                let c = (round + k) % contenders.count
                seconds[c].append(clock.measure(contenders[c]).inSeconds)
            }
        }
        // Other processes only add time, so the fastest epochs compare the work itself; the median of
        // the rounds' ratios (in brackets) shows what a busy machine sees.
        func ratio(_ c: Int) -> String {
            let fastest = seconds[c].min()! / seconds[0].min()!
            let median = Timing(samples: zip(seconds[c], seconds[0]).map { $0 / $1 }).median
            return "\(String(fastest, style: .fixed(3))) (\(String(median, style: .fixed(3))))"
        }
        print("Fashion-MNIST epoch, 784-256-128-10, batch 128, \(optimizer.rawValue), \(threads) thread(s), \(rounds) rotating rounds: "
              + "bare compute over batches already in memory \(String(seconds[0].min()!, style: .fixed(3))) s (fastest; median "
              + "\(String(Timing(samples: seconds[0]).median, style: .fixed(3))) s). Fastest epoch / the bare compute's "
              + "(median of the rounds' ratios):")
        print("  the same loop reading a memory-mapped .npy through the loader: prefetch off \(ratio(1)), on \(ratio(2))")
        print("  Trainer, Dataset in memory:   prefetch off \(ratio(3)), on \(ratio(4))")
        print("  Trainer, memory-mapped .npy:  prefetch off \(ratio(5)), on \(ratio(6))")
        print("  Trainer as easynets train sets it up (prefetch on): \(ratio(7))")
    }

    private func benchmarkMatmul() {
        let n = 1024
        var generator = RandomGenerator(seed: 1)
        let a = Tensor<Float>.uniform([n, n], low: -1, high: 1, using: &generator)
        let b = Tensor<Float>.uniform([n, n], low: -1, high: 1, using: &generator)
        var c = [Float](repeating: 0, count: n * n)
        // Interleave the two measurements in rounds so machine noise hits both alike.
        var tensorTimes: [Double] = [], rawTimes: [Double] = []
        for _ in 0..<3 {
            tensorTimes.append(median { _ = matmul(a, b) })
            rawTimes.append(median {
                a.withUnsafeBufferPointer { pa in
                    b.withUnsafeBufferPointer { pb in
                        Float._blasGemm(transposeA: false, transposeB: false, m: n, n: n, k: n, alpha: 1,
                                       a: pa.baseAddress!, lda: n, b: pb.baseAddress!, ldb: n, beta: 0,
                                       c: &c, ldc: n)
                    }
                }
            })
        }
        let tensor = tensorTimes.min()!, raw = rawTimes.min()!
        let gflops = 2 * Double(n * n * n) / raw / 1e9
        print("matmul 1024×1024×1024 Float, \(threads) thread(s): Tensor \(ms(tensor)) ms, "
              + "raw cblas_sgemm \(ms(raw)) ms (\(String(gflops, style: .rounded(1))) GFLOP/s), ratio \(String(tensor / raw, style: .rounded(3)))")
    }

    private func benchmarkElementwise() {
        let count = 1 << 20
        var generator = RandomGenerator(seed: 2)
        let x = Tensor<Float>.uniform([count], low: -4, high: 4, using: &generator)
        let y = Tensor<Float>.uniform([count], low: 0.5, high: 4, using: &generator)
        let xs = x.scalars, ys = y.scalars
        let out = UnsafeMutablePointer<Float>.allocate(capacity: count)
        defer { out.deallocate() }
        // The reference: the same op as a concrete Float loop over raw pointers in this binary.
        func loop(_ body: @escaping (UnsafePointer<Float>, UnsafePointer<Float>) -> Void) -> () -> Void {
            { xs.withUnsafeBufferPointer { px in ys.withUnsafeBufferPointer { py in body(px.baseAddress!, py.baseAddress!) } } }
        }
        let cases: [(String, () -> Void, () -> Void)] = [
            ("add", { _ = x + y }, loop { a, b in for i in 0..<count { out[i] = a[i] + b[i] } }),
            ("multiply by scalar", { _ = x * 3 }, loop { a, _ in for i in 0..<count { out[i] = a[i] * 3 } }),
            ("relu", { _ = relu(x) }, loop { a, _ in for i in 0..<count { out[i] = a[i] > 0 ? a[i] : 0 } }),
            ("exp", { _ = exp(x) }, loop { a, _ in for i in 0..<count { out[i] = Float.exp(a[i]) } }),
            ("sum", { _ = x.sum() }, loop { a, _ in var s: Float = 0; for i in 0..<count { s += a[i] }; out[0] = s }),
        ]
        print("elementwise over \(count) Float elements (Tensor vs a concrete Float loop in this binary):")
        for (name, tensorOp, loop) in cases {
            // Interleaved rounds, best median of each, so warm-up and noise hit both alike.
            var tensorTimes: [Double] = [], referenceTimes: [Double] = []
            for _ in 0..<3 {
                tensorTimes.append(median(tensorOp))
                referenceTimes.append(median(loop))
            }
            let tensor = tensorTimes.min()!, reference = referenceTimes.min()!
            print("  \(name): Tensor \(String(tensor * 1e3, style: .rounded(3))) ms, concrete loop \(String(reference * 1e3, style: .rounded(3))) ms, "
                  + "ratio \(String(tensor / reference, style: .rounded(3)))")
        }
    }

    private func ms(_ seconds: Double) -> String { String(seconds * 1e3, style: .rounded(3)) }
}

/// Prints to standard error.
private func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
