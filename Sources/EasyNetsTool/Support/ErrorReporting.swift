import ArgumentParser
import EasyNets
import EasyNetsONNX
import Foundation

/// Prints to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// Runs a command body, turning data, checkpoint, training, ONNX and numerical errors into a message and
/// exit status 1.
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error where error is DataError || error is CheckpointError || error is TrainingError
                || error is ModelDescriptionError || error is LinearAlgebraError || error is ONNXError {
        printError("error: \(error)")
        throw ExitCode.failure
    }
}

/// Throws when `path` cannot be written, before any long work starts.
func checkOutput(_ path: String?, flag: String) throws {
    guard let path else { return }
    do { try OutputFile.checkWritable(path) } catch let error as DataError {
        throw ValidationError("\(flag) \(path): \(error.reason)")
    }
}
