import EasyNets
import Foundation

extension BenchmarkSuite {
    /// 1000 characters sampled from the `char-transformer` preset (Float, 65 characters, random
    /// weights) with the key-value cache and without it, one run each way, at two context lengths:
    /// 1024, where every step extends the window, and the tool's default of 128, where the window
    /// shifts to its newest half whenever it is full. Both ways must draw the same text; the line
    /// gives both times and their ratio. A third run times a window sliding by one character a
    /// step (the last `context` characters, no cache, the most likely character each time): every
    /// step a whole-window pass, what sampling cost before context shifts and caches.
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
            // Within the context a sliding window is the whole-window run; time it only where it slides.
            let sliding = prompt.count + length > context
                ? clock.measure { slidingWindowGeneration(sampler, prompt: prompt, length: length) }.inSeconds : seconds[1]
            let same = texts[0] == texts[1] && texts[0].count == length
            print("generation, char-transformer (\(sampler.model.parameterCount) parameters, context \(context)), \(length) characters, "
                  + "Float, \(threads) thread(s): key-value cache \(String(seconds[0], style: .fixed(3))) s, "
                  + "whole window each step \(String(seconds[1], style: .fixed(3))) s, ratio \(String(seconds[1] / seconds[0], style: .fixed(2)))"
                  + (same ? ", same text" : "")
                  + "; window sliding by one each step \(String(sliding, style: .fixed(3))) s, ratio \(String(sliding / seconds[0], style: .fixed(2)))")
            if !same { FileHandle.standardError.write(Data("error: generation: the cached and uncached texts differ\n".utf8)) }
        }
    }

    /// `length` characters after `prompt`, each the most likely one given the last
    /// `sampler.contextLength` characters, the model run on that whole window every step.
    private func slidingWindowGeneration(_ sampler: TextSampler<Float>, prompt: String, length: Int) {
        guard var tokens = try? sampler.vocabulary.encode(prompt) else { return }
        sampler.model.eval()
        for _ in 0..<length {
            let window = tokens.suffix(sampler.contextLength)
            let scores = withoutGradients { sampler.model(Tensor(window.map { Float($0) }, shape: [1, window.count])).scalars }
            // Scores (1, V, L): the last position's scores are every L-th value from L − 1.
            let last = stride(from: window.count - 1, to: scores.count, by: window.count).map { scores[$0] }
            tokens.append(last.indices.max { last[$0] < last[$1] }!)
        }
    }
}
