import ArgumentParser
import EasyNets

/// `easynets generate`: text sampled from a language model trained with `--dataset text`.
struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Sample text from a character-level language model's checkpoint (easynets train --dataset text).")

    @Option(help: "Checkpoint of easynets train --dataset text (it carries the model and its characters).")
    var checkpoint: String

    @Option(help: "The text to continue (default: the start of a fortune).")
    var prompt: String = ""

    @Option(parsing: .unconditional, help: "Characters to generate.")
    var length: Int = 300

    @Option(parsing: .unconditional, help: "Sampling temperature: lower is more predictable, higher more varied; 0 takes the most likely character.")
    var temperature: Double = 0.8

    @Option(parsing: .unconditional, help: "Random seed of the sampling.")
    var seed: UInt64 = 0

    @OptionGroup var memory: MemoryOptions

    func validate() throws {
        guard (0...1_000_000).contains(length) else { throw ValidationError("--length must be in 0...1000000") }
        guard temperature >= 0 && temperature <= 1000 else { throw ValidationError("--temperature must be in 0...1000") }
    }

    func run() throws {
        memory.apply()
        try reportingErrors {
            let sampler = try TextSampler<Float>(checkpoint: SafeTensorsFile(contentsOfFile: checkpoint), path: checkpoint)
            var generator = RandomGenerator(seed: seed)
            let text: String
            do { text = try sampler.continuation(of: prompt, length: length, temperature: temperature, using: &generator) } catch let error as DataError {
                throw ValidationError("--prompt: \(error.location): \(error.reason) of \(checkpoint)")
            }
            print(prompt + text)
        }
    }
}
