import CBLAS
import CLAPACKE

// Shared argument conversions for the BLAS/LAPACK forwards in `Float+TensorScalar.swift` and
// `Double+TensorScalar.swift`.

@inline(__always)
func cblasTranspose(_ transpose: Bool) -> CBLAS_TRANSPOSE {
    transpose ? CblasTrans : CblasNoTrans
}

@inline(__always)
func lapackInt(_ value: Int) -> Int32 { Int32(value) }

/// LAPACK character arguments as the C `char` LAPACKE expects.
let lapackLower = CChar(UInt8(ascii: "L"))
let lapackJobVectors = CChar(UInt8(ascii: "V"))
let lapackJobThin = CChar(UInt8(ascii: "S"))
let lapackNoTranspose = CChar(UInt8(ascii: "N"))
