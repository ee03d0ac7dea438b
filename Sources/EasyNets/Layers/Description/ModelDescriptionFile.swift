import Foundation

// A description file is checked layer by layer before it is decoded, so that each error names the
// JSON path of the value at fault (`sequential.layers[3].conv2d.kernelSize`), what was expected
// there, and, for a layer kind or field that does not exist, the ones that do.

extension ModelDescription {
    /// `json` checked as a model description, with the fields each layer leaves out set to their
    /// defaults (``LayerDescription/defaultFields``); or why it is not one, naming the JSON path
    /// of the first value at fault.
    static func completed(_ json: some Collection<UInt8>) throws(ModelFileProblem) -> JSONValue {
        let value: JSONValue
        do { value = try JSONDecoder().decode(JSONValue.self, from: Data(json)) } catch {
            throw ModelFileProblem("not JSON (\(JSONValue.syntaxError(error)))")
        }
        return try completed(value, path: "", depth: 0)
    }

    private static func completed(_ value: JSONValue, path: String, depth: Int) throws(ModelFileProblem) -> JSONValue {
        let here = path.isEmpty ? "the model" : path
        guard depth < maximumDepth else { throw ModelFileProblem("\(here): layers nest more than \(maximumDepth) deep") }
        guard case .object(let object) = value, object.count == 1, let (key, body) = object.first else {
            throw ModelFileProblem("\(here): expected a layer: an object with one key, its kind (\(knownKinds)), found \(value.summary)")
        }
        let inner = path.isEmpty ? key : "\(path).\(key)"
        switch key {
        case "sequential", "residual":
            let field = key == "sequential" ? "layers" : "block"
            guard case .object(let fields) = body, let content = fields[field], fields.count == 1 else {
                throw ModelFileProblem("\(inner): expected an object with the one field \"\(field)\", found \(body.summary)")
            }
            guard key == "sequential" else {
                return .object([key: .object([field: try completed(content, path: "\(inner).block", depth: depth + 1)])])
            }
            guard case .array(let layers) = content else {
                throw ModelFileProblem("\(inner).layers: expected an array of layers, found \(content.summary)")
            }
            var done: [JSONValue] = []
            for (index, layer) in layers.enumerated() {
                done.append(try completed(layer, path: "\(inner).layers[\(index)]", depth: depth + 1))
            }
            return .object([key: .object([field: .array(done)])])
        default:
            guard let kind = kindsByKey.withLock({ $0[key] }) else {
                throw ModelFileProblem("\(here): unknown layer kind \"\(key)\"; the kinds are \(knownKinds)")
            }
            guard case .object(let fields) = body else {
                throw ModelFileProblem("\(inner): expected an object of the layer's fields, found \(body.summary)")
            }
            return .object([key: .object(try completedFields(kind, given: fields, path: inner))])
        }
    }

    /// The fields a layer of `kind` leaves out, from ``LayerDescription/defaultFields``: a default
    /// `{"sameAs": "kernelSize"}` takes the value of the field it names.
    static func defaults<Kind: LayerDescription>(of kind: Kind.Type) -> [String: JSONValue] {
        guard case .object(let defaults)? = try? JSONDecoder().decode(JSONValue.self, from: Data(Kind.defaultFields.utf8)) else {
            programmerError("\(Kind.self).defaultFields is not a JSON object: \(Kind.defaultFields)")
        }
        return defaults
    }

    private static func completedFields<Kind: LayerDescription>(_ kind: Kind.Type, given: [String: JSONValue],
                                                                path: String) throws(ModelFileProblem) -> [String: JSONValue] {
        var fields = given
        let defaultValues = defaults(of: kind)
        for (name, value) in defaultValues where fields[name] == nil {
            if case .object(let reference) = value, reference.count == 1, case .string(let other)? = reference["sameAs"] {
                if let copied = given[other] { fields[name] = copied }
            } else {
                fields[name] = value
            }
        }
        if let nesting = kind as? any NestsLayerDescriptions.Type {
            for (name, inner) in nesting.nestedLayerFields {
                if case .object(let innerFields)? = fields[name] {
                    fields[name] = .object(try completedFields(inner, given: innerFields, path: "\(path).\(name)"))
                }
            }
        }
        if let problem = fieldProblem(kind, fields: fields, defaults: Set(defaultValues.keys), path: path) {
            throw ModelFileProblem(problem)
        }
        return fields
    }

