import ArgumentParser
import EasyNets

/// The shape of one example for `description` (`--input-shape`): the flag's comma-separated
/// sizes, or by default what the model's first layer takes: a linear layer's features, a 1×28×28
/// image for image models, 128 token ids for a model that starts with an embedding, else 784 features.
func exampleShape(_ flag: String?, for description: ModelDescription) throws -> [Int] {
    if let flag {
        let values = flag.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.count <= 8, values.allSatisfy({ (1...(1 << 20)).contains($0 ?? 0) }),
              InputLimits.elementCount(values.map { $0! }) != nil else {
            throw ValidationError("--input-shape takes up to 8 sizes in 1...\(1 << 20), e.g. 1,28,28; got \"\(flag)\"")
        }
        return values.map { $0! }
    }
    if description.takesImages { return FashionMNIST.imageShape }
    switch description.firstLayer {
    case let linear as LinearDescription: return [linear.inputSize]
    case is EmbeddingDescription: return [128]
    default: return [784]
    }
}
