import Foundation
import ImpastoTensor
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Weight files of any format Impasto reads, told apart by their first bytes rather than their names
/// (people rename `.pth` to `.pt` and `.bin` freely).
public enum WeightFile {
    /// The most bytes one tensor may take once converted to float32: 8 GiB, 2³¹ elements. The largest
    /// tensor of the networks Impasto runs is VGG's fc6 weight (411 MB) and a large language model's
    /// embedding is about 2 GB; a shape beyond this is a lying header, refused before anything is
    /// allocated.
    public static let maximumTensorBytes = 1 << 33

    /// The most dimensions a tensor may have (NumPy's limit; weights have at most five).
    public static let maximumDimensions = 64

    /// The tensors in the safetensors file, PyTorch checkpoint or NumPy `.npy`/`.npz` file at `url`.
    public static func load(contentsOf url: URL) throws -> [String: Tensor] {
        // safetensors: an 8-byte little-endian header length, then the JSON header's "{".
        let head = try firstBytes(128, ofFileAt: url.path)
        if head.count >= 9 && head[8] == UInt8(ascii: "{") {
            return try SafeTensors.load(contentsOf: url)
        }
        if head.starts(with: [0x93] + Array("NUMPY".utf8)) {
            return [url.deletingPathExtension().lastPathComponent: try NumPyArrays.load(contentsOf: url)]
        }
        if firstZipEntryIsNumPyArray(head) { return try NumPyArrays.loadArchive(contentsOf: url) }
        return try TorchCheckpoint.load(contentsOf: url)
    }

    /// Whether `head` opens a ZIP archive whose first entry is a `.npy` file (an `.npz`): the local header's
    /// name, at byte 30, its length at byte 26. torch.save archives open with `<name>/data.pkl`.
    private static func firstZipEntryIsNumPyArray(_ head: [UInt8]) -> Bool {
        guard head.count >= 30, head.starts(with: [0x50, 0x4B, 0x03, 0x04]) else { return false }
        let length = Int(head[26]) | Int(head[27]) << 8
        guard head.count >= 30 + length else { return false }
        return String(decoding: head[30..<30 + length], as: UTF8.self).hasSuffix(".npy")
    }

    /// Up to `count` bytes from the start of the regular file at `path`.
    private static func firstBytes(_ count: Int, ofFileAt path: String) throws -> [UInt8] {
        let (descriptor, _) = try openRegularFile(path)
        defer { close(descriptor) }
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let result = bytes.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + filled, count - filled) }
            if result < 0 && errno == EINTR { continue }
            guard result >= 0 else { throw ImpastoError.unreadableFile(path: path, reason: systemErrorMessage()) }
            if result == 0 { break }
            filled += result
        }
        return Array(bytes.prefix(filled))
    }
}

/// The number of elements of tensor `name` of `shape`, after checking that Impasto can hold it:
/// at most `WeightFile.maximumDimensions` dimensions, none negative, and at most
/// `WeightFile.maximumTensorBytes` as float32, all overflow-checked. Zero-sized dimensions are left out
/// of the size check, so that [0, 2⁴⁰, 2⁴⁰] cannot pass as empty and overflow stride arithmetic later.
func checkedElementCount(_ shape: [Int], name: String) throws -> Int {
    guard shape.count <= WeightFile.maximumDimensions else {
        throw FormatError.malformed("tensor '\(name)' has \(shape.count) dimensions, more than the \(WeightFile.maximumDimensions) Impasto reads")
    }
    guard shape.allSatisfy({ $0 >= 0 }) else {
        throw FormatError.malformed("tensor '\(name)' has a negative size in its shape \(shape)")
    }
    let maximumCount = WeightFile.maximumTensorBytes / 4
    var count = 1
    for size in shape where size > 0 {
        let (product, overflow) = count.multipliedReportingOverflow(by: size)
        guard !overflow, product <= maximumCount else {
            throw FormatError.malformed("tensor '\(name)' of shape \(shape) would take more than the \(WeightFile.maximumTensorBytes >> 30) GiB Impasto allows a tensor as float32")
        }
        count = product
    }
    return shape.contains(0) ? 0 : count
}
