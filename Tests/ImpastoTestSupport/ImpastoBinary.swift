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
