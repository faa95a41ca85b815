import Foundation
import ImpastoMedia
import ImpastoTensor

/// One `impasto video` run as Studio performs it for any front end: a video stylized frame by frame (with
/// optional temporal stabilization) into an H.264 file, with progress and stopping through a `JobContext`.
public struct VideoJob: Sendable {
    /// The video to stylize.
    public var input: URL
    /// The MP4 to write.
    public var output: URL
    /// The network and style.
    public var source: StyleSource
    /// Size, batches, encoding and stabilization.
    public var options: VideoStyle.Options
    /// The arithmetic of the network's convolutions.
    public var precision: Precision
    /// Faces kept close to the video (found on every frame, followed from frame to frame); nil leaves them styled.
    public var protectFaces: FaceProtection?
    /// An RGBA mask worn on every face before stylization, following the faces from frame to frame.
    public var overlay: URL?
    /// What finds the faces for both.
    public var faceDetector = FacesJob.Detector.mtcnn
    /// Where the network runs (`--device`): the CPU, or an NVIDIA GPU through the CUDA backend.
    public var device: Device = .cpu

    public init(input: URL, output: URL, source: StyleSource, options: VideoStyle.Options = VideoStyle.Options(),
                precision: Precision = .fp32) {
        self.input = input
        self.output = output
        self.source = source
        self.options = options
        self.precision = precision
    }

    /// Stylizes the video. The input is probed before the weights load, so a wrong video fails at once; a stop
    /// (the context's control) ends the video after the current batch, as a shorter whole file.
    @discardableResult
    public func run(_ context: JobContext = JobContext()) throws -> VideoStyle.Summary {
        try Overwriting.refuse(outputs: [output], inputs: [input] + source.inputFiles + (overlay.map { [$0] } ?? []))
        try protectFaces?.validate()
        try device.prepare()
        var stylizer: VideoStyle.Stylizer?
        var reporter: ProgressReporter?
        let summary = try VideoStyle.run(input: input, output: output, stylize: { frames in try Device.$current.withValue(device) { try stylizer!(frames) } },
                                         options: options, prepare: { info in
            stylizer = try Device.$current.withValue(device) { try source.videoStylizer(precision: precision) }
            if protectFaces != nil || overlay != nil {
                stylizer = try Self.facing(stylizer!, protection: protectFaces, overlay: try overlay.map(FaceOverlay.init(contentsOf:)),
                                           detector: faceDetector)
            }
            reporter = context.reporter(title: input.lastPathComponent, unit: .steps(name: "frame", rateSymbol: "fps"),
                                        total: Int64(info.frameCount))
        }, progress: { frames in
            reporter?.update(completed: Int64(frames), json: [("frame", .int(Int64(frames))),
                                                              ("fps", .double(reporter?.rate ?? 0))])
        }, isCancelled: { context.control.isCancelled })
        reporter?.finish(
            summary: String(format: "%@: %d frames, %d×%d, in %.1f s (%.2f fps)", output.path, summary.frames,
                            summary.width, summary.height, summary.seconds, summary.framesPerSecond),
            json: [("output", .string(output.path)), ("frames", .int(Int64(summary.frames))),
                   ("width", .int(Int64(summary.width))), ("height", .int(Int64(summary.height))),
                   ("fps", .double(summary.framesPerSecond))])
        return summary
    }

    /// `stylize` with faces found on every frame and followed across the frames it sees in order: `overlay` worn on
    /// them before stylization, `protection` applied after.
    static func facing(_ stylize: @escaping VideoStyle.Stylizer, protection: FaceProtection?,
                       overlay: FaceOverlay?, detector: FacesJob.Detector) throws -> VideoStyle.Stylizer {
        let detector = try FaceFinder(detector)
        var tracker = FaceTracker()
        return { frames in
            let faces = try detector(frames).map { tracker.update($0) }
            let worn = overlay.map { overlay in zip(frames, faces).map { overlay.apply(to: $0, faces: $1) } } ?? frames
            let stylized = try stylize(worn)
            guard let protection else { return stylized }
            // Protection brings back the frame as worn, mask and all.
            return zip(worn, zip(stylized, faces)).map { frame, pair in
                protection.apply(to: pair.0, photo: frame, faces: pair.1)
            }
        }
    }
}
