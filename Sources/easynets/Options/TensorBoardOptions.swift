import ArgumentParser
import EasyNets
import EasyNetsTensorBoard

/// `--tensorboard DIR`: the folder a training run's TensorBoard event files go to.
struct TensorBoardOptions: ParsableArguments {
    @Option(name: .customLong("tensorboard"), help: ArgumentHelp(
        "Write TensorBoard event files (losses, metrics, learning rate, histograms, the model summary, the settings) into this folder, created if missing; view them with tensorboard --logdir.",
        valueName: "dir"))
    var directory: String?

    /// Creates the folder and checks it is writable, before any training.
    func check() throws {
        guard let directory else { return }
        do { try TensorBoardWriter<Float>.prepare(directory: directory) } catch let error as DataError {
            throw ValidationError("--tensorboard \(directory): \(error.reason)")
        }
    }

    /// The observer writing the run with `settings` as its hyperparameters, if a folder was given.
    func writer(settings: [String: Hyperparameter]) -> TensorBoardWriter<Float>? {
        directory.map { TensorBoardWriter(directory: $0, hyperparameters: settings) }
    }
}