    /// Why `fields` do not decode as a layer of `kind`: a missing field, a value of the wrong type,
    /// or a field the kind does not read (found by replacing each field's value with one no field
    /// accepts: a field whose value is never read decodes just the same).
    private static func fieldProblem<Kind: LayerDescription>(_ kind: Kind.Type, fields: [String: JSONValue], defaults: Set<String>,
                                                             path: String) -> String? {
        let decoded: Kind
        do { decoded = try JSONValue.object(fields).decode(Kind.self) } catch let error as DecodingError {
            // Foundation reports a fraction where an integer belongs as invalid JSON, without a
            // path: the culprit is the fraction whose whole value decodes further.
            if case .dataCorrupted(let context) = error, context.codingPath.isEmpty {
                for (fractionPath, whole) in JSONValue.object(fields).fractions() {
                    var probe = JSONValue.object(fields)
                    probe.replace(at: fractionPath, with: .integer(whole))
                    do { _ = try probe.decode(Kind.self) } catch DecodingError.dataCorrupted(let other) where other.codingPath.isEmpty {
                        continue
                    } catch {}
                    return "\(fractionPath.reduce(path) { $0 + $1 }): expected an integer, found "
                        + (JSONValue.object(fields).value(atPath: fractionPath)?.summary ?? "a fraction")
                }
            }
            return explain(error, in: .object(fields), path: path, kind: Kind.kind)
        } catch {
            return "\(path): \(error)"
        }
        var written = Set<String>()
        if case .object(let keys)? = try? JSONValue(encoding: decoded) { written = Set(keys.keys) }
        for name in fields.keys.sorted() where !written.contains(name) && !defaults.contains(name) {
            var probe = fields
            probe[name] = .object(["\u{1}": .null])
            if (try? JSONValue.object(probe).decode(Kind.self)) != nil {
                let known = written.union(defaults).union(fields.keys.filter { $0 != name }).sorted()
                return "\(path).\(name): \(Kind.kind) has no field \"\(name)\"; its fields are "
                    + (known.isEmpty ? "none" : known.joined(separator: ", "))
            }
        }
        return nil
    }

    /// A decoding error as the JSON path of the value at fault and what was expected there.
    private static func explain(_ error: DecodingError, in body: JSONValue, path: String, kind: String) -> String {
        func at(_ codingPath: [any CodingKey]) -> String {
            codingPath.reduce(path) { $0 + ($1.intValue.map { "[\($0)]" } ?? ".\($1.stringValue)") }
        }
        func found(_ codingPath: [any CodingKey]) -> String { body.value(at: codingPath)?.summary ?? "nothing" }
        switch error {
        case .keyNotFound(let key, let context):
            return "\(at(context.codingPath + [key])): missing; a \(kind) layer needs this field "
                + "(easynets describe prints complete layers to start from)"
        case .typeMismatch(let type, let context):
            return "\(at(context.codingPath)): expected \(JSONValue.expectation(type)), found \(found(context.codingPath))"
        case .valueNotFound(let type, let context):
            return "\(at(context.codingPath)): expected \(JSONValue.expectation(type)), found null"
        case .dataCorrupted(let context):
            return "\(at(context.codingPath)): \(context.debugDescription) (found \(found(context.codingPath)))"
        @unknown default:
            return "\(path): \(error)"
        }
    }

    /// The layer kinds a description may name, in the order of ``layerKinds`` then registration.
    static var knownKinds: String {
        let registered = kindsByKey.withLock { Set($0.keys) }
        let library = layerKinds.map { $0.kind }
        return (["sequential", "residual"] + library + registered.subtracting(library).sorted()).joined(separator: ", ")
    }

    /// How deep sequences and residual blocks may nest in a file.
    static let maximumDepth = 64
}

/// A layer description with fields that are themselves layer descriptions, without their kind
/// key (a Transformer encoder's `layer`): those fields take their own defaults.
protocol NestsLayerDescriptions {
    static var nestedLayerFields: [String: any LayerDescription.Type] { get }
}

extension TransformerEncoderDescription: NestsLayerDescriptions {
    static var nestedLayerFields: [String: any LayerDescription.Type] { ["layer": TransformerEncoderLayerDescription.self] }
}

extension TransformerDecoderDescription: NestsLayerDescriptions {
    static var nestedLayerFields: [String: any LayerDescription.Type] { ["layer": TransformerDecoderLayerDescription.self] }
}

/// Why a model file is not a description, its JSON path first.
struct ModelFileProblem: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}

/// A JSON value, to check a description's structure before decoding it.
enum JSONValue: Codable, Equatable {
    case null, bool(Bool), integer(Int), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    /// The JSON form of `value`.
    init(encoding value: some Encodable) throws {
        self = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(value))
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// This value decoded as `type`.
    func decode<Value: Decodable>(_ type: Value.Type) throws -> Value {
        try JSONDecoder().decode(type, from: JSONEncoder().encode(self))
    }

