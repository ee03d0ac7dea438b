import Foundation

/// Processes that train one model together: each knows its rank and the group's size, and they
/// exchange data through collectives that every process calls in the same order.
///
/// `EasyNetsDistributed` provides one on Open MPI (`MPIProcessGroup`); a package that trains in
/// one process never needs it. Data-parallel training (``DataParallel``, ``Trainer``) uses only
/// these operations.
public protocol ProcessGroup: AnyObject {
    /// This process's number, `0 ..< size`.
    var rank: Int { get }
    /// The number of processes.
    var size: Int { get }
    /// Returns once every process has called it.
    func barrier() throws
    /// Copies `root`'s bytes into `bytes` on every other process (each passes the same count).
    func broadcast(_ bytes: UnsafeMutableRawBufferPointer, root: Int) throws
    /// Replaces `values` by their elementwise sum over the processes (each passes the same count).
    func allReduceSum<Scalar: TensorScalar>(_ values: UnsafeMutableBufferPointer<Scalar>) throws
    /// Starts ``allReduceSum(_:)`` and returns at once: `values` must stay valid and untouched
    /// until the returned reduction's ``PendingReduction/wait()`` returns.
    func startAllReduceSum<Scalar: TensorScalar>(_ values: UnsafeMutableBufferPointer<Scalar>) throws -> any PendingReduction
    /// Starts replacing `values`, bit patterns of `format`, by their elementwise sum over the
    /// processes, and returns at once (as ``startAllReduceSum(_:)``): every process gets the same
    /// bits, the sum formed in pairs by ``SixteenBitFormat/sum(_:_:)``, so only 16 bits a value
    /// cross between processes. The default widens the values to `Float`, sums those with
    /// ``allReduceSum(_:)`` and rounds the sum once.
    func startAllReduceSum(_ values: UnsafeMutableBufferPointer<UInt16>, format: SixteenBitFormat) throws -> any PendingReduction
    /// Memory for `count` scalars that ``allReduceSum(_:)`` and ``startAllReduceSum(_:)`` sum
    /// faster than any other (a window that the processes of one host share), or `nil` (the
    /// default). Every process asks for the same count; the memory stays valid until the next
    /// call. ``DataParallel`` packs a step's gradients into it and sums ranges of it in place.
    func reductionBuffer<Scalar: TensorScalar>(count: Int, of type: Scalar.Type) throws -> UnsafeMutableBufferPointer<Scalar>?
    /// Ends every process of the group: this one writes `message` to standard error, and the
    /// job exits with a nonzero status instead of leaving the others waiting in a collective.
    func abort(_ message: String) -> Never
}

extension ProcessGroup {
    public func reductionBuffer<Scalar: TensorScalar>(count: Int, of type: Scalar.Type) throws -> UnsafeMutableBufferPointer<Scalar>? {
        nil
    }

    public func startAllReduceSum(_ values: UnsafeMutableBufferPointer<UInt16>, format: SixteenBitFormat) throws -> any PendingReduction {
        var widened = values.map { format.decode($0) }
        try widened.withUnsafeMutableBufferPointer { try allReduceSum($0) }
        for index in values.indices { values[index] = format.encode(widened[index]) }
        return CompletedReduction()
    }
}

/// A reduction that was complete when it was returned.
private final class CompletedReduction: PendingReduction {
    func wait() {}
    func poll() {}
}

/// A collective started by ``ProcessGroup/startAllReduceSum(_:)``.
public protocol PendingReduction: AnyObject {
    /// Returns when the reduction is complete and its buffer holds the result.
    func wait() throws
    /// Lets the reduction advance without waiting for it (MPI moves a nonblocking collective
    /// only inside MPI calls; backward calls this between its ops).
    func poll() throws
}

/// What a process's environment says of the job that started it, read without MPI: whether a
/// launcher such as Open MPI's `mpirun` started it, and how many processes share its host.
public enum LaunchEnvironment {
    /// Whether this process was started by Open MPI's `mpirun` (or another PMIx launcher).
    public static var isLaunchedByMPI: Bool {
        let environment = ProcessInfo.processInfo.environment
        return ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK"].contains { environment[$0] != nil }
    }

