import EasyNets
import EasyNetsTensorBoard

extension Train {
    /// The run's settings as TensorBoard's HParams dashboard lists them: the flags that shape the
    /// model, the data and the optimization (the recipe's values where a flag was left out).
    func settings(recipe: TrainingRecipe) -> [String: Hyperparameter] {
        var settings: [String: Hyperparameter] = [
            "model": .text(model), "dataset": .text(data.dataset.rawValue), "task": .text(task.rawValue),
            "epochs": .number(Double(recipe.epochs)), "batch_size": .number(Double(recipe.batchSize)),
            "learning_rate": .number(recipe.learningRate), "optimizer": .text(recipe.optimizer.rawValue),
            "schedule": .text(recipe.schedule.rawValue), "weight_decay": .number(recipe.weightDecay),
            "seed": .number(Double(seed)), "accumulate": .number(Double(recipe.accumulationSteps)),
            "validation_split": .number(validationSplit), "loss": .text((loss ?? task.defaultLoss).rawValue),
        ]
        if preset == .mlp {
            (settings["hidden"], settings["activation"], settings["dropout"]) = (.text(hidden), .text(activation), .number(dropout))
        }
        if let limit { settings["limit"] = .number(Double(limit)) }
        if let clip = recipe.gradientClipNorm { settings["clip_norm"] = .number(clip) }
        if let ema { settings["ema"] = .number(ema) }
        return settings
    }
}
