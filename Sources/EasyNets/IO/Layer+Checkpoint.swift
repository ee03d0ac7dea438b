/// The state-dict keys of a checkpoint that do not fit a model.
public struct StateMismatch: Sendable, Equatable, CustomStringConvertible {
    /// Keys the model has and the file lacks.
    public var missing: [String]
    /// Keys the file has and the model lacks.
    public var unexpected: [String]
    /// Keys present in both with different shapes.
    public var shapeMismatches: [(key: String, model: [Int], file: [Int])]

    /// Whether the model and the file agree on every key and shape.
    public var isEmpty: Bool { missing.isEmpty && unexpected.isEmpty && shapeMismatches.isEmpty }

    public var description: String {
        var parts: [String] = []
        if !missing.isEmpty { parts.append("missing keys: \(missing.joined(separator: ", "))") }
        if !unexpected.isEmpty { parts.append("unexpected keys: \(unexpected.joined(separator: ", "))") }
        if !shapeMismatches.isEmpty {
            parts.append("shape mismatches: " + shapeMismatches.map { "\($0.key) (model \($0.model), file \($0.file))" }
                .joined(separator: ", "))
        }
        return parts.joined(separator: "; ")
    }

    /// Equal when the same keys are missing, unexpected and shape-mismatched (the shapes
    /// themselves are not compared).
    public static func == (a: StateMismatch, b: StateMismatch) -> Bool {
        a.missing == b.missing && a.unexpected == b.unexpected
            && a.shapeMismatches.map(\.key) == b.shapeMismatches.map(\.key)
    }
}

extension Layer {
    /// The model's state dict (parameters and buffers) as safetensors entries, in PyTorch's names
    /// and dtypes: `F32` for `Float`, `F64` for `Double`, `I64` for integer buffers.
    public func stateEntries(prefix: String = "") -> [String: SafeTensorsEntry] {
        let floatType = Scalar._safeTensorsDType
        var result: [String: SafeTensorsEntry] = [:]
        for (name, parameter) in stateEntries {
            result[prefix + name] = SafeTensorsEntry(parameter.value, as: parameter.isInteger ? .int64 : floatType)
        }
        return result
    }

    /// Writes the state dict to a safetensors file, atomically, with the model's description in
    /// the metadata (`model`) when it has one (PyTorch ignores it).
    public func saveState(toFile path: String) throws {
        let description = try (try? describe()).map { try $0.jsonString() }
        try SafeTensorsFile(entries: stateEntries(), metadata: description.map { ["model": $0] } ?? [:]).write(toFile: path)
    }

    /// Reads a safetensors state dict (e.g. saved by PyTorch with `safetensors.torch.save_file`)
    /// into the model. Strict loading (the default) first checks every key and shape and throws a
    /// ``CheckpointError`` listing every missing, unexpected and shape-mismatched key, changing
    /// nothing; non-strict loading sets the keys that match and returns the mismatch.
    @discardableResult
    public func loadState(fromFile path: String, strict: Bool = true) throws -> StateMismatch {
        try loadState(from: SafeTensorsFile(contentsOfFile: path), path: path, strict: strict)
    }

    /// Every key and shape difference between the model's state dict and `file`'s entries
    /// under `prefix`.
    public func stateMismatch(with file: SafeTensorsFile, prefix: String = "") -> StateMismatch {
        let own = stateEntries
        let fileKeys = Set(file.entries.keys.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) })
        let modelKeys = Set(own.map(\.name))
        var mismatch = StateMismatch(missing: own.map(\.name).filter { !fileKeys.contains($0) },
                                     unexpected: fileKeys.subtracting(modelKeys).sorted(), shapeMismatches: [])
        for (name, parameter) in own {
            if let entry = file.entries[prefix + name], entry.shape != parameter.shape {
                mismatch.shapeMismatches.append((name, parameter.shape, entry.shape))
            }
        }
        return mismatch
    }

    /// Loads a state dict from parsed entries (see ``loadState(fromFile:strict:)``).
    @discardableResult
    public func loadState(from file: SafeTensorsFile, prefix: String = "", path: String = "<memory>",
                          strict: Bool = true) throws -> StateMismatch {
        let mismatch = stateMismatch(with: file, prefix: prefix)
        if strict && !mismatch.isEmpty {
            throw CheckpointError(path: path, reason: "state dict does not match the model: \(mismatch)")
        }
        // Integer buffers (a count such as num_batches_tracked) are saved as I64 again: whole numbers only.
        for (name, parameter) in stateEntries where parameter.isInteger {
            guard let entry = file.entries[prefix + name], entry.shape == parameter.shape else { continue }
            if let bad = entry.tensor(as: Double.self).scalars.first(where: { !($0.rounded() == $0 && Swift.abs($0) <= 0x1p53) }) {
                throw CheckpointError(path: path, reason: "\"\(prefix + name)\" holds \(bad), not a count")
            }
        }
        for (name, parameter) in stateEntries {
            guard let entry = file.entries[prefix + name], entry.shape == parameter.shape else { continue }
            parameter.assign(entry.tensor(as: Scalar.self))
        }
        return mismatch
    }
}
