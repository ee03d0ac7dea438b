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

    /// "TensorBoard: runs/mlp (training waited 0.004 s for it, 0.07% of the 6.0 s of training;
    /// writing took 0.031 s in the background)".
    func report(_ writer: TensorBoardWriter<Float>, trainer: Trainer<Float>) -> String {
        let training = trainer.history.reduce(0) { $0 + $1.seconds }
        let share = training > 0 ? ", \(String(100 * writer.secondsSpent / training, style: .fixed(2)))% of the "
            + "\(String(training, style: .fixed(1))) s of training" : ""
        return "TensorBoard: \(writer.directory) (training waited \(String(writer.secondsSpent, style: .fixed(3))) s for it\(share); "
            + "writing took \(String(writer.backgroundSeconds, style: .fixed(3))) s in the background)"
    }

    /// The observer writing the run with `settings` as its hyperparameters, if a folder was given.
    func writer(settings: [String: Hyperparameter]) -> TensorBoardWriter<Float>? {
        directory.map { TensorBoardWriter(directory: $0, hyperparameters: settings) }
    }
}
