// How a long job reports progress, shared by every subcommand that runs one.
import ArgumentParser
import ImpastoStudio

/// `--quiet` and `--json`, for any command that reports progress.
public struct ProgressOptions: ParsableArguments {
    /// Print nothing but errors.
    @Flag(name: .shortAndLong, help: "Print nothing but errors.")
    public var quiet = false

    /// Machine-readable progress.
    @Flag(help: "Write one JSON object per progress event to standard output instead of a progress line.")
    public var json = false

    /// Options as parsed.
    public init() {}

    /// Rejects `--quiet` together with `--json`.
    public func validate() throws {
        if quiet && json { throw ValidationError("Choose either --quiet or --json, not both.") }
    }

    /// The reporter mode these options ask for.
    public var mode: ProgressMode { quiet ? .quiet : json ? .json : .human }
}
