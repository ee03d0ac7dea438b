import Foundation

/// Examples that are a folder of PGM images (``PGMImage``: P2 or P5, all of one size) listed in a
/// labels file, each image read when a batch needs it.
///
/// The labels file is comma-separated text: a header line, then one line per example, the
/// image's file name in the folder and its targets. With ``Labels/classes`` each line holds one
/// class index (a whole number ≥ 0); with ``Labels/values``, one or more numbers (finite), the
/// same count on every line. Blank lines are skipped, spaces and double quotes around a field
/// are ignored; the examples are in the file's order.
///
/// ```text
/// file,label
/// shirt-1.pgm,6
/// boot-7.pgm,9
/// ```
///
/// Opening reads the labels file and each image's header, and throws a ``DataError`` naming the
/// file for a missing image, a malformed header, a binary image shorter than its header says, or
/// an image whose size differs from the first one's. Each example has shape (1, height, width),
/// its gray levels divided by `dividingBy`, or by the image's own largest gray level (pixels in
/// [0, 1]). A batch reads its images in full and validates them again: an image changed since
/// the source was opened (another size, truncated, removed) is a ``DataError`` naming it.
///
/// ```swift
/// let images = try PGMFolderSource<Float>(folder: "images", labelsFile: "images/labels.csv")
/// let loader = DataLoader(images, batchSize: 64, seed: 1)
/// ```
public struct PGMFolderSource<Scalar: TensorScalar>: ExampleSource {
    /// What the labels file holds after each file name.
    public enum Labels: Sendable {
        /// One class index per image.
        case classes
        /// One or more floating-point values per image.
        case values
    }

    /// The folder of the images.
    public let folder: String
    /// The images' file names in the folder, in the examples' order.
    public let files: [String]
    /// The targets of every example, in memory.
    public let targets: Targets<Scalar>
    /// The size every image has.
    public let width: Int, height: Int
    private let divisor: Double?

    public var count: Int { files.count }
    public var exampleShape: [Int] { [1, height, width] }
    public var targetLayout: TargetLayout { targets.layout }

    /// The images of `folder` that `labelsFile` lists, with its targets (see above); each gray
    /// level divided by `divisor`, or by its image's largest gray level when `nil`.
    public init(folder: String, labelsFile: String, labels: Labels = .classes, dividingBy divisor: Double? = nil) throws {
        require(divisor.map { $0.isFinite && $0 != 0 } ?? true, "PGMFolderSource: dividingBy must be finite and non-zero, got \(divisor!)")
        let (files, targets) = try Self.readLabels(labelsFile, labels: labels)
        guard let first = files.first else { throw DataError(path: labelsFile, reason: "lists no images") }
        var size: (width: Int, height: Int)?
        for file in files {
            let path = folder + "/" + file
            let header = try Self.header(path)
            if let size, (header.width, header.height) != size {
                throw DataError(path: path, reason: "the image is \(header.width)×\(header.height), "
                                + "the first one (\(folder)/\(first)) \(size.width)×\(size.height): all images must have one size")
            }
            if size == nil {
                // One example must fit the limit as a tensor, so a batch of one can be read.
                if let problem = InputLimits.problem(shape: [header.height, header.width], elementSize: MemoryLayout<Int>.size) {
                    throw DataError(path: path, reason: problem)
                }
                size = (header.width, header.height)
            }
        }
        (self.folder, self.files, self.targets, self.divisor) = (folder, files, targets, divisor)
        (width, height) = size!
    }

    /// The examples at `indices`: each image read, validated and scaled.
    public func examples(at indices: [Int]) throws -> Dataset<Scalar> {
        for index in indices { require(index >= 0 && index < count, "PGMFolderSource.examples: index \(index) is outside 0..<\(count)") }
        if let problem = InputLimits.problem(shape: [indices.count] + exampleShape, elementSize: MemoryLayout<Scalar>.stride) {
            throw DataError(path: folder, reason: "a batch of \(indices.count): " + problem)
        }
        let features = Tensor<Scalar>(uninitializedShape: [indices.count] + exampleShape)
        let pixels = width * height
        for (i, index) in indices.enumerated() {
            let path = folder + "/" + files[index]
            let image = try PGMImage(contentsOfFile: path)
            guard image.width == width, image.height == height else {
                throw DataError(path: path, reason: "the image is now \(image.width)×\(image.height), \(width)×\(height) when the "
                                + "source was opened: it changed since")
            }
            let scale = Scalar(divisor ?? Double(image.maxValue)), target = features.storage.base + i * pixels
            for k in 0..<pixels { target[k] = Scalar(image.values[k]) / scale }
        }
        return Dataset(features: features, targets: targets.gathering(indices))
    }

