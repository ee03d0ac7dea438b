// Einstein summation over the differentiable ops already on the tape: repeated letters within an
// operand become diagonals, letters nobody else needs are summed out, and each pair of operands
// meets in one (batched) matrix product through BLAS, or a broadcast product when nothing is
// contracted. Gradients come from those ops.

/// The Einstein summation `equation` over `operands`, PyTorch's `torch.einsum`: each operand's
/// axes are labelled by letters (`"ij,jk->ik"` is the matrix product, `"bij,bjk->bik"` the batched
/// one, `"ii->"` the trace, `"ii->i"` the diagonal, `"ij->ji"` the transpose). Letters missing from
/// the output are summed over; without `->` the output holds the letters used once, in alphabetical
/// order (capitals first). An ellipsis `...` in an operand stands for the axes its letters leave
/// unlabelled; the ellipses of all operands broadcast together, aligned at their last axis, and
/// appear in the output where it has `...` (first without `->`; summed when the output has none):
/// `"...ij,...jk->...ik"` is `matmul` with broadcast batch axes. A letter of extent 1 broadcasts
/// against a longer one, as in PyTorch. Spaces are ignored. Operands meet pairwise from the left,
/// contractions as one matrix product each (BLAS gemm, transposed through its flags where the
/// layout allows). Differentiable in every operand.
public func einsum<Scalar>(_ equation: String, _ operands: Tensor<Scalar>...) -> Tensor<Scalar> {
    einsum(equation, operands)
}

/// The axis labels of one side of an einsum equation: letters, and `nil` for the ellipsis.
private func einsumTerm(_ text: Substring, equation: String) -> [Character?] {
    var term: [Character?] = []
    var rest = text[...]
    while let letter = rest.first {
        if rest.hasPrefix("...") {
            require(!term.contains(nil), "einsum: term \"\(text)\" of \"\(equation)\" has more than one ellipsis")
            term.append(nil)
            rest = rest.dropFirst(3)
            continue
        }
        require(letter.isASCII && letter.isLetter,
                "einsum: equation \"\(equation)\" has \"\(letter)\"; only letters and one ellipsis \"...\" per term label axes")
        term.append(letter)
        rest = rest.dropFirst()
    }
    return term
}

/// ``einsum(_:_:)`` with the operands in an array.
func einsum<Scalar>(_ equation: String, _ operands: [Tensor<Scalar>]) -> Tensor<Scalar> {
    let op = "einsum"
    require(!operands.isEmpty, "\(op): equation \"\(equation)\" has no operands")
    let text = equation.filter { $0 != " " }
    let sides = text.components(separatedBy: "->")
    require(sides.count <= 2, "\(op): equation \"\(equation)\" has more than one \"->\"")
    let terms = sides[0].split(separator: ",", omittingEmptySubsequences: false).map { einsumTerm($0, equation: equation) }
    require(terms.count == operands.count,
            "\(op): equation \"\(equation)\" names \(terms.count) operands, got \(operands.count)")
    // The ellipsis becomes labels of its own (private-use characters), right-aligned across operands.
    var ellipsisRank = 0
    for (term, operand) in zip(terms, operands) {
        let lettered = term.compactMap { $0 }.count
        require(term.contains(nil) ? operand.rank >= lettered : operand.rank == lettered,
                "\(op): term \"\(String(term.map { $0 ?? "…" }))\" of \"\(equation)\" labels \(lettered) axes of shape \(operand.shape)")
        if term.contains(nil) { ellipsisRank = Swift.max(ellipsisRank, operand.rank - lettered) }
    }
    let ellipsis = (0..<ellipsisRank).map { Character(Unicode.Scalar(0xE000 + $0)!) }
    func expanded(_ term: [Character?], axes: Int) -> [Character] {
        term.flatMap { $0.map { [$0] } ?? Array(ellipsis.suffix(axes - term.count + 1)) }
    }
    var labels = zip(terms, operands).map { expanded($0, axes: $1.rank) }
    // Each label's extent; an axis of extent 1 broadcasts against a longer one.
    var extents: [Character: Int] = [:]
    for (term, operand) in zip(labels, operands) {
        for (letter, extent) in zip(term, operand.shape) {
            // A letter repeated within one operand (a diagonal) does not broadcast.
            for (other, otherExtent) in zip(term, operand.shape) where other == letter {
                require(otherExtent == extent, "\(op): letter \"\(letter)\" repeats in an operand of shape \(operand.shape) "
                        + "of \"\(equation)\" with extents \(extent) and \(otherExtent)")
            }
            let known = extents[letter, default: extent]
            require(known == extent || known == 1 || extent == 1,
                    "\(op): \(ellipsis.contains(letter) ? "ellipsis axes" : "letter \"\(letter)\"") of \"\(equation)\" are "
                    + "\(known) and \(extent) long (shapes \(operands.map(\.shape)))")
            extents[letter] = Swift.max(known, extent)
        }
    }
    let output: [Character]
    if sides.count == 2 {
        let outputTerm = einsumTerm(Substring(sides[1]), equation: equation)
        output = outputTerm.flatMap { $0.map { [$0] } ?? ellipsis }
        require(Set(output).count == output.count, "\(op): output \"\(sides[1])\" of \"\(equation)\" repeats a letter")
        for letter in output where extents[letter] == nil {
            programmerError("\(op): output letter \"\(letter)\" of \"\(equation)\" labels no operand axis")
        }
    } else {
        let uses = labels.flatMap { $0 }.reduce(into: [Character: Int]()) { $0[$1, default: 0] += 1 }
        output = ellipsis + uses.filter { $0.value == 1 && !ellipsis.contains($0.key) }.keys.sorted()
    }
    var tensors = operands
    // Broadcast axes (extent 1 where the label is longer elsewhere) leave their operand.
    for i in tensors.indices where zip(labels[i], tensors[i].shape).contains(where: { $1 == 1 && extents[$0]! > 1 }) {
        let kept = labels[i].indices.filter { !(tensors[i].shape[$0] == 1 && extents[labels[i][$0]]! > 1) }
        tensors[i] = tensors[i].reshaped(to: kept.map { tensors[i].shape[$0] })
        labels[i] = kept.map { labels[i][$0] }
    }
    // Each operand alone: diagonals for repeated letters, sums over letters no one else needs.
    for i in tensors.indices {
        while let letter = labels[i].first(where: { c in labels[i].filter { $0 == c }.count > 1 }) {
            let first = labels[i].firstIndex(of: letter)!, second = labels[i].lastIndex(of: letter)!
            tensors[i] = tensors[i].diagonal(axis1: first, axis2: second)
            labels[i] = labels[i].indices.filter { $0 != first && $0 != second }.map { labels[i][$0] } + [letter]
        }
        let needed = Set(output + labels.indices.filter { $0 != i }.flatMap { labels[$0] })
        let summed = labels[i].indices.filter { !needed.contains(labels[i][$0]) }
        if !summed.isEmpty {
            tensors[i] = tensors[i].sum(alongAxes: summed)
            labels[i] = labels[i].filter { needed.contains($0) }
        }
    }
    // Pairwise from the left: letters needed later (by the output or a later operand) survive.
    var result = tensors[0], resultLabels = labels[0]
    for i in 1..<tensors.count {
        let needed = Set(output + labels[(i + 1)...].flatMap { $0 })
        (result, resultLabels) = contract(result, resultLabels, tensors[i], labels[i], keeping: needed, extents: extents)
    }
    let order = output.map { resultLabels.firstIndex(of: $0)! }
    return result.permuted(order)
}

