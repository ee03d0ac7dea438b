import SwiftProtobuf

/// One setting of a run, as TensorBoard's HParams dashboard lists it: a number, a text or a flag.
///
/// Literals make one directly: `["epochs": 10, "optimizer": "adam", "learning_rate": 0.001, "augment": true]`.
public enum Hyperparameter: Sendable, Equatable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByBooleanLiteral {
    /// A number (stored as a Double).
    case number(Double)
    /// A text, such as an optimizer's or a model's name.
    case text(String)
    /// A switch that is on or off.
    case flag(Bool)

    /// A text from a string literal.
    public init(stringLiteral value: String) { self = .text(value) }
    /// A number from an integer literal.
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    /// A number from a floating-point literal.
    public init(floatLiteral value: Double) { self = .number(value) }
    /// A flag from `true` or `false`.
    public init(booleanLiteral value: Bool) { self = .flag(value) }

    /// The `google.protobuf.Value` the hparams plugin stores.
    var protobufValue: Google_Protobuf_Value {
        switch self {
        case .number(let value): Google_Protobuf_Value(numberValue: value)
        case .text(let value): Google_Protobuf_Value(stringValue: value)
        case .flag(let value): Google_Protobuf_Value(boolValue: value)
        }
    }
}
