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
        let table: Table<Scalar> = try parseTable(bytes, path: path, hasHeader: hasHeader, labelColumn: labelColumn,
                                                  targetColumns: [], classCount: classCount)
        return (table.features, table.labels, table.header)
    }

    /// Reads comma-separated numeric rows whose `targetColumns` hold floating-point targets (a
    /// regressor's values, or 0/1 labels of a multi-label classifier): the features are the other
    /// columns. Every field must be a finite number; a violation is a ``DataError`` naming the
    /// line and column (and whether it is a target).
    ///
    /// - Returns: features (rows, other columns), targets (rows, targetColumns.count) in the
    ///   order of `targetColumns`, and the header.
    public static func read<Scalar: TensorScalar>(
        contentsOfFile path: String, hasHeader: Bool = true, targetColumns: [LabelColumn], as: Scalar.Type = Scalar.self
    ) throws -> (features: Tensor<Scalar>, targets: Tensor<Scalar>, header: [String]) {
        try parse(Gzip.readMaybeCompressed(path), path: path, hasHeader: hasHeader, targetColumns: targetColumns)
    }

    /// Parses CSV bytes with value targets (see ``read(contentsOfFile:hasHeader:targetColumns:as:)``).
    public static func parse<Scalar: TensorScalar>(
        _ bytes: [UInt8], path: String = "<memory>", hasHeader: Bool = true, targetColumns: [LabelColumn], as: Scalar.Type = Scalar.self
    ) throws -> (features: Tensor<Scalar>, targets: Tensor<Scalar>, header: [String]) {
        require(!targetColumns.isEmpty, "CSVReader.parse: targetColumns is empty")
        let table: Table<Scalar> = try parseTable(bytes, path: path, hasHeader: hasHeader, labelColumn: nil,
                                                  targetColumns: targetColumns, classCount: nil)
        return (table.features, table.targets, table.header)
    }

    private struct Table<Scalar: TensorScalar> {
        var features: Tensor<Scalar>, labels: [Int], targets: Tensor<Scalar>, header: [String]
    }

    private static func parseTable<Scalar: TensorScalar>(
        _ bytes: [UInt8], path: String, hasHeader: Bool, labelColumn: LabelColumn?, targetColumns: [LabelColumn], classCount: Int?
    ) throws -> Table<Scalar> {
        // "\r\n" is one Character in Swift, so split on any newline character.
        let lines = String(decoding: bytes, as: UTF8.self).split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        var header: [String] = []
        var width: Int?
        var labelIndex: Int?
        var targetIndices: [Int] = []
        var features: [Scalar] = []
        var labels: [Int] = []
        var targets: [Scalar] = []
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
                targetIndices = try targetColumns.map { try resolve($0, header: hasHeader ? fields : [], width: fields.count, path: path)! }
                if Set(targetIndices).count != targetIndices.count {
                    throw DataError(path: path, location: "line 1", reason: "a target column is named twice")
                }
                if targetIndices.count == fields.count {
                    throw DataError(path: path, location: "line 1", reason: "every column is a target: no feature column is left")
                }
                if hasHeader {
                    header = fields
                    continue
                }
            }
            var rowTargets = [Scalar](repeating: 0, count: targetIndices.count)
            for (column, field) in fields.enumerated() {
                let location = "line \(lineNumber), column \(column + 1)"
                let target = targetIndices.firstIndex(of: column)
                guard let value = Double(field) else {
                    let what = column == labelIndex ? "a label" : target != nil ? "a target value" : "a number"
                    throw DataError(path: path, location: location,
                                    reason: "expected \(what), found \"\(field)\"" + (header.indices.contains(column) ? " in column \"\(header[column])\"" : ""))
                }
                if column == labelIndex {
                    guard let label = Int(exactly: value), label >= 0 else {
                        throw DataError(path: path, location: location, reason: "label \(field) is not a whole number ≥ 0")
                    }
                    if let classCount, label >= classCount {
                        throw DataError(path: path, location: location,
                                        reason: "label \(label) is outside the \(classCount) classes 0..<\(classCount)")
                    }
                    labels.append(label)
                } else if let target {
                    guard value.isFinite, Scalar(value).isFinite else {
                        throw DataError(path: path, location: location, reason: "target \"\(field)\" is not a finite number")
                    }
                    rowTargets[target] = Scalar(value)
                } else {
                    guard value.isFinite, Scalar(value).isFinite else {
                        throw DataError(path: path, location: location, reason: "feature \"\(field)\" is not a finite number")
                    }
                    features.append(Scalar(value))
                }
            }
            targets += rowTargets
            rows += 1
        }
        guard let width, rows > 0 else { throw DataError(path: path, reason: "no data rows") }
        let columns = width - (labelIndex == nil ? 0 : 1) - targetIndices.count
        return Table(features: Tensor(features, shape: [rows, columns]), labels: labels,
                     targets: Tensor(targets, shape: [rows, targetIndices.count]), header: header)
    }

    private static func resolve(_ column: LabelColumn?, header: [String], width: Int, path: String) throws -> Int? {
        switch column {
        case nil: return nil
        case .name(let name)?:
            guard !header.isEmpty else { throw DataError(path: path, reason: "column \"\(name)\" given by name but the file has no header") }
            guard let index = header.firstIndex(of: name) else {
                throw DataError(path: path, location: "line 1", reason: "no column named \"\(name)\" (columns: \(header.joined(separator: ", ")))")
            }
            return index
        case .index(let i)?:
            let index = i < 0 ? i + width : i
            guard index >= 0 && index < width else {
                throw DataError(path: path, location: "line 1", reason: "column \(i) is out of range for \(width) columns")
            }
            return index
        }
    }
}
