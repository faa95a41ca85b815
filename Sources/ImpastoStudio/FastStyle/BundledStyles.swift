import Foundation
import ImpastoModels
import ImpastoTensor

/// The fast-style models that ship inside Impasto (Sources/ImpastoStudio/Styles, a resource bundle beside the
/// binary), so `--model starry` works on a machine that has downloaded nothing.
public enum BundledStyles {
    /// The names `--model` accepts besides a path, sorted.
    public static var names: [String] {
        guard let folder = Bundle.module.url(forResource: "Styles", withExtension: nil),
              let files = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return [] }
        return files.filter { $0.hasSuffix(".safetensors") }.map { String($0.dropLast(".safetensors".count)) }.sorted()
    }

    /// The file `--model` names: `nameOrPath` itself when a file is there, else the bundled style of that name.
    ///
    /// - Throws: `ImpastoError.unreadableFile` naming the path and the bundled styles when it is neither.
    public static func modelFile(_ nameOrPath: String) throws -> URL {
        let path = URL(fileURLWithPath: nameOrPath)
        if FileManager.default.fileExists(atPath: path.path) || nameOrPath.contains("/") { return path }
        if let bundled = Bundle.module.url(forResource: nameOrPath, withExtension: "safetensors", subdirectory: "Styles") {
            return bundled
        }
        let known = names
        throw ImpastoError.unreadableFile(path: nameOrPath, reason: "no such file, and no bundled style has that name"
            + (known.isEmpty ? "" : " (bundled: \(known.joined(separator: ", ")))"))
    }

    /// The TransformerNet `--model` names.
    public static func model(_ nameOrPath: String) throws -> TransformerNet {
        try TransformerNet(contentsOf: modelFile(nameOrPath))
    }
}
