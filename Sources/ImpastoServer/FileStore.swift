// Files under DATA/files, addressed by server-made ids only: no name a user sends ever reaches a path.
import Foundation
import ImpastoFormats
import ImpastoTensor

/// The folder of stored files. An id is 32 lowercase hex digits drawn here; anything else names no file.
public struct FileStore: Sendable {
    public let folder: URL
    /// Where running jobs write before their files are adopted.
    public let workFolder: URL

    public init(data: URL) throws {
        folder = data.appendingPathComponent("files", isDirectory: true)
        workFolder = data.appendingPathComponent("work", isDirectory: true)
        for url in [folder, workFolder] {
            do {
                try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            } catch {
                throw ImpastoError.writeFailed(path: url.path, reason: "the folder cannot be created")
            }
        }
    }

    /// A fresh id.
    public static func newID() -> String {
        (0..<2).map { _ in
            let hex = String(UInt64.random(in: 0...UInt64.max), radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }

    /// Whether `id` has the form of an id (and so can be joined to the folder).
    public static func isValidID(_ id: some StringProtocol) -> Bool {
        id.utf8.count == 32 && id.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    /// The file of `id`; nil for text that is not an id.
    public func url(of id: String) -> URL? {
        Self.isValidID(id) ? folder.appendingPathComponent(id) : nil
    }

    /// Writes `bytes` atomically under a fresh id and returns it.
    public func store(_ bytes: [UInt8]) throws -> String {
        let id = Self.newID()
        try bytes.withUnsafeBytes { try AtomicFile.write($0, to: folder.appendingPathComponent(id)) }
        return id
    }

    /// Moves a file a job wrote (in the work folder, so on the same file system) under `id` (a fresh one unless
    /// given) and returns the id.
    @discardableResult
    public func adopt(_ file: URL, as id: String = FileStore.newID()) throws -> String {
        guard rename(file.path, folder.appendingPathComponent(id).path) == 0 else {
            throw ImpastoError.writeFailed(path: file.path, reason: "it cannot be moved into \(folder.path)")
        }
        return id
    }

    /// The bytes of `id`, or nil when there is no such file.
    public func read(_ id: String) -> Data? {
        url(of: id).flatMap { try? Data(contentsOf: $0) }
    }

    /// Removes the files of these ids (missing ones are fine).
    public func remove(_ ids: [String?]) {
        for id in ids.compactMap({ $0 }) {
            if let url = url(of: id) { try? FileManager.default.removeItem(at: url) }
        }
    }
}
