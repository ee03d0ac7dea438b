import Foundation
import Synchronization

extension DataLoader {
    /// A reader of `batches` in their order, reading ``prefetchCount`` of them ahead on a
    /// background thread: while the caller trains on one batch, the next is read, converted and
    /// augmented. Ask for each batch in turn with ``Reader/examples(of:)``; call
    /// ``Reader/finish()`` when done (or stopping early), which waits for the thread to end.
    ///
    /// ```swift
    /// let batches = loader.epoch()
    /// let reader = loader.reader(for: batches)
    /// defer { reader.finish() }
    /// for batch in batches {
    ///     let examples = try reader.examples(of: batch)   // read while the batch before trained
    /// }
    /// ```
    public func reader(for batches: some Sequence<Batch>) -> Reader {
        Reader(Array(batches), prefetchCount: prefetchCount)
    }

    /// Reads batches in a fixed order, ahead of time on a background thread when the loader
    /// prefetches (see ``DataLoader/reader(for:)``). An error of a background read is thrown by
    /// ``examples(of:)`` for the batch that needed it, as a read on the caller's thread would be.
    public final class Reader {
        private let batches: [Batch]
        private var position = 0
        private var failed = false
        private let pipeline: Pipeline?

        init(_ batches: [Batch], prefetchCount: Int) {
            self.batches = batches
            guard prefetchCount > 0 && !batches.isEmpty else {
                pipeline = nil
                return
            }
            let pipeline = Pipeline(batches, depth: prefetchCount)
            self.pipeline = pipeline
            let thread = Thread { pipeline.run() }
            thread.name = "EasyNets prefetch"
            thread.start()
        }

        deinit { finish() }

        /// The examples of `batch`, the next of the reader's batches (the same indices; a batch
        /// asked for out of order stops the process), read ahead or now.
        public func examples(of batch: Batch) throws -> Dataset<Scalar> {
            require(!failed, "DataLoader.Reader.examples: asked for another batch after a read failed")
            require(position < batches.count && batches[position].indices == batch.indices,
                    "DataLoader.Reader.examples: the batch of indices \(batch.indices.prefix(8))… is not the reader's next "
                    + (position < batches.count ? "(\(batches[position].indices.prefix(8))…)" : "(all \(batches.count) were read)"))
            position += 1
            do {
                return try pipeline?.take().get() ?? batch.examples()
            } catch {
                failed = true
                throw error
            }
        }

        /// Stops reading ahead and waits for the background thread to end; the batches read ahead
        /// and not asked for are dropped. Called again, or without a thread, it does nothing.
        public func finish() {
            pipeline?.finish()
        }
    }

    /// The hand-off between the reading thread and the one consumer.
    private final class Pipeline: @unchecked Sendable {
        // Sendable by construction: `batches` never changes after init, and only the reading
        // thread reads from their sources (which don't change while they are read: the
        // ExampleSource contract); each result is appended by the reading thread and removed by
        // the one consumer under `lock`; `filled` counts the results ready and `free` the room
        // for more, so the consumer never takes a result before it exists and the reader is at
        // most `depth` batches ahead; `finished` is touched by the consumer only.
        private let batches: [Batch]
        private let lock = NSLock()
        private var ready: [Result<Dataset<Scalar>, any Error>] = []
        // Created at 0 and signalled up: libdispatch traps when a semaphore is freed below its initial value.
        private let free = DispatchSemaphore(value: 0), filled = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        private let stopping = Atomic<Bool>(false)
        private var finished = false

        init(_ batches: [Batch], depth: Int) {
            self.batches = batches
            for _ in 0..<depth { free.signal() }
        }

        /// The reading thread: each batch in turn when there is room, until all are read, one
        /// fails, or the consumer finishes.
        func run() {
            for batch in batches {
                free.wait()
                if stopping.load(ordering: .acquiring) { break }
                let result = Result { try batch.examples() }
                lock.withLock { ready.append(result) }
                filled.signal()
                if case .failure = result { break }
            }
            done.signal()
        }

        /// The next batch's result, waiting until it is read.
        func take() -> Result<Dataset<Scalar>, any Error> {
            filled.wait()
            let result = lock.withLock { ready.removeFirst() }
            free.signal()
            return result
        }

        /// Asks the reading thread to stop after its current read and waits until it has.
        func finish() {
            guard !finished else { return }
            finished = true
            stopping.store(true, ordering: .releasing)
            free.signal()  // wakes the thread if it waits for room
            done.wait()
        }
    }
}
