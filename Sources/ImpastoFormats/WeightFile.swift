import Foundation
import ImpastoTensor

/// Weight files of any format Impasto reads, told apart by their first bytes rather than their names
/// (people rename `.pth` to `.pt` and `.bin` freely).
public enum WeightFile {
    /// The tensors in the safetensors file or PyTorch checkpoint at `url`.
    public static func load(contentsOf url: URL) throws -> [String: Tensor] {
        let head: Data
        do {
            let handle = try FileHandle(forReadingFrom: url)
            defer { try? handle.close() }
            head = try handle.read(upToCount: 9) ?? Data()
        } catch {
            throw ImpastoError.unreadableFile(path: url.path, reason: (error as NSError).localizedFailureReason
                ?? "it does not exist or cannot be opened")
        }
        // safetensors: an 8-byte little-endian header length, then the JSON header's "{".
        if head.count == 9 && head[head.startIndex + 8] == UInt8(ascii: "{") {
            return try SafeTensors.load(contentsOf: url)
        }
        return try TorchCheckpoint.load(contentsOf: url)
    }
}