    /// This process's rank in the job, when the launcher says.
    public static var rank: Int? {
        let environment = ProcessInfo.processInfo.environment
        return (environment["OMPI_COMM_WORLD_RANK"] ?? environment["PMIX_RANK"] ?? environment["PMI_RANK"]).flatMap { Int($0) }
    }

    /// The number of processes `mpirun` started on this host, when it says (for sharing its cores).
    public static var localProcessCount: Int? {
        ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_LOCAL_SIZE"].flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil }
    }
}

/// A collective failed, or the processes of a group disagree on what they train.
public struct DistributedError: Error, CustomStringConvertible, Equatable {
    /// The rank that reports the error.
    public var rank: Int
    /// What went wrong.
    public var reason: String

    /// An error that `rank` reports, saying `reason`.
    public init(rank: Int, reason: String) {
        (self.rank, self.reason) = (rank, reason)
    }

    public var description: String { "rank \(rank): \(reason)" }
}

/// How ``ProcessGroup/allReduce(_:operation:)`` combines the processes' tensors.
public enum ReductionOperation: Sendable {
    /// The elementwise sum.
    case sum
    /// The elementwise mean over the processes.
    case mean
}

extension ProcessGroup {
    /// `values` summed elementwise over the processes (each passes the same count).
    public func sum(_ values: [Double]) throws -> [Double] {
        var result = values
        try result.withUnsafeMutableBufferPointer { try allReduceSum($0) }
        return result
    }

    /// `tensor` combined elementwise over the processes (each passes the same shape).
    public func allReduce<Scalar>(_ tensor: Tensor<Scalar>, operation: ReductionOperation = .sum) throws -> Tensor<Scalar> {
        var result = tensor.detached
        try result.withUnsafeMutableBufferPointer { try allReduceSum($0) }
        return operation == .mean ? result / Scalar(size) : result
    }

    /// Overwrites `tensor` with `root`'s (each process passes the same shape).
    public func broadcast<Scalar>(_ tensor: inout Tensor<Scalar>, root: Int = 0) throws {
        try tensor.withUnsafeMutableBufferPointer { try broadcast(UnsafeMutableRawBufferPointer($0), root: root) }
    }

