import Testing
@testable import EasyNets

/// A checkpoint keeps its recipe's optimizer, learning rate, schedule and epochs; a resumed recipe
/// takes them back, and one that would change the schedule mid-run is refused with both values.
@Suite struct TrainingRecipeResumeTests {
    let started = TrainingRecipe(optimizer: .adamw, learningRate: 0.003, schedule: .cosine, epochs: 6)

    @Test func theKeptValuesComeBack() throws {
        let resumed = TrainingRecipe.standard.resuming(checkpointExtra: started.checkpointExtra)
        #expect(resumed == TrainingRecipe(optimizer: .adamw, learningRate: 0.003, schedule: .cosine, epochs: 6))
        try resumed.checkContinues(checkpointExtra: started.checkpointExtra, path: "p")
        // A checkpoint without them (written before they were kept), or with unreadable ones, changes nothing.
        #expect(TrainingRecipe.standard.resuming(checkpointExtra: [:]) == .standard)
        let garbled = ["recipe.epochs": "-3", "recipe.learning_rate": "nan", "recipe.schedule": "zigzag", "recipe.optimizer": ""]
        #expect(TrainingRecipe.standard.resuming(checkpointExtra: garbled) == .standard)
        try TrainingRecipe.standard.checkContinues(checkpointExtra: [:], path: "p")
    }

    @Test func aChangedScheduleIsRefused() {
        func refusal(_ change: (inout TrainingRecipe) -> Void) -> String? {
            var recipe = started
            change(&recipe)
            do { try recipe.checkContinues(checkpointExtra: started.checkpointExtra, path: "run.safetensors") } catch let error as CheckpointError {
                #expect(error.path == "run.safetensors")
                return error.reason
            } catch { return "\(error)" }
            return nil
        }
        #expect(refusal { $0.epochs = 12 }?.hasPrefix("its run was started with 6 epochs (its cosine schedule spans them), this one has 12") == true)
        #expect(refusal { $0.learningRate = 0.001 }?.hasPrefix("its run was started with the learning rate 0.003, this one has 0.001") == true)
        #expect(refusal { $0.schedule = .step }?.hasPrefix("its run was started with the schedule cosine, this one has step") == true)
        #expect(refusal { $0.optimizer = .sgd }?.hasPrefix("its run was started with the optimizer adamw, this one has sgd") == true)
        // Settings the schedule does not depend on may change.
        #expect(refusal { $0.batchSize = 7; $0.weightDecay = 0.5 } == nil)
        // A constant rate, an exponential one or a plateau does not span the run: more epochs extend it.
        for schedule in [ScheduleKind.none, .exponential, .plateau] {
            var constant = started
            constant.schedule = schedule
            var longer = constant
            longer.epochs = 20
            #expect(throws: Never.self) { try longer.checkContinues(checkpointExtra: constant.checkpointExtra, path: "p") }
        }
    }
}
