import RealModule

// MARK: LSTM cell

extension Kernels {
    /// One LSTM step for `batch` rows: `gates` (batch, 4H) holds the pre-activations of i, f, g, o
    /// and receives their activations (σ, σ, tanh, σ), which backward reads; c = f·cPrevious + i·g
    /// goes to `cell`, tanh(c) to `tanhCell` (for backward) and h = o·tanh(c) to `hidden` (all (batch, H)).
    /// Float runs the vectorized C loop (activations within a Float ulp of the exact values),
    /// Double ``lstmCellLoop(gates:previousCell:cell:tanhCell:hidden:batch:size:units:)``. With
    /// `units`, only those units of each row (in every gate block) are read and written.
    static func lstmCell<T: TensorScalar>(gates: UnsafeMutablePointer<T>, previousCell: UnsafePointer<T>, cell: UnsafeMutablePointer<T>,
                                          tanhCell: UnsafeMutablePointer<T>, hidden: UnsafeMutablePointer<T>, batch: Int, size h: Int,
                                          units: Range<Int>? = nil) {
        let units = units ?? 0..<h
        require(units.lowerBound >= 0 && units.upperBound <= h, "lstmCell: units \(units) outside 0..<\(h)")
        T._kernelLSTMCell(gates: gates, previousCell: previousCell, cell: cell, tanhCell: tanhCell, hidden: hidden,
                          batch: batch, size: h, units: units)
    }

    /// The Swift reference loop of ``lstmCell(gates:previousCell:cell:tanhCell:hidden:batch:size:units:)``,
    /// with the type's own σ and tanh.
    static func lstmCellLoop<T: TensorScalar>(gates: UnsafeMutablePointer<T>, previousCell: UnsafePointer<T>, cell: UnsafeMutablePointer<T>,
                                              tanhCell: UnsafeMutablePointer<T>, hidden: UnsafeMutablePointer<T>, batch: Int, size h: Int,
                                              units: Range<Int>) {
        for row in 0..<batch {
            let g = gates + row * 4 * h, offset = row * h
            for j in units {
                let input = stableSigmoid(g[j]), forget = stableSigmoid(g[h + j])
                let candidate = T.tanh(g[2 * h + j]), output = stableSigmoid(g[3 * h + j])
                (g[j], g[h + j], g[2 * h + j], g[3 * h + j]) = (input, forget, candidate, output)
                let c = forget * previousCell[offset + j] + input * candidate
                let squashed = T.tanh(c)
                (cell[offset + j], tanhCell[offset + j]) = (c, squashed)
                hidden[offset + j] = output * squashed
            }
        }
    }

    /// The backward of ``lstmCell(gates:previousCell:cell:tanhCell:hidden:batch:size:units:)``: from the
    /// step's activated `gates`, previous cell and tanh(c), and the gradients `dHidden` (of h) and
    /// `dCell` (of c, replaced by that of the previous cell), writes the gates' pre-activation
    /// gradients to `dGates`, for the units `units` of each row.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    static func lstmCellBackward<T: TensorScalar>(
        gates: UnsafePointer<T>, previousCell: UnsafePointer<T>, tanhCell: UnsafePointer<T>, dHidden: UnsafePointer<T>,
        dCell: UnsafeMutablePointer<T>, dGates: UnsafeMutablePointer<T>, batch: Int, size h: Int, units: Range<Int>
    ) {
        for row in 0..<batch {
            let g = gates + row * 4 * h, d = dGates + row * 4 * h, offset = row * h
            for j in units {
                let (input, forget, candidate, output) = (g[j], g[h + j], g[2 * h + j], g[3 * h + j])
                let squashed = tanhCell[offset + j], dh = dHidden[offset + j]
                let dc = dCell[offset + j] + dh * output * (1 - squashed * squashed)
                d[j] = dc * candidate * input * (1 - input)
                d[h + j] = dc * previousCell[offset + j] * forget * (1 - forget)
                d[2 * h + j] = dc * input * (1 - candidate * candidate)
                d[3 * h + j] = dh * squashed * output * (1 - output)
                dCell[offset + j] = dc * forget
            }
        }
    }
}
