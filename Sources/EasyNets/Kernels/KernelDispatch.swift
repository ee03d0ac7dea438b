import CEasyNetsKernels

/// Which build of the C kernels runs on this CPU: each is compiled for AVX-512, AVX2 and baseline
/// x86-64, and the dynamic loader picks one when the library loads.
enum KernelDispatch {
    /// `"avx512f"`, `"avx2"` or `"baseline"`.
    static var vectorExtension: String { String(cString: easynets_kernels_isa()) }
}
