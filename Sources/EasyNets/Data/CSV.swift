/// Which CSV column holds the labels.
public enum LabelColumn: Sendable, Equatable {
    /// By header name (needs a header row).
    case name(String)
    /// By 0-based index (negative counts from the end).
    case index(Int)
}

/// A numeric CSV file split into features and integer labels.
public enum CSVReader {
    /// Reads comma-separated numeric rows. Blank lines are skipped; every row must have the same
    /// number of fields; features must be finite; the label column must hold whole numbers ≥ 0
    /// (below `classCount` when it is given). A violation is a ``DataError`` naming the line and column.
    ///
    /// - Parameters:
    ///   - path: the file, gzip-compressed or not.
    ///   - hasHeader: whether the first line names the columns.
    ///   - labelColumn: the column with class labels, or `nil` for features only.
    ///   - classCount: the number of classes labels must stay below, or `nil` for any.
    ///   - as: the scalar type of the features.
    /// - Returns: features (rows, columns without the label) and labels (empty without a label column).
    public static func read<Scalar: TensorScalar>(
        contentsOfFile path: String, hasHeader: Bool = true, labelColumn: LabelColumn? = nil,
        classCount: Int? = nil, as: Scalar.Type = Scalar.self
    ) throws -> (features: Tensor<Scalar>, labels: [Int], header: [String]) {
        let text = try Gzip.readMaybeCompressed(path)
        return try parse(text, path: path, hasHeader: hasHeader, labelColumn: labelColumn, classCount: classCount)
    }

    /// Parses CSV bytes (see ``read(contentsOfFile:hasHeader:labelColumn:classCount:as:)``).
    public static func parse<Scalar: TensorScalar>(
        _ bytes: [UInt8], path: String = "<memory>", hasHeader: Bool = true, labelColumn: LabelColumn? = nil,
        classCount: Int? = nil, as: Scalar.Type = Scalar.self
    ) throws -> (features: Tensor<Scalar>, labels: [Int], header: [String]) {
        // "\r\n" is one Character in Swift, so split on any newline character.
        let lines = String(decoding: bytes, as: UTF8.self).split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        var header: [String] = []
        var width: Int?
        var labelIndex: Int?
        var features: [Scalar] = []
        var labels: [Int] = []
        var rows = 0
        for (lineIndex, line) in lines.enumerated() {
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.stripping(" \t\"") }
            let lineNumber = lineIndex + 1
            if let width, fields.count != width {
                throw DataError(path: path, location: "line \(lineNumber)",
                                reason: "expected \(width) fields, found \(fields.count)")
            }
            if width == nil {
                width = fields.count
                labelIndex = try resolve(labelColumn, header: hasHeader ? fields : [], width: fields.count, path: path)
                if hasHeader {
                    header = fields
                    continue
                }
            }
            for (column, field) in fields.enumerated() {
                guard let value = Double(field) else {
                    throw DataError(path: path, location: "line \(lineNumber), column \(column + 1)",
                                    reason: "expected a number, found \"\(field)\"")
                }
                if column == labelIndex {
                    guard let label = Int(exactly: value), label >= 0 else {
                        throw DataError(path: path, location: "line \(lineNumber), column \(column + 1)",
                                        reason: "label \(field) is not a whole number ≥ 0")
                    }
                    if let classCount, label >= classCount {
                        throw DataError(path: path, location: "line \(lineNumber), column \(column + 1)",
                                        reason: "label \(label) is outside the \(classCount) classes 0..<\(classCount)")
                    }
                    labels.append(label)
                } else {
                    guard value.isFinite, Scalar(value).isFinite else {
                        throw DataError(path: path, location: "line \(lineNumber), column \(column + 1)",
                                        reason: "feature \"\(field)\" is not a finite number")
                    }
                    features.append(Scalar(value))
                }
            }
            rows += 1
        }
        guard let width, rows > 0 else { throw DataError(path: path, reason: "no data rows") }
        let columns = width - (labelIndex == nil ? 0 : 1)
        return (Tensor(features, shape: [rows, columns]), labels, header)
    }

    private static func resolve(_ column: LabelColumn?, header: [String], width: Int, path: String) throws -> Int? {
        switch column {
        case nil: return nil
        case .name(let name)?:
            guard !header.isEmpty else { throw DataError(path: path, reason: "label column \"\(name)\" given by name but the file has no header") }
            guard let index = header.firstIndex(of: name) else {
                throw DataError(path: path, location: "line 1", reason: "no column named \"\(name)\" (columns: \(header.joined(separator: ", ")))")
            }
            return index
        case .index(let i)?:
            let index = i < 0 ? i + width : i
            guard index >= 0 && index < width else {
                throw DataError(path: path, location: "line 1", reason: "label column \(i) is out of range for \(width) columns")
            }
            return index
        }
    }
}
