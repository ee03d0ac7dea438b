import Foundation

/// A live progress bar on a terminal (batches, running loss, samples/s, ETA), or a few plain
/// lines per epoch when standard output is not a terminal.
final class ProgressReporter {
    let batches: Int
    let isTerminal = isatty(STDOUT_FILENO) != 0
    private var epochLabel = ""
    private var lastDraw = ContinuousClock.now
    private var lastPlainDecile = 0

    init(batches: Int) { self.batches = batches }

    func start(epoch: Int, of total: Int) {
        epochLabel = "epoch \(epoch)/\(total)"
        lastPlainDecile = 0
    }

    func update(batch: Int, loss: Double, samples: Int, elapsed: Duration) {
        let seconds = elapsed.inSeconds
        let rate = seconds > 0 ? Double(samples) / seconds : 0
        let eta = batch > 0 ? seconds / Double(batch) * Double(batches - batch) : 0
        let status = "\(batch)/\(batches) loss \(String(format: "%.4f", loss)) \(Int(rate)) samples/s ETA \(String(format: "%.1f", eta)) s"
        if isTerminal {
            let now = ContinuousClock.now
            guard batch == batches || lastDraw.duration(to: now) > .milliseconds(100) else { return }
            lastDraw = now
            let width = 30
            let filled = batches == 0 ? width : width * batch / batches
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            print("\r\(epochLabel) [\(bar)] \(status)\u{1B}[K", terminator: "")
            fflush(nil)  // all output streams; `stdout` itself is not concurrency-safe to name
        } else {
            let decile = batches == 0 ? 10 : batch * 4 / batches
            if decile > lastPlainDecile {
                lastPlainDecile = decile
                print("\(epochLabel) \(status)")
            }
        }
    }

    func finish() {
        if isTerminal { print("") }
    }
}