/// `a` and `b` (labelled axes) contracted over the letters they share that `keeping` lacks, as
/// one batched matrix product: a → (batch, m, k), b → (batch, k, n).
private func contract<Scalar>(
    _ a: Tensor<Scalar>, _ aLabels: [Character], _ b: Tensor<Scalar>, _ bLabels: [Character],
    keeping: Set<Character>, extents: [Character: Int]
) -> (Tensor<Scalar>, [Character]) {
    let shared = aLabels.filter { bLabels.contains($0) }
    let batch = shared.filter { keeping.contains($0) }, contracted = shared.filter { !keeping.contains($0) }
    // Letters of b that neither a nor `keeping` has were summed out with b alone.
    let aOnly = aLabels.filter { !bLabels.contains($0) }, bOnly = bLabels.filter { !aLabels.contains($0) }
    let size = { (letters: [Character]) in letters.reduce(1) { $0 * extents[$1]! } }
    let (B, M, K, N) = (size(batch), size(aOnly), size(contracted), size(bOnly))
    /// The operand as (batch, rows, columns): as it is, transposed through gemm's flag, or permuted.
    func arranged(_ x: Tensor<Scalar>, _ labels: [Character], _ rows: [Character], _ columns: [Character]) -> (Tensor<Scalar>, Bool) {
        if labels == batch + rows + columns { return (x, false) }
        if labels == batch + columns + rows { return (x, true) }
        return (x.permuted((batch + rows + columns).map { labels.firstIndex(of: $0)! }), false)
    }
    let (aArranged, transposeA) = arranged(a, aLabels, aOnly, contracted)
    let (bArranged, transposeB) = arranged(b, bLabels, contracted, bOnly)
    let product: Tensor<Scalar>
    if contracted.isEmpty {
        // Nothing to sum: a broadcast elementwise product.
        product = aArranged.reshaped(to: [B, M, 1]) * bArranged.reshaped(to: [B, 1, N])
    } else {
        let aMatrix = aArranged.reshaped(to: B == 1 ? (transposeA ? [K, M] : [M, K]) : (transposeA ? [B, K, M] : [B, M, K]))
        let bMatrix = bArranged.reshaped(to: B == 1 ? (transposeB ? [N, K] : [K, N]) : (transposeB ? [B, N, K] : [B, K, N]))
        product = matmul(aMatrix, bMatrix, transposeA: transposeA, transposeB: transposeB)
    }
    let labels = batch + aOnly + bOnly
    return (product.reshaped(to: labels.map { extents[$0]! }), labels)
}
