import Foundation

/// Asks a running job to stop: Ctrl-C in the CLI, a cancelled request in a service. Jobs poll it between
/// steps (an iteration, a frame, a batch) and end cleanly with their latest result written.
public final class JobControl: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelled = false

    public init() {}

    /// Asks the job to stop after its current step.
    public func cancel() { lock.withLock { cancelled = true } }

    /// Whether `cancel()` has been called.
    public var isCancelled: Bool { lock.withLock { cancelled } }
}

/// What every Studio job is given by whoever runs it: where its progress goes and the control that stops
/// it. The one progress protocol of all jobs is `ProgressReporter`'s events (updates with losses or frames,
/// notes, a final summary), shown as a redrawn line at a terminal, as one JSON object per line for scripts
/// (`--json`), or forwarded by a service to its clients' event streams by passing its own `streams`.
public struct JobContext: Sendable {
    /// How much the job tells, and in which form.
    public var progress: ProgressMode
    /// Where it tells it.
    public var streams: ProgressReporter.Streams
    /// Stops it.
    public let control: JobControl

    public init(progress: ProgressMode = .human, streams: ProgressReporter.Streams = .standard,
                control: JobControl = JobControl()) {
        self.progress = progress
        self.streams = streams
        self.control = control
    }

    /// A reporter for one job's steps (`title` names it on the human line), `completed` of them done already.
    public func reporter(title: String, unit: ProgressReporter.Unit, total: Int64?, completed: Int64 = 0) -> ProgressReporter {
        ProgressReporter(mode: progress, title: title, unit: unit, total: total, completed: completed, streams: streams)
    }

    /// A note for the person running the job (which weights it uses, options it ignores) on the error stream,
    /// `note: …`, unless quiet; in JSON mode too, so that the output stream stays events only.
    public func note(_ message: String) {
        if progress != .quiet { streams.error("note: \(message)\n") }
    }
}
