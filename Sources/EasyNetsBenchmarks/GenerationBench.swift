import EasyNets
import Foundation

extension BenchmarkSuite {
    /// 1000 characters sampled from the `char-transformer` preset (Float, 65 characters, random
    /// weights) with the key-value cache and without it, one run each way, at two context lengths:
    /// 1024, where every step extends the window, and the tool's default of 128, where the window
    /// slides after 128 characters and each step refills the caches from the whole window. Both
    /// ways must draw the same text; the line gives both times and their ratio.
    func benchmarkGeneration() {
        let characters = Array("\n !,.;:?'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123".unicodeScalars)
        let vocabulary = CharacterVocabulary(characters)
        let (prompt, length) = ("The ", 1000)
        for context in [1024, 128] {
            let sampler: TextSampler<Float>
            do {
                let model = try Sequential<Float>(CharacterLanguageModel.transformer(vocabularySize: vocabulary.count, contextLength: context),
                                                  seed: 1)
                sampler = try TextSampler(model: model, vocabulary: vocabulary, contextLength: context)
            } catch {
                FileHandle.standardError.write(Data("error: generation: \(error)\n".utf8))
                return
            }
            let clock = ContinuousClock()
            var texts: [String] = [], seconds: [Double] = []
            for cached in [true, false] {
                var copy = sampler
                copy.usesKeyValueCache = cached
                var generator = RandomGenerator(seed: 7)
                var text = ""
                seconds.append(clock.measure {
                    text = (try? copy.continuation(of: prompt, length: length, temperature: 0.8, using: &generator)) ?? ""
                }.inSeconds)
                texts.append(text)
            }
            let same = texts[0] == texts[1] && texts[0].count == length
            print("generation, char-transformer (\(sampler.model.parameterCount) parameters, context \(context)), \(length) characters, "
                  + "Float, \(threads) thread(s): key-value cache \(String(seconds[0], style: .fixed(3))) s, "
                  + "whole window each step \(String(seconds[1], style: .fixed(3))) s, ratio \(String(seconds[1] / seconds[0], style: .fixed(2)))"
                  + (same ? ", same text" : ""))
            if !same { FileHandle.standardError.write(Data("error: generation: the cached and uncached texts differ\n".utf8)) }
        }
    }
}
