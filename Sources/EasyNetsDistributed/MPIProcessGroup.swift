import CMPI
import EasyNets
import Foundation

/// The processes of an Open MPI job (`mpirun -np N …`) as a ``ProcessGroup``: rank and size of
/// `MPI_COMM_WORLD`, and its collectives (`MPI_Bcast`, `MPI_Allreduce`, `MPI_Iallreduce`). When
/// every process runs on one host, ``reductionBuffer(count:of:)`` gives a slot of a window they
/// all map (`MPI_Win_allocate_shared`), where sums need no copy through MPI.
///
/// Create one per process, before training, and call ``finalize()`` at the end. MPI is called
/// only from the thread that created the group (`MPI_THREAD_FUNNELED`); EasyNets' own worker
/// threads never call it. A failed MPI call ends the job (Open MPI's default error handler).
///
/// ```swift
/// let group = try MPIProcessGroup()
/// defer { group.finalize() }
/// let trainer = Trainer(model: model, optimizer: optimizer, loader: loader,
///                       dataParallel: DataParallel(group: group))
/// ```
public final class MPIProcessGroup: ProcessGroup {
    public let rank: Int
    public let size: Int
    private let communicator: MPI_Comm

    /// Joins the job's `MPI_COMM_WORLD`, initializing MPI if nothing has yet.
    public init() throws {
        var initialized: Int32 = 0
        MPI_Initialized(&initialized)
        if initialized == 0 {
            var provided: Int32 = 0
            let status = MPI_Init_thread(nil, nil, Int32(MPI_THREAD_FUNNELED), &provided)
            guard status == MPI_SUCCESS else { throw DistributedError(rank: -1, reason: "MPI_Init_thread failed (\(status))") }
        }
        communicator = easynets_mpi_comm_world()
        var rank: Int32 = 0, size: Int32 = 0
        MPI_Comm_rank(communicator, &rank)
        MPI_Comm_size(communicator, &size)
        (self.rank, self.size) = (Int(rank), Int(size))
        // The processes share memory when all of them run on this host.
        var host = easynets_mpi_comm_null()
        let status = MPI_Comm_split_type(communicator, easynets_mpi_comm_type_shared(), 0, easynets_mpi_info_null(), &host)
        guard status == MPI_SUCCESS else { throw DistributedError(rank: Int(rank), reason: "MPI_Comm_split_type failed (\(status))") }
        var hostSize: Int32 = 0
        MPI_Comm_size(host, &hostSize)
        MPI_Comm_free(&host)
        sharesMemory = size > 1 && hostSize == size
    }

    /// Ends MPI in this process (once, after the last collective).
    public func finalize() {
        var finalized: Int32 = 0
        MPI_Finalized(&finalized)
        guard finalized == 0 else { return }
        for op in sixteenBitSums.values {
            var freed: MPI_Op? = op
            MPI_Op_free(&freed)
        }
        freeWindow()
        MPI_Finalize()
    }

    // MARK: Sums in shared memory

    /// Whether every process of the job runs on this host, so they can sum in a shared window.
    private let sharesMemory: Bool
    /// The window of ``reductionBuffer(count:of:)``: one slot of `slotBytes` per process, each
    /// process's at `slots[rank]`, all mapped into every process.
    private var window: MPI_Win?
    private var slots: [UnsafeMutableRawPointer] = []
    private var slotBytes = 0
    /// The smallest slot size that did not fit in the host's shared memory.
    private var declinedBytes = Int.max

