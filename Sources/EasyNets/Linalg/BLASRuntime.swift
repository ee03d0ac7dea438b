import CBLAS

/// The BLAS library EasyNets runs on, and its thread count.
public enum BLASRuntime {
    /// OpenBLAS's build configuration string (`openblas_get_config`).
    public static var configuration: String {
        guard let text = openblas_get_config() else { return "unknown" }
        return String(cString: text)
    }

    /// The CPU kernel OpenBLAS selected at load time (`openblas_get_corename`), e.g. "Cooperlake".
    public static var coreName: String {
        guard let text = openblas_get_corename() else { return "unknown" }
        return String(cString: text)
    }

    /// The number of threads BLAS calls may use (`openblas_get/set_num_threads`).
    public static var threadCount: Int {
        get { Int(openblas_get_num_threads()) }
        set {
            require(newValue >= 1, "BLASRuntime.threadCount: must be at least 1, got \(newValue)")
            openblas_set_num_threads(Int32(newValue))
        }
    }

    /// The number of processors OpenBLAS detected (`openblas_get_num_procs`).
    public static var processorCount: Int { Int(openblas_get_num_procs()) }
}
