/// Every failure Impasto reports to a user: each case carries the file, key or shape involved, and
/// `description` is one sentence a person can act on.
public enum ImpastoError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A file could not be read, or ended before its declared content did.
    case unreadableFile(path: String, reason: String)
    /// A file was read but is not in the format it claims to be.
    case invalidFormat(path: String, reason: String)
    /// A checkpoint needs something the restricted unpickler refuses to construct.
    case forbiddenPickleGlobal(path: String, global: String)
    /// A model asked for a parameter the weight file does not have.
    case missingKey(key: String, source: String)
    /// A weight file holds tensors the model has no place for (usually weights of a different architecture).
    case unexpectedKeys(keys: [String], source: String)
    /// A weight file holds a tensor whose shape differs from what the model declares.
    case shapeMismatch(key: String, expected: [Int], actual: [Int])
    /// A weight file holds NaN or infinite values, which can only make images of noise or black.
    case nonFiniteWeights(key: String, source: String)
    /// An argument is out of range or inconsistent with another one.
    case invalidArgument(String)
    /// Writing an output failed (disk full, permissions, missing directory).
    case writeFailed(path: String, reason: String)
    /// A kernel backend is not available in this build or on this machine.
    case backendUnavailable(String)

    public var description: String {
        switch self {
        case let .unreadableFile(path, reason): "Cannot read \(path): \(reason)."
        case let .invalidFormat(path, reason): "\(path) is not a valid file of the expected kind: \(reason)."
        case let .forbiddenPickleGlobal(path, global):
            "\(path) asks to run \(global), which a weight file never needs; refusing to load it."
        case let .missingKey(key, source): "The weights in \(source) have no tensor named '\(key)'."
        case let .unexpectedKeys(keys, source):
            "The weights in \(source) hold \(keys.count) tensor(s) this model does not have (\(keys.prefix(3).joined(separator: ", "))\(keys.count > 3 ? ", …" : "")); is it a file for a different network?"
        case let .shapeMismatch(key, expected, actual):
            "Tensor '\(key)' has shape \(actual) in the weight file, but the model expects \(expected)."
        case let .nonFiniteWeights(key, source):
            "The weights in \(source) hold NaN or infinite values in '\(key)'; the file is damaged or comes from a run that diverged."
        case let .invalidArgument(message): message
        case let .writeFailed(path, reason): "Cannot write \(path): \(reason)."
        case let .backendUnavailable(what): "\(what) is not available in this build."
        }
    }
}
