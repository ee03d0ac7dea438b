import Synchronization

extension RandomGenerator {
    /// The process-wide generator used where no generator is passed (like PyTorch's default
    /// generator); seed it with ``seedShared(_:)`` for reproducible models.
    private static let shared = Mutex(RandomGenerator(seed: 0))

    /// Reseeds the shared generator (as `torch.manual_seed`).
    public static func seedShared(_ seed: UInt64) {
        shared.withLock { $0 = RandomGenerator(seed: seed) }
    }

    /// Runs `body` with exclusive use of the shared generator.
    public static func withShared<R>(_ body: (inout RandomGenerator) throws -> R) rethrows -> R {
        try shared.withLock { generator in try body(&generator) }
    }

    /// The shared generator's current state (for checkpoints).
    public static var sharedState: RandomGenerator {
        get { shared.withLock { $0 } }
        set { shared.withLock { $0 = newValue } }
    }
}
