/// Whether differentiable ops record onto the tape in the current task.
enum GradientMode {
    @TaskLocal static var isEnabled = true
}

/// Runs `body` without recording any op for autodiff: inference pays no tape cost, and tensors
/// computed inside never require gradients.
public func withoutGradients<R>(_ body: () throws -> R) rethrows -> R {
    try GradientMode.$isEnabled.withValue(false, operation: body)
}

/// Whether ops record onto the tape here (`false` inside ``withoutGradients(_:)``).
public var isRecordingGradients: Bool { GradientMode.isEnabled }
