import Foundation
import ImpastoMedia
import ImpastoTensor

/// The pictures a job's inputs name: files as given, folders standing for the JPEG and PNG files directly
/// inside them.
enum ImageInputs {
    /// The input images, folders replaced by the JPEG and PNG files directly inside them, sorted by name.
    static func expanded(_ inputs: [URL]) throws -> [URL] {
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