    /// The labels file's file names and targets.
    private static func readLabels(_ path: String, labels: Labels) throws -> (files: [String], targets: Targets<Scalar>) {
        let lines = String(decoding: try readFileBytes(path), as: UTF8.self)
            .split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        var files: [String] = [], values: [Double] = [], seen: [String: Int] = [:]
        var width: Int?, sawHeader = false
        for (lineIndex, line) in lines.enumerated() where !line.allSatisfy({ $0 == " " || $0 == "\t" }) {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.stripping(" \t\"") }
            func fail(_ column: Int?, _ reason: String) -> DataError {
                DataError(path: path, location: "line \(lineIndex + 1)" + (column.map { ", column \($0 + 1)" } ?? ""), reason: reason)
            }
            guard sawHeader else {
                sawHeader = true
                guard fields.count >= 2 else { throw fail(nil, "the header names \(fields.count) column; it needs the file and its targets") }
                guard labels == .values || fields.count == 2 else {
                    throw fail(nil, "the header names \(fields.count) columns; a file of class labels has two, file and label")
                }
                width = fields.count
                continue
            }
            guard fields.count == width else { throw fail(nil, "expected \(width!) fields, found \(fields.count)") }
            let name = fields[0]
            guard !name.isEmpty, name != ".", name != "..", !name.contains("/"), !name.contains("\0") else {
                throw fail(0, "\"\(name)\" is not a file name in the folder")
            }
            if let earlier = seen[name] { throw fail(0, "\"\(name)\" is listed twice (first on line \(earlier))") }
            seen[name] = lineIndex + 1
            for (column, field) in fields.enumerated().dropFirst() {
                guard let value = Double(field), value.isFinite, Scalar(value).isFinite else {
                    throw fail(column, "expected a finite number, found \"\(field)\"")
                }
                if labels == .classes, Int(exactly: value) == nil || value < 0 {
                    throw fail(column, "label \(field) is not a whole number ≥ 0")
                }
                values.append(value)
            }
            files.append(name)
        }
        guard let width else { throw DataError(path: path, reason: "the file is empty; it needs a header line") }
        let targets: Targets<Scalar> = labels == .classes
            ? .classes(IndexTensor(values.map { Int($0) }, shape: [files.count]))
            : .values(Tensor(values.map { Scalar($0) }, shape: [files.count, width - 1]))
        return (files, targets)
    }

    /// The header of the image at `path`, from its first 4 KiB (or the whole file when the header
    /// is longer), with a binary image's size checked against its pixel count.
    private static func header(_ path: String) throws -> PGMImage.Header {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let reason = errno == ENOENT ? "no such file (listed in the labels file)" : "cannot open the file (\(String(cString: strerror(errno))))"
            throw DataError(path: path, reason: reason)
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { throw DataError(path: path, reason: "not a regular file") }
        var prefix = [UInt8](repeating: 0, count: Swift.min(Int(info.st_size), 4096))
        let read = prefix.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard read == prefix.count else { throw DataError(path: path, reason: "cannot read the file's header") }
        var header: PGMImage.Header? = try? PGMImage.Header(prefix, path: path)
        // A header that reaches the end of the prefix may go on (a longer number, a long comment).
        if prefix.count < Int(info.st_size) && (header?.dataStart ?? prefix.count) >= prefix.count { header = nil }
        let checked = try header ?? PGMImage.Header(try readFileBytes(path), path: path)
        if checked.binary {
            let size = checked.maxValue < 256 ? 1 : 2, pixels = checked.width * checked.height  // checked by Header
            let (bytes, overflow) = pixels.multipliedReportingOverflow(by: size)
            if overflow || Int(info.st_size) - checked.dataStart < bytes {
                throw DataError(path: path, location: "offset \(info.st_size)",
                                reason: "pixel data is truncated: \(checked.width)×\(checked.height) pixels need \(size) bytes each, "
                                + "\(Int(info.st_size) - checked.dataStart) bytes present")
            }
        }
        return checked
    }
}
