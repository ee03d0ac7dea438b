import Foundation
import Testing
import EasyNets

@Suite("Data and file formats examples")
struct DataAndFileFormatsDocumentationTests {
    /// A standardized dataset in shuffled batches.
    @Test func datasetsAndLoaders() throws {
        // Documentation block: DataAndFileFormats.md #1
        let features = Tensor<Double>([[1, 10], [2, 20], [3, 30], [4, 40], [5, 50]])
        let data = Dataset(features: features, labels: [0, 1, 0, 1, 0])
        let standardizer = Standardizer(fitting: data.features)       // per column: mean 3 and 30
        let standardized = standardizer.apply(data)
        var loader = DataLoader(standardized, batchSize: 2, seed: 7)
        for batch in loader.epoch() {                                 // batches of 2, 2 and 1, shuffled
            let examples = try batch.examples()                       // gathered (or read) when needed
            print(batch.indices, examples.features.shape, examples.labels)
        }

        // Mean and population standard deviation of each column, by loops.
        let columns: [[Double]] = [[1, 2, 3, 4, 5], [10, 20, 30, 40, 50]]
        let means = columns.map { $0.reduce(0, +) / 5 }
        let deviations = zip(columns, means).map { column, mean in (column.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 5).squareRoot() }
        #expect(means == [3, 30])
        expectClose(standardizer.mean.scalars, means, tolerance: 1e-15)
        expectClose(standardizer.standardDeviation.scalars, deviations, tolerance: 1e-15)
        let expected = (0..<5).flatMap { row in (0..<2).map { (columns[$0][row] - means[$0]) / deviations[$0] } }
        expectClose(standardized.features.scalars, expected, tolerance: 1e-15)
        #expect(standardized.labels == data.labels)
        // Another pass of the same seeded loader: the batches cover every example once.
        var replay = DataLoader(standardized, batchSize: 2, seed: 7)
        let batches = replay.epoch()
        #expect(batches.map(\.count) == [2, 2, 1])
        #expect(batches.flatMap(\.indices).sorted() == Array(0..<5))
        for batch in batches {
            let examples = try batch.examples()
            #expect(examples.labels == batch.indices.map { data.labels[$0] })
            #expect(examples.features.scalars == batch.indices.flatMap { Array(expected[($0 * 2)..<($0 * 2 + 2)]) })
        }
    }

