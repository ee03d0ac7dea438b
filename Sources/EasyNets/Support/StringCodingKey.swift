/// A coding key for JSON objects whose keys are data, not a fixed list: a model description's
/// layer kinds, an epoch's metric names.
struct StringCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