    /// The value at `codingPath` (keys of objects, indices of arrays), if there is one.
    func value(at codingPath: [any CodingKey]) -> JSONValue? {
        var value = self
        for key in codingPath {
            switch value {
            case .object(let fields): guard let next = fields[key.stringValue] else { return nil }; value = next
            case .array(let items): guard let index = key.intValue, items.indices.contains(index) else { return nil }; value = items[index]
            default: return nil
            }
        }
        return value
    }

    /// The numbers with a fraction in this value, by the path components that lead to them
    /// (`.key`, `[index]`), each with the whole number nearest to it.
    func fractions() -> [(path: [String], whole: Int)] {
        switch self {
        case .number(let value):
            guard value.isFinite, abs(value) < 1e18 else { return [] }
            return [([], Int(value.rounded()))]
        case .array(let items):
            return items.enumerated().flatMap { index, item in item.fractions().map { (["[\(index)]"] + $0.path, $0.whole) } }
        case .object(let fields):
            return fields.keys.sorted().flatMap { key in fields[key]!.fractions().map { ([".\(key)"] + $0.path, $0.whole) } }
        default: return []
        }
    }

    /// The value at a path of ``fractions()``.
    func value(atPath path: [String]) -> JSONValue? {
        guard let first = path.first else { return self }
        switch self {
        case .object(let fields): return fields[String(first.dropFirst())]?.value(atPath: Array(path.dropFirst()))
        case .array(let items):
            guard let index = Int(first.dropFirst().dropLast()), items.indices.contains(index) else { return nil }
            return items[index].value(atPath: Array(path.dropFirst()))
        default: return nil
        }
    }

    /// Replaces the value at a path of ``fractions()``.
    mutating func replace(at path: [String], with value: JSONValue) {
        guard let first = path.first else { self = value; return }
        switch self {
        case .object(var fields):
            let key = String(first.dropFirst())
            fields[key]?.replace(at: Array(path.dropFirst()), with: value)
            self = .object(fields)
        case .array(var items):
            guard let index = Int(first.dropFirst().dropLast()), items.indices.contains(index) else { return }
            items[index].replace(at: Array(path.dropFirst()), with: value)
            self = .array(items)
        default: return
        }
    }

    /// The value as indented JSON with sorted keys, an array of numbers, strings or booleans on one line.
    func pretty(indent: String = "") -> String {
        let inner = indent + "  "
        switch self {
        case .null: return "null"
        case .bool(let value): return String(value)
        case .integer(let value): return String(value)
        case .number(let value): return String(value)
        case .string(let value): return (try? JSONEncoder().encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "\"\""
        case .array(let items):
            if items.isEmpty { return "[]" }
            if items.allSatisfy({ if case .array = $0 { false } else if case .object = $0 { false } else { true } }) {
                return "[" + items.map { $0.pretty() }.joined(separator: ", ") + "]"
            }
            return "[\n" + items.map { inner + $0.pretty(indent: inner) }.joined(separator: ",\n") + "\n\(indent)]"
        case .object(let fields):
            if fields.isEmpty { return "{}" }
            return "{\n" + fields.keys.sorted().map { key in inner + JSONValue.string(key).pretty() + ": " + fields[key]!.pretty(indent: inner) }
                .joined(separator: ",\n") + "\n\(indent)}"
        }
    }

    /// The value as an error message shows it: short values whole, others by their kind.
    var summary: String {
        switch self {
        case .null: return "null"
        case .bool(let value): return String(value)
        case .integer(let value): return String(value)
        case .number(let value): return String(value)
        case .string(let value): return value.count <= 40 ? "\"\(value)\"" : "a string of \(value.count) characters"
        case .array(let items): return "an array of \(items.count) value\(items.count == 1 ? "" : "s")"
        case .object(let fields):
            return fields.isEmpty ? "an empty object" : "an object with the key\(fields.count == 1 ? "" : "s") "
                + fields.keys.sorted().prefix(8).map { "\"\($0)\"" }.joined(separator: ", ") + (fields.count > 8 ? ", …" : "")
        }
    }

    /// What a value decoded as `type` must be, in JSON's words.
    static func expectation(_ type: Any.Type) -> String {
        switch type {
        case is Bool.Type: return "true or false"
        case is Int.Type, is UInt64.Type, is Int64.Type: return "an integer"
        case is Double.Type, is Float.Type: return "a number"
        case is String.Type: return "a string"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Array<") { return "an array" }
            if name.hasPrefix("Dictionary<") { return "an object" }
            return "a value of \(name)"
        }
    }

    /// A JSON syntax error's location and cause, without Swift's type names.
    static func syntaxError(_ error: any Error) -> String {
        guard case DecodingError.dataCorrupted(let context) = error else { return "\(error)" }
        let underlying = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
        return underlying ?? context.debugDescription
    }
}