    /// NPY, CSV, PGM and IDX, written or given as bytes, and read back.
    @Test func readingFiles() throws {
        try inScratchDirectory {
            // Documentation block: DataAndFileFormats.md #2
            try NPYArray(descr: "<f8", shape: [2, 3], values: [1, 2, 3, 4, 5, 6]).write(toFile: "x.npy")
            let x = try NPYArray(contentsOfFile: "x.npy").tensor(as: Float.self)          // (2, 3)

            try "height,weight,label\n1.8,75,1\n1.6,55,0\n".write(toFile: "people.csv", atomically: true, encoding: .utf8)
            let people = try CSVReader.read(contentsOfFile: "people.csv", labelColumn: .name("label"), as: Double.self)

            let image = try PGMImage(bytes: Array("P2\n2 2\n255\n0 255\n128 64\n".utf8), path: "tiny.pgm")
            let pixels = image.pixels(dividingBy: 255, as: Float.self)                    // (2, 2) in [0, 1]

            let idx = try IDXFile(bytes: IDXFile.unsignedBytes(shape: [2, 3], values: [0, 1, 2, 3, 4, 5]))
            let values = try idx.integers()                                               // [0, 1, 2, 3, 4, 5]
            print(x.shape, people.features.shape, people.labels, pixels.scalars, idx.shape, values)

            #expect(x.shape == [2, 3] && x.scalars == [1, 2, 3, 4, 5, 6])
            // The file is NumPy's format: the magic \x93NUMPY, version 1.0.
            let bytes = try #require(FileManager.default.contents(atPath: "x.npy"))
            #expect(Array(bytes.prefix(8)) == [0x93] + Array("NUMPY".utf8) + [1, 0])
            #expect(people.features.shape == [2, 2] && people.features.scalars == [1.8, 75, 1.6, 55] && people.labels == [1, 0])
            #expect(people.header == ["height", "weight", "label"])
            #expect(image.width == 2 && image.height == 2 && image.maxValue == 255)
            #expect(pixels.shape == [2, 2] && pixels.scalars == [0, 255, 128, 64].map { Float($0) / 255 })
            #expect(idx.shape == [2, 3] && values == Array(0..<6))
            // IDX: two zero bytes, type 0x08, two dimensions as big-endian 32-bit integers, the values.
            #expect(IDXFile.unsignedBytes(shape: [2, 3], values: [0, 1, 2, 3, 4, 5])
                    == [0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 0, 1, 2, 3, 4, 5])
        }
    }

    /// A folder of images and a memory-mapped .npy, read batch by batch, one batch ahead.
    @Test func streamingData() throws {
        try inScratchDirectory {
            // Documentation block: DataAndFileFormats.md #3
            try FileManager.default.createDirectory(atPath: "images", withIntermediateDirectories: true)
            try Data("P2\n2 2\n255\n0 255\n128 64\n".utf8).write(to: URL(fileURLWithPath: "images/a.pgm"))
            try Data("P5\n2 2\n255\n".utf8 + [10, 20, 30, 40]).write(to: URL(fileURLWithPath: "images/b.pgm"))
            try "file,label\na.pgm,1\nb.pgm,0\n".write(toFile: "images/labels.csv", atomically: true, encoding: .utf8)
            let images = try PGMFolderSource<Float>(folder: "images", labelsFile: "images/labels.csv")  // (1, 2, 2) each, in [0, 1]
            print(try images.examples(at: [1, 0]).labels)                                           // [0, 1]

            try Data(NPYArray.header(descr: "|u1", shape: [4, 3]) + (0..<12).map { UInt8($0) }).write(to: URL(fileURLWithPath: "x.npy"))
            try NPYArray(descr: "<i8", shape: [4], values: [0, 1, 1, 0]).write(toFile: "y.npy")
            let mapped = try NPYSource<Float>(features: "x.npy", targets: "y.npy", dividingBy: 255)  // mapped, not read

            var loader = DataLoader(mapped, batchSize: 2, seed: 3)    // reads one batch ahead (prefetchCount: 1)
            let batches = loader.epoch()
            let reader = loader.reader(for: batches)                  // the Trainer reads its batches this way
            for batch in batches {
                let examples = try reader.examples(of: batch)         // read while the batch before was used
                print(batch.indices, examples.features.shape, examples.labels)
            }
            reader.finish()                                           // waits for the background thread

            // The images in the labels file's order, each gray level over 255, correctly rounded.
            let pixels = try images.examples(at: [0, 1])
            #expect(images.exampleShape == [1, 2, 2] && pixels.features.shape == [2, 1, 2, 2])
            #expect(pixels.features.scalars == [0, 255, 128, 64, 10, 20, 30, 40].map { Float($0) / 255 })
            let reversed = try images.examples(at: [1, 0])
            #expect(pixels.labels == [1, 0] && reversed.labels == [0, 1])
            // The mapped bytes 0..<12 as 4 examples of 3, and the loader's batches as over the same data in memory.
            let memory = Dataset(features: Tensor((0..<12).map { Float($0) / 255 }, shape: [4, 3]), labels: [0, 1, 1, 0])
            var inMemory = DataLoader(memory, batchSize: 2, seed: 3, prefetchCount: 0)
            let memoryBatches = inMemory.epoch()
            #expect(batches.map(\.indices) == memoryBatches.map(\.indices) && batches.flatMap(\.indices).sorted() == [0, 1, 2, 3])
            let again = loader.reader(for: batches)
            for (batch, inMemoryBatch) in zip(batches, memoryBatches) {
                let (streamed, held) = (try again.examples(of: batch), try inMemoryBatch.examples())
                #expect(streamed.features.shape == [2, 3] && streamed.features.scalars == held.features.scalars)
                #expect(streamed.labels == held.labels)
            }
            again.finish()
            let file = try #require(FileManager.default.contents(atPath: "x.npy"))
            #expect(file.count == 128 + 12 && Array(file.suffix(12)) == (0..<12).map { UInt8($0) }, "a 128-byte header, then the bytes")
            let array = try NPYArray(contentsOfFile: "x.npy")
            #expect(array.values == (0..<12).map(Double.init) && array.shape == [4, 3] && array.descr == "|u1")
        }
    }

    /// A state dict with PyTorch's names, and the model rebuilt from the file alone.
    @Test func stateDicts() throws {
        try inScratchDirectory {
            // Documentation block: DataAndFileFormats.md #4
            RandomGenerator.seedShared(0)
            let model = Sequential<Float> { Linear(4, 3); ReLU(); Linear(3, 2) }
            try model.saveState(toFile: "model.safetensors")
            let file = try SafeTensorsFile(contentsOfFile: "model.safetensors")
            print(file.entries.keys.sorted())                  // ["0.bias", "0.weight", "2.bias", "2.weight"]
            let reloaded = try Sequential<Float>.loadModel(from: file, path: "model.safetensors")!
            print(try reloaded.describe() == model.describe())  // true, and the same weights

            // nn.Sequential's names and shapes: Linear(in, out) has weight (out, in) and bias (out).
            let expected: [String: [Int]] = ["0.weight": [3, 4], "0.bias": [3], "2.weight": [2, 3], "2.bias": [2]]
            #expect(file.entries.mapValues(\.shape) == expected)
            #expect(file.entries.values.allSatisfy { $0.dtype == .float32 })
            #expect(file.metadata["model"] == (try model.describe().jsonString()))
            #expect(reloaded.namedParameters.map(\.parameter.value.scalars) == model.namedParameters.map(\.parameter.value.scalars))
            // The safetensors layout: an 8-byte little-endian header length, then that much JSON.
            let bytes = try #require(FileManager.default.contents(atPath: "model.safetensors"))
            let length = (0..<8).reduce(0) { $0 | Int(bytes[$1]) << (8 * $1) }
            let header = try #require(try JSONSerialization.jsonObject(with: bytes[8..<(8 + length)]) as? [String: Any])
            #expect(Set(header.keys) == Set(expected.keys).union(["__metadata__"]))
            #expect(bytes.count == 8 + length + (3 * 4 + 3 + 2 * 3 + 2) * 4)
        }
    }

    /// Characters to token ids and next-character sequences.
    @Test func text() throws {
        // Documentation block: DataAndFileFormats.md #5
        let vocabulary = CharacterVocabulary(Array(" abc".unicodeScalars))
        let ids = try vocabulary.encode("a cab")                      // [1, 0, 3, 1, 2]
        let sequences = TextCorpus.nextCharacterData(ids, sequenceLength: 2, as: Float.self)
        print(sequences.features.scalars, sequences.labels, vocabulary.decode(ids))   // [1.0, 0.0, 3.0, 1.0] [0, 3, 1, 2] a cab

        let alphabet = Array(" abc")
        #expect(ids == "a cab".map { alphabet.firstIndex(of: $0)! })
        // ⌊(5 − 1)/2⌋ = 2 sequences of 2: characters 0...3, each labeled with the next.
        #expect(sequences.features.shape == [2, 2] && sequences.labelShape == [2])
        #expect(sequences.features.scalars == ids[0..<4].map { Float($0) })
        #expect(sequences.labels == Array(ids[1..<5]))
        #expect(vocabulary.decode(ids) == "a cab")
        #expect("\(sequences.features.scalars) \(sequences.labels) \(vocabulary.decode(ids))" == "[1.0, 0.0, 3.0, 1.0] [0, 3, 1, 2] a cab")
    }
}
