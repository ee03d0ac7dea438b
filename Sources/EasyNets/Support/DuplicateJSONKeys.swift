import Foundation

/// The first key that appears twice in one object of the JSON text `json`, and the byte offset of
/// its second appearance, or `nil` when every object's keys are distinct.
///
/// Foundation's decoder keeps one of two equal keys silently (and readers disagree on which), so
/// files read as descriptions are checked with this first. Keys are compared after their escapes
/// are decoded (`"a"` and `"\u0061"` are the same key). The scan keeps its own stack, so deep
/// nesting cannot overflow the call stack; text that is not JSON is left to the decoder to report.
func firstDuplicateKey(in json: some Collection<UInt8>) -> (key: String, offset: Int)? {
    let bytes = Array(json)
    // Per open container: the keys seen (objects only) and whether the next string is a key.
    var stack: [(isObject: Bool, keys: Set<String>, expectsKey: Bool)] = []
    var i = 0
    while i < bytes.count {
        switch bytes[i] {
        case UInt8(ascii: "{"):
            stack.append((true, [], true))
        case UInt8(ascii: "["):
            stack.append((false, [], false))
        case UInt8(ascii: "}"), UInt8(ascii: "]"):
            if !stack.isEmpty { stack.removeLast() }
        case UInt8(ascii: ","):
            if let top = stack.indices.last, stack[top].isObject { stack[top].expectsKey = true }
        case UInt8(ascii: "\""):
            let start = i
            i += 1
            while i < bytes.count && bytes[i] != UInt8(ascii: "\"") {
                i += bytes[i] == UInt8(ascii: "\\") ? 2 : 1
            }
            guard i < bytes.count else { return nil }
            if let top = stack.indices.last, stack[top].isObject, stack[top].expectsKey {
                stack[top].expectsKey = false
                let literal = bytes[start...i]
                let key: String
                if literal.contains(UInt8(ascii: "\\")) {
                    guard let decoded = try? JSONDecoder().decode(String.self, from: Data(literal)) else { return nil }
                    key = decoded
                } else {
                    key = String(decoding: literal.dropFirst().dropLast(), as: UTF8.self)
                }
                if !stack[top].keys.insert(key).inserted { return (key, start) }
            }
        default:
            break
        }
        i += 1
    }
    return nil
}
