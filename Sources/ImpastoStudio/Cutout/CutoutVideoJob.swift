import Foundation
import ImpastoMedia
import ImpastoModels
import ImpastoTensor

/// One `impasto cutout CLIP -o OUT.mp4 --background B` run: every frame cut out as `CutoutJob` cuts out a
/// photo and composited over the background (or written as its mask), the mask steadied over time, the audio
/// copied; decoding, batches, encoding and stopping are `VideoStyle.run`'s.
public struct CutoutVideoJob: Sendable {
    public var input: URL
    /// An MP4, MOV or MKV file (H.264), or for a transparent cutout WebM (VP9 with alpha) or MOV (ProRes 4444).
    public var output: URL
    /// What each frame becomes (`.cutout`, `.composite` or `.mask`), the model, threshold and refinement; its
    /// inputs and destination are not used.
    public var frames: CutoutJob
    /// How far an uncertain pixel keeps the previous frame's mask: the new mask m becomes
    /// m + s·u·(previous − m), u = 1 − |2m − 1| (0 where the model is sure, 1 at m = 0.5). 0 turns it off.
    public var smoothing: Float = 0.9
    /// Size, encoding and ffmpeg (the batch size and stabilization are unused).
    public var options = VideoStyle.Options()

    public init(input: URL, output: URL, frames: CutoutJob) {
        self.input = input
        self.output = output
        self.frames = frames
    }

    /// The extensions `impasto cutout` takes for a video rather than an image.
    public static let inputExtensions: Set<String> = ["mp4", "mov", "mkv", "webm", "avi", "m4v"]

    /// The containers H.264 is written into.
    public static let outputExtensions: Set<String> = ["mp4", "mov", "mkv"]

    /// Checks the options before any work.
    public func validate() throws {
        try frames.validate()
        if frames.output == .cutout {
            guard ["webm", "mov"].contains(output.pathExtension.lowercased()) else {
                throw ImpastoError.invalidArgument("The output \(output.path) must end in .webm or .mov to keep the cutout's "
                    + "transparency (or give --background for .mp4).")
            }
        } else if !Self.outputExtensions.contains(output.pathExtension.lowercased()) {
            throw ImpastoError.invalidArgument("The output \(output.path) must end in .mp4, .mov or .mkv: video composites and masks are written as H.264.")
        }
        guard !frames.crop else { throw ImpastoError.invalidArgument("--crop is for images: a video keeps one frame size.") }
        guard (0...1).contains(smoothing) else {
            throw ImpastoError.invalidArgument("--smoothing must be between 0 and 1, not \(smoothing).")
        }
        try Overwriting.refuse(outputs: [output], inputs: [input] + frames.inputFiles)
    }

    /// Cuts out the video; a stop ends it after the current frame, as a shorter whole file.
    @discardableResult
    public func run(_ context: JobContext = JobContext()) throws -> VideoStyle.Summary {
        try validate()
        var options = self.options
        options.batchSize = 1
        options.stabilization = nil
        options.keepsAlpha = frames.output == .cutout
        var segmenter: PersonSegmenter?
        var reporter: ProgressReporter?
        var previous: [Float]?
        let summary = try VideoStyle.run(input: input, output: output, stylize: { batch in
            try batch.map { frame in
                let mask = steadied(try frames.mask(of: frame, segmenter: segmenter!), previous: previous)
                previous = mask
                return try frames.cutout(frame.rgb(), mask: mask, note: context.note)
            }
        }, options: options, prepare: { info in
            segmenter = try frames.loadSegmenter(context)
            reporter = context.reporter(title: input.lastPathComponent, unit: .steps(name: "frame", rateSymbol: "fps"),
                                        total: Int64(info.frameCount))
        }, progress: { count in
            reporter?.update(completed: Int64(count), json: [("frame", .int(Int64(count)))])
        }, isCancelled: { context.control.isCancelled })
        reporter?.finish(summary: String(format: "%@: %d frames, %d×%d, in %.1f s (%.2f fps)", output.path, summary.frames,
                                         summary.width, summary.height, summary.seconds, summary.framesPerSecond),
                         json: [("output", .string(output.path)), ("frames", .int(Int64(summary.frames)))])
        return summary
    }

    /// `mask` pulled towards `previous` where it is uncertain.
    func steadied(_ mask: [Float], previous: [Float]?) -> [Float] {
        guard let previous, smoothing > 0 else { return mask }
        return zip(mask, previous).map { m, p in m + smoothing * (1 - abs(2 * m - 1)) * (p - m) }
    }
}
