import EasyNets
import Foundation
import Synchronization
import Testing

// Reading ahead on a background thread changes nothing but when a batch is read: the same
// batches, augmentation and parameters with and without it, from memory or from files; an
// error of a background read reaches the trainer at the batch that needed it; the thread ends
// with the epoch, however the epoch ends.

/// 40 random 4×4 one-channel images of 3 classes.
private func images() -> Dataset<Double> {
    var generator = RandomGenerator(seed: 11)
    let features = Tensor<Double>.uniform([40, 1, 4, 4], low: -1, high: 1, using: &generator)
    return Dataset(features: features, labels: (0..<40).map { ($0 * 7) % 3 })
}

/// Trains a small model on `source` for three epochs (batches of 6 with augmentation, two
/// batches a step) and returns its parameters.
private func trainedParameters(on source: some ExampleSource<Double>, prefetchCount: Int) throws -> [[Double]] {
    var generator = RandomGenerator(seed: 5)
    let model = Sequential<Double> { Flatten(); Linear(16, 8, using: &generator); ReLU(); Linear(8, 3, using: &generator) }
    let loader = DataLoader(source, batchSize: 6, augmentation: ImageAugmentation(maximumShift: 1, horizontalFlip: true),
                            seed: 3, prefetchCount: prefetchCount)
    let trainer = Trainer(model: model, optimizer: Adam(model.trainableParameters, learningRate: 0.01), loader: loader,
                          accumulationSteps: 2)
    #expect(try trainer.fit(epochs: 3) == .completed)
    #expect(trainer.step == 3 * 4, "7 batches an epoch, two a step")
    return model.trainableParameters.map(\.value.scalars)
}

/// An in-memory source that counts its reads and fails at one example: a file that went bad.
private final class CountingSource: ExampleSource, @unchecked Sendable {
    // Sendable: `data` and `failing` never change; `reads` is atomic.
    let data: Dataset<Double>, failing: Int?
    let reads = Atomic<Int>(0)
    init(_ data: Dataset<Double>, failingAt failing: Int?) { (self.data, self.failing) = (data, failing) }
    var count: Int { data.count }
    var exampleShape: [Int] { data.exampleShape }
    var targetLayout: TargetLayout { data.targetLayout }
    func examples(at indices: [Int]) throws -> Dataset<Double> {
        reads.add(1, ordering: .relaxed)
        if let failing, indices.contains(failing) { throw DataError(path: "example-\(failing).pgm", reason: "unreadable") }
        return data.subset(indices)
    }
}

private func trainer(on source: CountingSource, prefetchCount: Int) -> Trainer<Double> {
    var generator = RandomGenerator(seed: 5)
    let model = Sequential<Double> { Flatten(); Linear(16, 3, using: &generator) }
    return Trainer(model: model, optimizer: SGD(model.trainableParameters, learningRate: 0.1),
                   loader: DataLoader(source, batchSize: 4, shuffle: false, prefetchCount: prefetchCount))
}

@Suite("Prefetching")
struct PrefetchTests {
    @Test(arguments: [1, 3])
    func trainingWithPrefetchIsBitIdenticalToWithout(prefetchCount: Int) throws {
        let data = images()
        let reference = try trainedParameters(on: data, prefetchCount: 0)
        #expect(try trainedParameters(on: data, prefetchCount: prefetchCount) == reference)
    }

    @Test func aMemoryMappedSourceTrainsAsItsDatasetInMemory() throws {
        let data = images()
        let path = try temporaryDirectory() + "/x.npy"
        try NPYArray(descr: "<f8", shape: data.features.shape, values: data.features.scalars).write(toFile: path)
        let source = try NPYSource(features: path, targets: data.targets)
        let reference = try trainedParameters(on: data, prefetchCount: 0)
        #expect(try trainedParameters(on: source, prefetchCount: 2) == reference)
        #expect(try trainedParameters(on: source, prefetchCount: 0) == reference)
    }

    @Test(arguments: [0, 1, 3])
    func aBackgroundReadErrorReachesTheTrainerAtItsBatch(prefetchCount: Int) throws {
        // Batches of 4 in order: example 13 is in the fourth batch, so three steps complete.
        let source = CountingSource(images(), failingAt: 13)
        let trainer = trainer(on: source, prefetchCount: prefetchCount)
        expectError(DataError.self, "example-13.pgm", "unreadable") { try trainer.fit(epochs: 2) }
        #expect(trainer.step == 3 && trainer.batchesInEpoch == 3)
        #expect(source.reads.load(ordering: .relaxed) == 4, "the reader stops at the failed batch")
    }

    @Test(arguments: [0, 1, 3])
    func aCancelledRunStopsReadingAndResumesWithTheSameBatches(prefetchCount: Int) throws {
        let source = CountingSource(images(), failingAt: nil)
        let stopped = trainer(on: source, prefetchCount: prefetchCount)
        stopped.observers = [CancelAfter<Double>(step: 2)]
        #expect(try stopped.fit(epochs: 1) == .cancelled)
        let reads = source.reads.load(ordering: .relaxed)
        #expect(reads >= 2 && reads <= 2 + prefetchCount, "read ahead at most \(prefetchCount) batches, read \(reads)")
        let path = try temporaryDirectory() + "/run.safetensors"
        try stopped.saveCheckpoint(toFile: path)

        let resumed = trainer(on: CountingSource(images(), failingAt: nil), prefetchCount: prefetchCount)
        try resumed.resume(fromFile: path)
        #expect(try resumed.fit(epochs: 2) == .completed)
        let straight = trainer(on: CountingSource(images(), failingAt: nil), prefetchCount: 0)
        #expect(try straight.fit(epochs: 2) == .completed)
        #expect(resumed.model.trainableParameters.map(\.value.scalars) == straight.model.trainableParameters.map(\.value.scalars))
    }

    @Test func theReaderGivesTheBatchesInOrderAndFinishes() throws {
        var loader = DataLoader(images(), batchSize: 16, seed: 2, prefetchCount: 2)
        let batches = loader.epoch()
        let reader = loader.reader(for: batches)
        for batch in batches {
            let (ahead, now) = (try reader.examples(of: batch), try batch.examples())
            #expect(ahead.labels == now.labels && ahead.features.scalars == now.features.scalars)
        }
        reader.finish()
        reader.finish()  // again: nothing to do
        let early = loader.reader(for: loader.epoch())
        early.finish()  // before any batch was asked for
    }

    @Test func aBatchOutOfOrderStopsWithAMessage() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var loader = DataLoader(images(), batchSize: 16, seed: 2)
            let batches = loader.epoch()
            let reader = loader.reader(for: batches)
            _ = try? reader.examples(of: batches[1])
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("DataLoader.Reader.examples") && message.contains("is not the reader's next"), "stderr: \(message)")
    }
}
