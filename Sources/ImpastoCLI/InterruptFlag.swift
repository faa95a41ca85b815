import ArgumentParser
import Dispatch
import Foundation
import ImpastoStudio
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns the first Ctrl-C (SIGINT) into a request that a long job polls between steps, so it can stop
/// cleanly and save what it has; a second Ctrl-C ends the process at once, as people expect when the
/// current step takes long.
///
/// The signal is ignored at the process level and delivered through a dispatch source instead, so nothing
/// runs in signal-handler context: the handler is an ordinary closure that may take a lock.
final class InterruptFlag: @unchecked Sendable {
    private var source: DispatchSourceSignal?

    /// Starts catching SIGINT; the first one cancels `control`.
    init(cancelling control: JobControl) {
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler {
            control.cancel()
            signal(SIGINT, SIG_DFL)
        }
        source.resume()
        self.source = source
    }

    /// Gives SIGINT back its default action.
    func uninstall() {
        source?.cancel()
        signal(SIGINT, SIG_DFL)
    }
}

extension JobContext {
    /// Runs a job that stops between images on Ctrl-C, and exits with status 130 when `run` says it stopped
    /// before the end (`apply`, `cutout`).
    static func runStoppable(_ progress: ProgressOptions, _ run: (JobContext) throws -> Bool) throws {
        let context = JobContext(progress: progress.mode)
        let interrupt = InterruptFlag(cancelling: context.control)
        defer { interrupt.uninstall() }
        if try run(context) { throw ExitCode(130) }
    }
}

/// Refuses both or neither of `-o` and `--output-dir` (`apply`, `cutout`).
func requireOneDestination(output: String?, outputDir: String?) throws {
    guard (output == nil) != (outputDir == nil) else {
        throw ValidationError("Give either -o/--output (one image) or --output-dir (any number), not both or neither.")
    }
}
