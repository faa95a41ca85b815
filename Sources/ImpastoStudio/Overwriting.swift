import Foundation
import ImpastoTensor
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One rule for every job: no path a job reads (content, style, init image, weights, model, photos, a checkpoint
/// to resume) may be one it writes. Two paths are one file when they name it after `.`, `..` and symbolic links
/// are resolved, or, for files that exist, when they share device and inode (a hard link).
public enum Overwriting {
    /// Throws `ImpastoError.invalidArgument` naming the first output that is also an input.
    public static func refuse(outputs: [URL], inputs: [URL]) throws {
        let paths = Set(inputs.map(canonicalPath))
        let identities = Set(inputs.compactMap(identity))
        for output in outputs where paths.contains(canonicalPath(output)) || identity(output).map(identities.contains) == true {
            throw ImpastoError.invalidArgument("Refusing to overwrite the input \(output.path); choose another output.")
        }
    }

    /// Whether `a` and `b` name one file or folder, by the same rule.
    public static func same(_ a: URL, _ b: URL) -> Bool {
        if canonicalPath(a) == canonicalPath(b) { return true }
        guard let first = identity(a) else { return false }
        return first == identity(b)
    }

    /// The absolute path with `.`/`..` and symbolic links resolved.
    public static func canonicalPath(_ url: URL) -> String {
        url.standardizedFileURL.resolvingSymlinksInPath().path
    }

    private struct Identity: Hashable { let device: UInt64, inode: UInt64 }

    private static func identity(_ url: URL) -> Identity? {
        var status = stat()
        guard stat(url.path, &status) == 0 else { return nil }
        return Identity(device: UInt64(status.st_dev), inode: UInt64(status.st_ino))
    }
}
