import Foundation
import ImpastoMedia
import ImpastoTensor

/// The images a job reads from what a user named: image files as given, folders replaced by the JPEG and PNG
/// files directly inside them, sorted by name.
public enum ImageInputs {
    /// - Throws: `ImpastoError.unreadableFile` for a path that does not exist, `.invalidArgument` for a folder
    ///   without images.
    public static func expand(_ inputs: [URL]) throws -> [URL] {
        let manager = FileManager.default
        return try inputs.flatMap { url -> [URL] in
            var isFolder: ObjCBool = false
            guard manager.fileExists(atPath: url.path, isDirectory: &isFolder) else {
                throw ImpastoError.unreadableFile(path: url.path, reason: "it does not exist")
            }
            guard isFolder.boolValue else { return [url] }
            let images = try manager.contentsOfDirectory(at: url, includingPropertiesForKeys: nil)
                .filter { ImageFileFormat.fileExtensions.contains($0.pathExtension.lowercased()) }
                .sorted { $0.lastPathComponent < $1.lastPathComponent }
            guard !images.isEmpty else {
                throw ImpastoError.invalidArgument("The folder \(url.path) holds no JPEG or PNG images.")
            }
            return images
        }
    }
}
