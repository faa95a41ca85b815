import Foundation
import ImpastoModels
import ImpastoTensor

/// The fast-style models that ship with Impasto (Sources/ImpastoStudio/Styles), so `--model starry` works on a
/// machine that has downloaded nothing.
///
/// Found in the resource bundle SwiftPM puts beside the binary (`impasto_ImpastoStudio.resources`, which an
/// install copies with it), else in the source tree the binary was built from. `Bundle.module` is not used: it
/// stops the process when neither is there, and a missing style must be one sentence.
public enum BundledStyles {
    /// Where the styles are, if anywhere.
    static var folder: URL? {
        let beside = Bundle.main.bundleURL.appendingPathComponent("impasto_ImpastoStudio.resources/Styles")
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Styles")
        return [beside, source].first { FileManager.default.fileExists(atPath: $0.path) }
    }

    /// The names `--model` accepts besides a path, sorted.
    public static var names: [String] {
        guard let folder, let files = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return [] }
        return files.filter { $0.hasSuffix(".safetensors") }.map { String($0.dropLast(".safetensors".count)) }.sorted()
    }

    /// The file `--model` names: `nameOrPath` itself when a file is there, else the bundled style of that name.
    ///
    /// - Throws: `ImpastoError.unreadableFile` naming the path and the bundled styles when it is neither.
    public static func modelFile(_ nameOrPath: String) throws -> URL {
        let path = URL(fileURLWithPath: nameOrPath)
        if FileManager.default.fileExists(atPath: path.path) || nameOrPath.contains("/") { return path }
        if let bundled = folder?.appendingPathComponent(nameOrPath + ".safetensors"),
           !nameOrPath.isEmpty, FileManager.default.fileExists(atPath: bundled.path) {
            return bundled
        }
        let known = names
        throw ImpastoError.unreadableFile(path: nameOrPath, reason: "no such file, and no bundled style has that name"
            + (known.isEmpty ? "" : " (bundled: \(known.joined(separator: ", ")))"))
    }

    /// The TransformerNet `--model` names, from the process's `ModelCache`.
    public static func model(_ nameOrPath: String) throws -> TransformerNet {
        try ModelCache.shared.transformerNet(nameOrPath)
    }
}
