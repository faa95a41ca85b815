// Helpers for ImpastoStudio's tests: a loopback HTTP server in a child process, captured output streams,
// temporary directories and deterministic file contents.
import Foundation
import ImpastoTestSupport
import ImpastoStudio

/// A fresh, empty directory that the test owns.
func temporaryDirectory(_ name: String = #function) throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("impasto-studio-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// `count` bytes that look random and are the same on every run (xorshift), so chunk boundaries
/// and digests are exercised on realistic data.
func pseudoRandomBytes(_ count: Int, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> Data {
    var state = seed
    return Data((0..<count).map { _ in
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        return UInt8(truncatingIfNeeded: state >> 32)
    })
}

/// `scripts/loopback_http_server.py` serving a directory on 127.0.0.1, in a child process that exits
/// when this process closes its standard input (or exits itself).
final class LoopbackServer {
    let root: URL
    private(set) var port = 0
    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private var buffered = Data()

    init(serving root: URL) throws {
        self.root = root
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [ProcessInfo.processInfo.environment["IMPASTO_PYTHON"] ?? "python3",
                             repositoryRoot.appendingPathComponent("scripts/loopback_http_server.py").path, root.path]
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        let ready = readLine() ?? ""
        guard ready.hasPrefix("READY "), let port = Int(ready.dropFirst(6)) else {
            throw CocoaError(.featureUnsupported, userInfo: [NSLocalizedDescriptionKey: "server said '\(ready)'"])
        }
        self.port = port
    }

    deinit { stop() }

    /// The URL of a file in the served directory, with optional query flags (`norange`, `cut=N`).
    func url(_ name: String, query: String? = nil) -> URL {
        URL(string: "http://127.0.0.1:\(port)/\(name)" + (query.map { "?" + $0 } ?? ""))!
    }

    /// The next line the server printed: its request log (`GET /name range=bytes=N-`). It is written before
    /// the response, so after a request completes its line is there to read.
    func readLine() -> String? {
        while true {
            if let newline = buffered.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffered[..<newline], as: UTF8.self)
                buffered.removeSubrange(...newline)
                return line
            }
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { return nil }
            buffered.append(chunk)
        }
    }

    /// Stops the server and waits for it to exit; its port is then free (and refuses connections).
    func stop() {
        guard process.isRunning else { return }
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }
}

/// Output streams that collect what a reporter writes.
final class CapturedStreams: @unchecked Sendable {
    private let lock = NSLock()
    private var outputText = ""
    private var errorText = ""

    var output: String { lock.withLock { outputText } }
    var error: String { lock.withLock { errorText } }

    func streams(errorIsTerminal: Bool) -> ProgressReporter.Streams {
        ProgressReporter.Streams(output: { text in self.lock.withLock { self.outputText += text } },
                                 error: { text in self.lock.withLock { self.errorText += text } },
                                 errorIsTerminal: errorIsTerminal)
    }
}

/// A clock the test moves by hand.
final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current = 0.0
    var now: Double {
        get { lock.withLock { current } }
        set { lock.withLock { current = newValue } }
    }
    var function: @Sendable () -> Double { { self.now } }
}

/// Lines a job's streams received, as a service forwarding them to its clients would get them.
final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    var events: [[String: Any]] {
        lock.withLock { lines }.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }
    var streams: ProgressReporter.Streams {
        ProgressReporter.Streams(output: { [self] text in lock.withLock { lines += text.split(separator: "\n").map(String.init) } },
                                 error: { _ in }, errorIsTerminal: false)
    }
}
