import Foundation
import ImpastoTensor

/// Why bytes could not be decoded. The decoders do not know which file they are reading; the public
/// entry points add the path and turn these into `ImpastoError`s.
enum FormatError: Error {
    /// The bytes end before `part` does (a phrase such as "its ZIP archive").
    case truncated(part: String)
    /// The bytes are not what the format requires; `reason` completes "... is not a valid file: ".
    case malformed(String)
    /// A pickle names a global outside the allow-list.
    case forbiddenGlobal(String)

    func impastoError(path: String) -> ImpastoError {
        switch self {
        case let .truncated(part):
            .unreadableFile(path: path, reason: "the file ends in the middle of \(part), so it was probably cut short")
        case let .malformed(reason): .invalidFormat(path: path, reason: reason)
        case let .forbiddenGlobal(global): .forbiddenPickleGlobal(path: path, global: global)
        }
    }
}

/// Maps the file at `url` and runs `decode` over its bytes, reporting failures as errors that name the file.
/// The bytes are only valid inside `decode`.
func decodingFile<Result>(at url: URL, _ decode: (UnsafeRawBufferPointer) throws -> Result) throws -> Result {
    let file = try MappedFile(url)
    do {
        return try withExtendedLifetime(file) { try decode(file.bytes) }
    } catch let error as FormatError {
        throw error.impastoError(path: url.path)
    }
}
