// Running the built `impasto` executable: what users see of a command is its exit status and its streams.
import Foundation
import Testing

/// The repository root, found from this file's location (the tests run from a checkout).
public let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// The `impasto` executable beside the test bundle (SwiftPM builds every product into the same directory).
public func impastoBinary() throws -> URL {
    let directories = [URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()]
        + Bundle.allBundles.filter { $0.bundlePath.hasSuffix(".xctest") }.map { $0.bundleURL.deletingLastPathComponent() }
        + [repositoryRoot.appendingPathComponent(".build/debug")]
    let candidates = directories.map { $0.appendingPathComponent("impasto") }
    return try #require(candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) },
                        "no impasto binary in \(candidates.map(\.path)); build it with `swift build --product impasto`")
}

/// Starts `impasto` with `arguments` and the test's environment plus `environment`.
public func startImpasto(_ arguments: [String], environment: [String: String] = [:]) throws
    -> (Process, output: Pipe, error: Pipe) {
    let process = Process()
    let output = Pipe(), error = Pipe()
    process.executableURL = try impastoBinary()
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    process.standardOutput = output
    process.standardError = error
    try process.run()
    return (process, output, error)
}

/// Runs `impasto` to the end.
public func runImpasto(_ arguments: [String], environment: [String: String] = [:]) throws
    -> (status: Int32, output: String, error: String) {
    let (process, output, error) = try startImpasto(arguments, environment: environment)
    let outputText = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    let errorText = String(decoding: error.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, outputText, errorText)
}

/// The release build of `impasto` (`.build/release/impasto` in the checkout), which the hostile corpus
/// runs through: it is the binary users run, built as they build it.
///
/// Fails the calling test, never skips it, when the binary is missing, or when a source file or
/// Package.swift changed after the last release build: a stale binary would prove nothing about the
/// code under test.
public func impastoReleaseBinary() throws -> URL {
    let release = repositoryRoot.appendingPathComponent(".build/release")
    let binary = release.appendingPathComponent("impasto")
    let rebuild = "run `swift build -c release --product impasto` first"
    let linked = try #require(modificationDate(binary), "there is no release binary at \(binary.path); \(rebuild)")
    // SwiftPM does not relink when a touched file compiles to the same objects, but it always rewrites
    // the compiled modules' dependency files (.d): the last build is the newer of the two.
    let built = max(linked, newestModificationDate(under: release.resolvingSymlinksInPath()) { $0.pathExtension == "d" })
    let sources = repositoryRoot.appendingPathComponent("Sources")
    let newest = newestModificationDate(under: sources) { _ in true }
    let manifest = modificationDate(repositoryRoot.appendingPathComponent("Package.swift")) ?? .distantPast
    if max(newest, manifest) > built {
        Issue.record("the release binary \(binary.path) is older than the sources; \(rebuild)")
    }
    return binary
}

private func modificationDate(_ url: URL) -> Date? {
    try? url.resourceValues(forKeys: [.contentModificationDateKey]).contentModificationDate
}

/// The latest modification date of the files under `directory` that `include` accepts.
private func newestModificationDate(under directory: URL, where include: (URL) -> Bool) -> Date {
    let files = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: [.contentModificationDateKey])
    return (files?.compactMap { $0 as? URL } ?? []).filter(include).compactMap(modificationDate).max() ?? .distantPast
}