    /// A slot of a window that all processes map, when they run on one host (and reductions are
    /// blocking): each process packs its values into its slot, and ``allReduceSum(_:)`` of a
    /// range of it sums that range across the slots in place, each process a 1/size share, with
    /// no copy through MPI. Every process gets the same bits: each element is summed once, by
    /// one process, in rank order. `nil` when the window would take more than half of the free
    /// space in `/dev/shm`, where Open MPI keeps it, on any process (a full `/dev/shm`, as in a
    /// small container, would end the job); the processes then sum through `MPI_Allreduce`.
    public func reductionBuffer<Scalar: TensorScalar>(count: Int, of type: Scalar.Type) throws -> UnsafeMutableBufferPointer<Scalar>? {
        guard sharesMemory, !nonblockingReductions, count > 0 else { return nil }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: MemoryLayout<Scalar>.stride)
        guard !overflow, bytes <= Int.max - 4095 else {
            throw DistributedError(rank: rank, reason: "a reduction buffer of \(count) \(Scalar.self) values is too large")
        }
        if bytes > slotBytes {
            // Collective: every process asks for the same count, and all agree whether it fits.
            guard bytes < declinedBytes else { return nil }
            let rounded = (bytes + 4095) / 4096 * 4096
            var fits: Int32 = rounded <= Self.freeSharedMemory() / 2 / size ? 1 : 0
            try check(MPI_Allreduce(easynets_mpi_in_place(), &fits, 1, easynets_mpi_int(), easynets_mpi_min(), communicator),
                      "MPI_Allreduce")
            guard fits == 1 else {
                declinedBytes = bytes
                return nil
            }
            freeWindow()
            var base: UnsafeMutableRawPointer?
            var made = easynets_mpi_win_null()
            try check(MPI_Win_allocate_shared(MPI_Aint(rounded), 1, easynets_mpi_info_null(), communicator, &base, &made),
                      "MPI_Win_allocate_shared")
            window = made
            slots = try (0..<size).map { owner in
                var length: MPI_Aint = 0, unit: Int32 = 0
                var slot: UnsafeMutableRawPointer?
                try check(MPI_Win_shared_query(made, Int32(owner), &length, &unit, &slot), "MPI_Win_shared_query")
                guard let slot, Int(length) >= rounded else {
                    throw DistributedError(rank: rank, reason: "MPI_Win_shared_query gave no slot of \(rounded) bytes for rank \(owner)")
                }
                return slot
            }
            try check(MPI_Win_lock_all(Int32(easynets_mpi_mode_nocheck()), made), "MPI_Win_lock_all")
            slotBytes = rounded
        }
        return UnsafeMutableBufferPointer(start: slots[rank].assumingMemoryBound(to: Scalar.self), count: count)
    }

    /// Sums `values`, a range of this process's slot, across the slots: every process adds its
    /// share of the range over all slots (in rank order) and writes the sum into every slot.
    private func sumInWindow<Scalar: TensorScalar>(_ values: UnsafeMutableBufferPointer<Scalar>) throws -> Bool {
        guard let window, let base = values.baseAddress else { return false }
        let offset = UnsafeMutableRawPointer(base) - slots[rank]
        guard offset >= 0, offset + values.count * MemoryLayout<Scalar>.stride <= slotBytes else { return false }
        try synchronizeWindow(window)
        // Shares of whole cache lines (16 scalars), so no two processes write one line.
        let share = ((values.count + size - 1) / size + 15) / 16 * 16
        let start = Swift.min(rank * share, values.count), count = Swift.min(share, values.count - start)
        if count > 0 {
            let slot = { (owner: Int) in (self.slots[owner] + offset).assumingMemoryBound(to: Scalar.self) + start }
            let sum = slot(0)
            for owner in 1..<size { Scalar._blasAxpy(count: count, alpha: 1, x: slot(owner), incX: 1, y: sum, incY: 1) }
            for owner in 1..<size {
                UnsafeMutableRawPointer(slot(owner)).copyMemory(from: sum, byteCount: count * MemoryLayout<Scalar>.stride)
            }
        }
        try synchronizeWindow(window)
        return true
    }

    /// The bytes free in `/dev/shm` (0 where there is none).
    private static func freeSharedMemory() -> Int {
        var status = statvfs()
        guard statvfs("/dev/shm", &status) == 0 else { return 0 }
        let (free, overflow) = Int(clamping: status.f_bavail).multipliedReportingOverflow(by: Int(clamping: status.f_frsize))
        return overflow ? Int.max : free
    }

    /// Makes every process's writes to the window visible to all, once all have reached here.
    private func synchronizeWindow(_ window: MPI_Win) throws {
        try check(MPI_Win_sync(window), "MPI_Win_sync")
        try check(MPI_Barrier(communicator), "MPI_Barrier")
        try check(MPI_Win_sync(window), "MPI_Win_sync")
    }

    private func freeWindow() {
        guard let open = window else { return }
        MPI_Win_unlock_all(open)
        var freed: MPI_Win? = open
        MPI_Win_free(&freed)
        (window, slots, slotBytes) = (nil, [], 0)
    }

    /// The `MPI_Op` of each 16-bit format's sum, made when first used.
    private var sixteenBitSums: [SixteenBitFormat: MPI_Op] = [:]

    private func sixteenBitSum(_ format: SixteenBitFormat) throws -> MPI_Op {
        if let op = sixteenBitSums[format] { return op }
        // MPI calls the function with its own buffers: `count` bit patterns of `input` are added
        // into `accumulated` (MPI's inoutvec). A C function pointer cannot capture the format.
        var op = easynets_mpi_op_null()
        let status: Int32
        switch format {
        case .bfloat16:
            status = MPI_Op_create({ input, accumulated, count, _ in MPIProcessGroup.addBitPatterns(input, accumulated, count, .bfloat16) },
                                   1, &op)
        case .float16:
            status = MPI_Op_create({ input, accumulated, count, _ in MPIProcessGroup.addBitPatterns(input, accumulated, count, .float16) },
                                   1, &op)
        }
        try check(status, "MPI_Op_create")
        guard let op else { throw DistributedError(rank: rank, reason: "MPI_Op_create gave no operation") }
        sixteenBitSums[format] = op
        return op
    }

    private static func addBitPatterns(_ input: UnsafeMutableRawPointer?, _ accumulated: UnsafeMutableRawPointer?,
                                       _ count: UnsafeMutablePointer<Int32>?, _ format: SixteenBitFormat) {
        guard let input, let accumulated, let count else { return }
        format.add(input.assumingMemoryBound(to: UInt16.self), into: accumulated.assumingMemoryBound(to: UInt16.self),
                   count: Int(count.pointee))
    }

    public func barrier() throws {
        try check(MPI_Barrier(communicator), "MPI_Barrier")
    }

    public func broadcast(_ bytes: UnsafeMutableRawBufferPointer, root: Int) throws {
        guard let base = bytes.baseAddress else { return }
        for (offset, count) in Self.pieces(bytes.count) {
            try check(MPI_Bcast(base + offset, count, easynets_mpi_byte(), Int32(root), communicator), "MPI_Bcast")
        }
    }

    public func allReduceSum<Scalar: TensorScalar>(_ values: UnsafeMutableBufferPointer<Scalar>) throws {
        if try sumInWindow(values) { return }
        guard let base = values.baseAddress else { return }
        let type = try datatype(Scalar.self)
        for (offset, count) in Self.pieces(values.count) {
            try check(MPI_Allreduce(easynets_mpi_in_place(), base + offset, count, type, easynets_mpi_sum(), communicator),
                      "MPI_Allreduce")
        }
    }

    /// Reduces at once with `MPI_Allreduce` when ``nonblockingReductions`` is off (the default),
    /// else starts an `MPI_Iallreduce`.
    public func startAllReduceSum<Scalar: TensorScalar>(_ values: UnsafeMutableBufferPointer<Scalar>) throws -> any PendingReduction {
        guard nonblockingReductions else {
            try allReduceSum(values)
            return Request(requests: [], group: self)
        }
        let type = try datatype(Scalar.self)
        var requests: [MPI_Request?] = []
        if let base = values.baseAddress {
            for (offset, count) in Self.pieces(values.count) {
                var request = easynets_mpi_request_null()
                try check(MPI_Iallreduce(easynets_mpi_in_place(), base + offset, count, type, easynets_mpi_sum(), communicator, &request),
                          "MPI_Iallreduce")
                requests.append(request)
            }
        }
        return Request(requests: requests, group: self)
    }

    /// Sums the bit patterns with an `MPI_Op` of the format on `MPI_UINT16_T` (`MPI_Allreduce`,
    /// or `MPI_Iallreduce` with ``nonblockingReductions``): 2 bytes a value cross between processes.
    public func startAllReduceSum(_ values: UnsafeMutableBufferPointer<UInt16>, format: SixteenBitFormat) throws -> any PendingReduction {
        let op = try sixteenBitSum(format)
        var requests: [MPI_Request?] = []
        if let base = values.baseAddress {
            for (offset, count) in Self.pieces(values.count) {
                if nonblockingReductions {
                    var request = easynets_mpi_request_null()
                    try check(MPI_Iallreduce(easynets_mpi_in_place(), base + offset, count, easynets_mpi_uint16(), op, communicator,
                                             &request), "MPI_Iallreduce")
                    requests.append(request)
                } else {
                    try check(MPI_Allreduce(easynets_mpi_in_place(), base + offset, count, easynets_mpi_uint16(), op, communicator),
                              "MPI_Allreduce")
                }
            }
        }
        return Request(requests: requests, group: self)
    }

    /// Whether gradient buckets are reduced by nonblocking `MPI_Iallreduce`, left to move while
    /// backward computes, instead of a blocking `MPI_Allreduce` as each bucket completes.
    ///
    /// Off by default, because measured slower: with 2 processes on 2 cores, the `large` MLP
    /// trained at 11 500 samples/s with `MPI_Iallreduce` and 13 400 with `MPI_Allreduce`. Open
    /// MPI advances a nonblocking collective only inside MPI calls (here between backward's ops),
    /// its nonblocking algorithm for large messages is slower than the blocking one's, and no
    /// core is free to move data while every core computes. Turn it on where each process has a
    /// core or a network adapter to spare.
    public var nonblockingReductions = false

    public func abort(_ message: String) -> Never {
        FileHandle.standardError.write(Data("error: rank \(rank) of \(size): \(message)\n".utf8))
        MPI_Abort(communicator, 1)
        exit(1)
    }

    /// Splits `count` elements into pieces MPI's `int` counts can carry.
    private static func pieces(_ count: Int) -> [(offset: Int, count: Int32)] {
        let largest = Int(Int32.max)
        return stride(from: 0, to: count, by: largest).map { ($0, Int32(Swift.min(largest, count - $0))) }
    }

    private func datatype<Scalar: TensorScalar>(_: Scalar.Type) throws -> MPI_Datatype {
        guard let scalar = Scalar.self as? any MPIScalar.Type else {
            throw DistributedError(rank: rank, reason: "MPIProcessGroup reduces Float and Double tensors, not \(Scalar.self)")
        }
        return scalar.mpiDatatype
    }

    private func check(_ status: Int32, _ call: String) throws {
        guard status == MPI_SUCCESS else { throw DistributedError(rank: rank, reason: "\(call) failed (MPI error \(status))") }
    }

    /// Nonblocking reductions in flight.
    private final class Request: PendingReduction {
        var requests: [MPI_Request?]
        let group: MPIProcessGroup

        init(requests: [MPI_Request?], group: MPIProcessGroup) {
            (self.requests, self.group) = (requests, group)
        }

        func wait() throws {
            for index in requests.indices {
                try group.check(MPI_Wait(&requests[index], easynets_mpi_status_ignore()), "MPI_Wait")
            }
        }

        func poll() throws {
            for index in requests.indices {
                var done: Int32 = 0
                try group.check(MPI_Test(&requests[index], &done, easynets_mpi_status_ignore()), "MPI_Test")
            }
        }
    }
}

/// The element types ``MPIProcessGroup`` reduces, each with its MPI datatype.
protocol MPIScalar {
    static var mpiDatatype: MPI_Datatype { get }
}

extension Float: MPIScalar {
    static var mpiDatatype: MPI_Datatype { easynets_mpi_float() }
}

extension Double: MPIScalar {
    static var mpiDatatype: MPI_Datatype { easynets_mpi_double() }
}
