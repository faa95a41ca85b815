// Running `impasto stylize`: the arguments become a Studio `StylizeJob`, which does the work.
import ArgumentParser
import Foundation
import ImpastoStudio

extension StylizeCommand {
    /// Stylises with progress on the process's streams.
    func run() throws {
        try run(streams: .standard)
    }

    /// Stylises, reporting to `streams`; Ctrl-C stops after the current iteration, writes the latest image and
    /// exits with status 130.
    func run(streams: ProgressReporter.Streams) throws {
        let ignored = [gpu.map { _ in "-gpu" }, backend.map { _ in "-backend" }, cudnnAutotune ? "-cudnn_autotune" : nil]
            .compactMap { $0 }
        let context = JobContext(progress: progress.mode, streams: streams)
        if !ignored.isEmpty { context.note("\(ignored.joined(separator: ", ")) ignored; Impasto runs on the CPU.") }
        let interrupt = InterruptFlag(cancelling: context.control)
        defer { interrupt.uninstall() }
        if try job(options: stylizeOptions()).run(context).stopped { throw ExitCode(130) }
    }

    /// The job these arguments describe, with `options`.
    func job(options: StylizeOptions) -> StylizeJob {
        var job = StylizeJob(content: URL(fileURLWithPath: contentPath!), styles: stylePaths.map { URL(fileURLWithPath: $0) },
                             output: URL(fileURLWithPath: output!), options: options,
                             initialImage: initImagePath.map { URL(fileURLWithPath: $0) },
                             weights: weights.map { URL(fileURLWithPath: $0) }, variant: variant)
        job.protectFaces = protectFaces.map(FaceProtection.init(strength:))
        job.faceDetector = faceDetector
        job.upscale = upscale.options
        job.device = compute.device
        return job
    }
}