    /// `root`'s text, on every process.
    public func broadcast(_ text: String, root: Int = 0) throws -> String {
        var length = [Double(text.utf8.count)]
        try length.withUnsafeMutableBytes { try broadcast($0, root: root) }
        guard let count = Int(exactly: length[0]), count >= 0, count <= 1 << 30 else {
            throw DistributedError(rank: rank, reason: "broadcast of a text: rank \(root) sent an invalid length \(length[0])")
        }
        var bytes = rank == root ? Array(text.utf8) : [UInt8](repeating: 0, count: count)
        try bytes.withUnsafeMutableBytes { try broadcast($0, root: root) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The bytes of the file at `path` as `root` reads it (``readFileBytes(_:)``, within
    /// ``InputLimits/maximumBytes``), on every process: the file need exist only on `root`'s host,
    /// as a checkpoint that rank 0 wrote on its own disk. When `root` cannot read it, `root`
    /// throws its error and every other process a ``DistributedError`` quoting it.
    public func broadcastFile(_ path: String, root: Int = 0) throws -> [UInt8] {
        var bytes: [UInt8] = [], failure: (any Error)?
        if rank == root {
            do { bytes = try readFileBytes(path) } catch { failure = error }
        }
        let message = try broadcast(failure.map { "failed: \($0)" } ?? "", root: root)
        if let failure { throw failure }
        guard message.isEmpty else {
            throw DistributedError(rank: rank, reason: "rank \(root) could not read \(path): \(message.dropFirst("failed: ".count))")
        }
        var length = [Double(bytes.count)]
        try length.withUnsafeMutableBytes { try broadcast($0, root: root) }
        guard let count = Int(exactly: length[0]), count >= 0, count <= InputLimits.maximumBytes else {
            throw DistributedError(rank: rank, reason: "broadcast of \(path): rank \(root) sent an invalid length \(length[0])")
        }
        if rank != root { bytes = [UInt8](repeating: 0, count: count) }
        try bytes.withUnsafeMutableBytes { try broadcast($0, root: root) }
        return bytes
    }

    /// Throws the same ``DistributedError`` on every process unless all pass the same `value`
    /// for `what` (e.g. "the model"); a process that differs names its value and rank 0's.
    public func checkAgreement(_ value: String, what: String) throws {
        let reference = try broadcast(value)
        var differs = [Double](repeating: 0, count: size)
        differs[rank] = reference == value ? 0 : 1
        let all = try sum(differs)
        let ranks = all.indices.filter { all[$0] != 0 }
        guard ranks.isEmpty else {
            let detail = reference == value ? "" : ": rank 0 has \(reference); rank \(rank) has \(value)"
            throw DistributedError(rank: rank, reason: "\(what) differs between rank 0 and rank(s) "
                                   + "\(ranks.map(String.init).joined(separator: ", "))\(detail)")
        }
    }
}

/// Data-parallel training in the manner of PyTorch's DistributedDataParallel: every process
/// holds the whole model, trains on its share of each global batch, and the gradients are summed
/// over the processes before every optimizer step, so each process takes the same step as one
/// process with the whole batch would.
///
/// Gradients travel in buckets of about ``bucketCapacity`` bytes, filled in the order backward
/// completes them (the last layer's first). A bucket's reduction starts as soon as its last
/// gradient is complete, while backward goes on through the earlier layers; a gradient that is
/// a bucket of its own is reduced in place, smaller ones are packed together. Where the group
/// offers a reduction buffer (``ProcessGroup/reductionBuffer(count:of:)``: processes of one host
/// that share memory), every bucket is packed into it and summed there.
///
/// ```swift
/// let parallel = DataParallel<Float>(group: group)   // e.g. MPIProcessGroup()
/// let trainer = Trainer(model: model, optimizer: optimizer, loader: loader, dataParallel: parallel)
/// ```
public final class DataParallel<Scalar: TensorScalar> {
    /// The processes that train together.
    public let group: any ProcessGroup
    /// The most bytes of gradients one reduction carries (a larger gradient is a bucket of its own).
    public let bucketCapacity: Int
    /// Whether the model's batch normalizations normalize each training batch with the statistics
    /// of the whole global batch, as PyTorch's `SyncBatchNorm` does, rather than each process's
    /// share (see ``BatchNorm1d/statisticsGroup``). Every share of every batch must then hold an
    /// example, and each layer costs two small reductions forward and one backward.
    public let synchronizesBatchNorm: Bool
    /// The format the gradients are summed in: the model's own scalars, or a 16-bit format that
    /// halves the bytes sent (see ``GradientPrecision``).
    public let gradientPrecision: GradientPrecision

    /// Data parallelism over `group`, with gradients reduced in buckets of up to `bucketCapacity`
    /// bytes of the model's scalars (PyTorch's default: 25 MiB) and summed in `gradientPrecision`,
    /// and batch normalization over the global batch when `synchronizesBatchNorm`.
    public init(group: any ProcessGroup, bucketCapacity: Int = 25 << 20, synchronizesBatchNorm: Bool = false,
                gradientPrecision: GradientPrecision = .full) {
        require(bucketCapacity > 0, "DataParallel: bucketCapacity must be positive, got \(bucketCapacity)")
        (self.group, self.bucketCapacity, self.synchronizesBatchNorm) = (group, bucketCapacity, synchronizesBatchNorm)
        self.gradientPrecision = gradientPrecision
    }

    /// This process's contiguous share of `count` examples: `count·rank/size ..< count·(rank+1)/size`.
    public func share(of count: Int) -> Range<Int> {
        let (rank, size) = (group.rank, group.size)
        return (count * rank / size)..<(count * (rank + 1) / size)
    }

    /// Checks that every process trains the same model on the same data with the same settings
    /// (`settings`: anything else that must agree), then gives every process rank 0's parameters
    /// and buffers. Throws the same ``DistributedError`` on every process on a mismatch.
    public func start(model: some Layer<Scalar>, data: some ExampleSource<Scalar>, settings: String) throws {
        let shapes = model.stateEntries.map { "\($0.name)\($0.parameter.shape)" }.joined(separator: " ")
        try group.checkAgreement(shapes, what: "the model (parameter names and shapes)")
        let content = (data as? Dataset<Scalar>).map { ", content hash \($0.contentHash)" } ?? ""
        try group.checkAgreement("\(data.count) examples of shape \(data.exampleShape), targets \(data.targetLayout)\(content)",
                                 what: "the training data")
        try group.checkAgreement(settings, what: "the training settings")
        try group.checkAgreement(synchronizesBatchNorm ? "synchronized" : "each process's own",
                                 what: "the batch normalization statistics")
        try group.checkAgreement(gradientPrecision.rawValue, what: "the gradient precision")
        try broadcastState(of: model)
        for layer in batchNormalizations(in: model) { layer.statisticsGroup = synchronizesBatchNorm ? group : nil }
    }

    /// Returns `model`'s batch normalizations to each process's own statistics, as ``Trainer``
    /// does when a run ends: a model trained on alone afterwards must not wait for the group.
    public func endSynchronization(of model: some Layer<Scalar>) {
        for layer in batchNormalizations(in: model) { layer.statisticsGroup = nil }
    }

    /// The batch normalization layers of `layer` and its sublayers.
    private func batchNormalizations(in layer: any Layer<Scalar>) -> [BatchNorm1d<Scalar>] {
        if let norm = layer as? BatchNorm1d<Scalar> { return [norm] }
        if let norm = layer as? BatchNorm2d<Scalar> { return [norm.channelNorm] }
        return layer.sublayers.flatMap { batchNormalizations(in: $0.layer) }
    }

    /// Copies rank 0's parameters and buffers (running statistics) to every other process.
    public func broadcastState(of model: some Layer<Scalar>) throws {
        for (_, parameter) in model.stateEntries { try group.broadcast(&parameter.value) }
    }

    /// Copies rank 0's buffers (running statistics) to every other process.
    public func broadcastBuffers(of model: some Layer<Scalar>) throws {
        for (_, parameter) in model.namedBuffers { try group.broadcast(&parameter.value) }
    }

    /// Back-propagates `loss` (this process's mean loss over its share, or `nil` when its share
    /// is empty) scaled by `weight` (its share of the global batch), and sums every parameter's
    /// gradient over the processes as backward completes it: afterwards each parameter holds
    /// Σ over processes of weight·∂loss/∂parameter, the gradient of the global batch's mean loss
    /// (each term and partial sum rounded to ``gradientPrecision`` when that is 16-bit).
    public func backward(_ loss: Tensor<Scalar>?, weight: Double, parameters: [Parameter<Scalar>]) throws {
        // Frozen parameters get no gradient to reduce (every process freezes the same ones).
        var reducer = BucketReducer(parameters: parameters.filter { !$0.isFrozen }, capacity: bucketCapacity, group: group,
                                    format: gradientPrecision.sixteenBitFormat)
        try reducer.useReductionBuffer()
        if let loss {
            require(loss.count == 1, "DataParallel.backward: the loss must have one element, shape is \(loss.shape)")
            var failure: (any Error)?
            loss.backward(seed: Tensor(filledWith: Scalar(weight), shape: loss.shape)) { leaf in
                guard failure == nil else { return }
                do { try reducer.gradientIsReady(leaf) } catch { failure = error }
            }
            if let failure { throw failure }
        }
        try reducer.finish()
    }
}

/// The buckets of one step's gradient reduction (see ``DataParallel``).
private struct BucketReducer<Scalar: TensorScalar> {
    struct Bucket {
        var members: [Int]
        var waiting: Int
        /// Where the bucket's gradients were packed and summed: `packed`'s memory or the group's reduction buffer.
        var summed: UnsafeMutablePointer<Scalar>?
        var packed: TensorStorage<Scalar>?
        var sixteenBit: SixteenBitBuffer?
        var pending: (any PendingReduction)?
    }

    let parameters: [Parameter<Scalar>]
    let group: any ProcessGroup
    /// The 16-bit format the buckets are sent in, or `nil` to send the scalars themselves.
    let format: SixteenBitFormat?
    var buckets: [Bucket] = []
    var bucketOf: [ObjectIdentifier: Int] = [:]
    var launched = 0
    /// The group's reduction buffer, holding every bucket one after another (full precision only).
    var shared: UnsafeMutableBufferPointer<Scalar>?
    var sharedOffsets: [Int] = []

    /// Buckets in reverse parameter order (the order backward usually completes gradients).
    init(parameters: [Parameter<Scalar>], capacity: Int, group: any ProcessGroup, format: SixteenBitFormat?) {
        (self.parameters, self.group, self.format) = (parameters, group, format)
        var current: [Int] = [], bytes = 0
        for index in parameters.indices.reversed() {
            let size = parameters[index].value.count * MemoryLayout<Scalar>.stride
            if !current.isEmpty && bytes + size > capacity {
                buckets.append(Bucket(members: current, waiting: current.count))
                (current, bytes) = ([], 0)
            }
            current.append(index)
            bytes += size
        }
        if !current.isEmpty { buckets.append(Bucket(members: current, waiting: current.count)) }
        for (number, bucket) in buckets.enumerated() {
            for index in bucket.members {
                if let node = parameters[index].value.node { bucketOf[ObjectIdentifier(node)] = number }
            }
        }
    }

    /// Asks the group for a reduction buffer for every bucket (sent at full precision).
    mutating func useReductionBuffer() throws {
        guard format == nil else { return }
        var offset = 0
        sharedOffsets = buckets.map { bucket in
            defer { offset += bucket.members.reduce(0) { $0 + parameters[$1].value.count } }
            return offset
        }
        shared = try group.reductionBuffer(count: offset, of: Scalar.self)
    }

    /// Marks the parameter of `leaf` complete and starts every bucket, in order, whose gradients are all complete.
    mutating func gradientIsReady(_ leaf: AutogradNode<Scalar>) throws {
        for started in buckets[..<launched] { try started.pending?.poll() }
        guard let number = bucketOf.removeValue(forKey: ObjectIdentifier(leaf)) else { return }
        buckets[number].waiting -= 1
        while launched < buckets.count && buckets[launched].waiting == 0 {
            try launch(launched)
            launched += 1
        }
    }

    /// Starts the buckets not started yet (their gradients, if any, are complete: backward has
    /// ended), waits for every reduction and unpacks the packed buckets.
    mutating func finish() throws {
        while launched < buckets.count {
            try launch(launched)
            launched += 1
        }
        for number in buckets.indices {
            try buckets[number].pending?.wait()
            if let format, let sent = buckets[number].sixteenBit {
                var offset = 0
                for index in buckets[number].members {
                    Scalar._kernelDecodeSixteenBit(bits: sent.base + offset, values: gradientBuffer(index),
                                                   count: parameters[index].value.count, format: format)
                    offset += parameters[index].value.count
                }
                continue
            }
            guard let summed = buckets[number].summed else { continue }
            var offset = 0
            for index in buckets[number].members {
                let node = parameters[index].value.node!
                node.withGradientBuffer { buffer, _ in copyScalars(to: buffer, from: summed + offset, count: node.count) }
                offset += node.count
            }
        }
    }

    /// The gradient buffer of parameter `index`, dense and holding values (zeros when backward gave it none).
    private func gradientBuffer(_ index: Int) -> UnsafeMutablePointer<Scalar> {
        let node = parameters[index].value.node!
        var pointer: UnsafeMutablePointer<Scalar>?
        node.withGradientBuffer { buffer, holdsValues in
            if !holdsValues { zeroFill(buffer, count: node.count) }
            pointer = buffer
        }
        return pointer!  // the node keeps the buffer; nothing else touches it until the step ends
    }

    private mutating func launch(_ number: Int) throws {
        let members = buckets[number].members
        if let format {
            let total = members.reduce(0) { $0 + parameters[$1].value.count }
            let sent = SixteenBitBuffer(count: total)
            var offset = 0
            for index in members {
                Scalar._kernelEncodeSixteenBit(values: gradientBuffer(index), bits: sent.base + offset,
                                               count: parameters[index].value.count, format: format)
                offset += parameters[index].value.count
            }
            buckets[number].sixteenBit = sent
            buckets[number].pending = try group.startAllReduceSum(UnsafeMutableBufferPointer(start: sent.base, count: total),
                                                                  format: format)
            return
        }
        if members.count == 1 && shared == nil {
            let buffer = gradientBuffer(members[0])
            buckets[number].pending = try group.startAllReduceSum(
                UnsafeMutableBufferPointer(start: buffer, count: parameters[members[0]].value.count))
            return
        }
        let total = members.reduce(0) { $0 + parameters[$1].value.count }
        let destination: UnsafeMutablePointer<Scalar>
        if let shared {
            destination = shared.baseAddress! + sharedOffsets[number]
        } else {
            let packed = TensorStorage<Scalar>(uninitializedCount: total)
            buckets[number].packed = packed
            destination = packed.base
        }
        var offset = 0
        for index in members {
            let count = parameters[index].value.count
            copyScalars(to: destination + offset, from: gradientBuffer(index), count: count)
            offset += count
        }
        buckets[number].summed = destination
        buckets[number].pending = try group.startAllReduceSum(UnsafeMutableBufferPointer(start: destination, count: total))
    }
}

/// A bucket's gradients as 16-bit patterns, kept until its reduction is waited for (from the
/// buffer pool, as tensors' storage: the next step's bucket reuses it).
private final class SixteenBitBuffer {
    let count: Int
    let base: UnsafeMutablePointer<UInt16>

    init(count: Int) {
        self.count = count
        base = BufferPool.allocate(byteCount: count * MemoryLayout<UInt16>.stride).bindMemory(to: UInt16.self,
                                                                                            capacity: Swift.max(count, 1))
    }

    deinit { BufferPool.release(UnsafeMutableRawPointer(base), byteCount: count * MemoryLayout<UInt16>.stride) }
}

extension Dataset {
    /// A 64-bit hash of the targets, their shape and the features' bytes: equal data, equal hash (used to
    /// check that the processes of a data-parallel run train on the same examples).
    ///
    /// Each 8-byte word is mixed in as by FNV-1a (xor, then multiply by its prime), and a xor-shift then
    /// carries the product's high bits down: a multiply alone spreads a difference only upward, so changes
    /// in the high bits of two words could cancel.
    public var contentHash: String {
        func step(_ hash: UInt64, _ word: UInt64) -> UInt64 {
            let product = (hash ^ word) &* 0x0000_0100_0000_01b3
            return product ^ (product >> 32)
        }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ word: UInt64) { hash = step(hash, word) }
        func mix(_ tensor: Tensor<Scalar>) {
            // Mixed into a variable of the closure's own: a captured one is checked for exclusive access at every word.
            hash = tensor.withUnsafeBufferPointer { [hash] buffer in
                let bytes = UnsafeRawBufferPointer(buffer)
                var mixed = hash, offset = 0
                while offset + 8 <= bytes.count {
                    mixed = step(mixed, bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                    offset += 8
                }
                while offset < bytes.count {
                    mixed = step(mixed, UInt64(bytes[offset]))
                    offset += 1
                }
                return mixed
            }
        }
        switch targets {
        case .classes(let indices): for label in indices.values { mix(UInt64(bitPattern: Int64(label))) }
        case .values(let values): mix(values)
        }
        for extent in labelShape { mix(UInt64(extent)) }
        mix(features)
        return String(hash, radix: 16)
    }
}
