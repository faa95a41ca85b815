import Foundation

/// Every parser is fuzzed through the path users reach: a file on disk (memory-mapped or read as it would be
/// in production), so the harness writes each input to one file in a private folder (on /dev/shm where it
/// exists) and hands its URL to `body`. Errors are the expected outcome; only crashes, leaks, hangs and
/// sanitizer reports count.
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int, name: String, _ body: (URL) throws -> Void) -> CInt {
    let url = folder.appendingPathComponent(name)
    FileManager.default.createFile(atPath: url.path, contents: Data(bytes: data, count: size))
    _ = try? body(url)
    return 0
}

private let folder: URL = {
    let base = FileManager.default.fileExists(atPath: "/dev/shm") ? URL(fileURLWithPath: "/dev/shm")
        : FileManager.default.temporaryDirectory
    let url = base.appendingPathComponent("impasto-fuzz-\(getpid())")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}()

/// One fuzz input: the bytes and their count.
public typealias FuzzTarget = @convention(c) (UnsafePointer<UInt8>, Int) -> CInt

@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                                 _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                                 _ target: FuzzTarget) -> CInt

/// libFuzzer's command line run on `target`. SwiftPM renames an executable's entry point to `<Target>_main`
/// and points `main` at it, so each target exports that name and hands over to libFuzzer's driver.
public func runFuzzer(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ target: FuzzTarget) -> CInt {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments, target)
}
