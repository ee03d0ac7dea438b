import EasyNets
import Foundation

/// Set by SIGINT: the trainer stops after the current batch.
let interruptFlag = CancellationFlag()

/// Makes Ctrl-C set ``interruptFlag`` instead of ending the process.
func installInterruptHandler() {
    signal(SIGINT) { _ in interruptFlag.cancel() }
}
