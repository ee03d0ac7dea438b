import ArgumentParser
import EasyNets
import EasyNetsBenchmarks

// The library's names double as flag values (`--optimizer adam`, `--schedule cosine`,
// `bench --config small`), so the flags and the library cannot drift apart.
extension OptimizerKind: ExpressibleByArgument {}
extension ScheduleKind: ExpressibleByArgument {}
extension LossKind: ExpressibleByArgument {}
extension GradientPrecision: ExpressibleByArgument {}
extension BenchmarkSuite.Workload: ExpressibleByArgument {}
