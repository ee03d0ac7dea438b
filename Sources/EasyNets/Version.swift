/// The EasyNets release.
public enum EasyNetsVersion {
    /// The version string, e.g. "0.1.0".
    public static let current = "0.1.0"
}
