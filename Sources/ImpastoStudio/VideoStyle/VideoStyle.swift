import Foundation
import ImpastoMedia
import ImpastoModels
import ImpastoTensor

/// Stylizes a video frame by frame: ffmpeg decodes to raw frames through a pipe, a network stylizes them in
/// batches, an optional `TemporalStabilizer` steadies them, and ffmpeg encodes H.264 with the audio copied.
///
/// Only one batch of frames is in memory at a time. The output appears under its name only once ffmpeg has
/// finished (`VideoWriter`), so a failure or an interrupt leaves nothing half-written behind.
public enum VideoStyle {
    /// Turns a batch of same-sized RGB frames into stylized frames of the same size, in order.
    public typealias Stylizer = ([Image]) throws -> [Image]

    /// How the output is made.
    public struct Options: Sendable {
        /// The longer side frames are scaled to (even sizes, aspect kept); nil keeps the video's size.
        public var size: Int?
        /// Frames per forward pass; nil picks `automaticBatchSize` for the frame size.
        public var batchSize: Int?
        /// x264's constant rate factor (0 lossless … 51).
        public var crf = 18
        /// x264's speed/size trade-off.
        public var preset = "medium"
        /// Carry the previous output along the original's optical flow with this weight; nil stylizes each
        /// frame on its own.
        public var stabilization: Float?
        /// Keep the frames' transparency (a `.webm` or `.mov` output; see `VideoWriter`).
        public var keepsAlpha = false
        /// Where ffmpeg and ffprobe are.
        public var ffmpeg: FFmpeg = .default
        /// waifu2x over every frame as it would be written, after stabilization (`--upscale 2`, `--denoise N`).
        public var upscale: UpscaleOptions?

        /// The defaults: the video's size, automatic batches, CRF 18, no stabilization.
        public init() {}
    }

    /// What a finished run did.
    public struct Summary: Sendable {
        /// Frames written.
        public let frames: Int
        /// Columns and rows of the output.
        public let width: Int, height: Int
        /// Wall-clock seconds from the first decoded frame to the finished file.
        public let seconds: Double
        /// Frames per second over the whole run.
        public var framesPerSecond: Double { seconds > 0 ? Double(frames) / seconds : 0 }
    }

    /// Stylizes `input` into `output`.
    ///
    /// - Parameters:
    ///   - prepare: called with the decoder's video description once it is known and before any work, so
    ///     a caller can set up progress; it may throw to stop before the output is created.
    ///   - progress: called after each batch with the number of frames written so far.
    ///   - isCancelled: asked after each batch; true ends the video there, a shorter but whole file.
    /// - Throws: `ImpastoError` for a missing ffmpeg, an input without a video stream, an output that cannot
    ///   be created, or ffmpeg failing part way; the output is then left as it was.
    @discardableResult
    public static func run(input: URL, output: URL, stylize: Stylizer, options: Options = Options(),
                           prepare: (VideoInfo) throws -> Void = { _ in },
                           progress: (Int) -> Void = { _ in }, isCancelled: () -> Bool = { false }) throws -> Summary {
        let info = try VideoInfo(contentsOf: input, ffmpeg: options.ffmpeg)
        let size: (width: Int, height: Int) = options.size.map { info.size(longerSide: $0) } ?? (info.width, info.height)
        let batchSize = options.batchSize ?? automaticBatchSize(width: size.width, height: size.height)
        precondition(batchSize >= 1, "a batch holds at least one frame, not \(batchSize)")
        try prepare(info)
        let start = ContinuousClock.now
        let reader = try VideoReader(contentsOf: input, size: size, ffmpeg: options.ffmpeg)
        defer { reader.close() }
        let upscaler = try options.upscale.map { try Waifu2xUpscaler(options: $0) }
        let written = upscaler?.outputSize(width: reader.width, height: reader.height) ?? (width: reader.width, height: reader.height)
        let writer = try VideoWriter(to: output, width: written.width, height: written.height,
                                     frameRate: info.frameRate, crf: options.crf, preset: options.preset,
                                     audioFrom: info.hasAudio ? input : nil, keepsAlpha: options.keepsAlpha,
                                     ffmpeg: options.ffmpeg)
        var stabilizer = options.stabilization.map { TemporalStabilizer(alpha: $0) }
        while true {
            let frames = try reader.nextBatch(maxCount: batchSize)
            if frames.isEmpty { break }
            // Too small a frame fails here, and the writer, dropped unfinished, deletes what it began.
            if writer.framesWritten == 0 { try ImageBatch.checkSize(frames[0]) }
            let stylized = try stylize(frames)
            precondition(stylized.count == frames.count, "a stylizer returned \(stylized.count) frames for \(frames.count)")
            for (original, result) in zip(frames, stylized) {
                let frame = stabilizer?(original: original, stylized: result) ?? result
                // Never nil: nothing asks waifu2x to stop between tiles; a stop ends the video after the batch.
                try writer.append(upscaler?.process(frame) ?? frame)
            }
            progress(writer.framesWritten)
            if isCancelled() { break }
        }
        try writer.finish()
        let seconds = (ContinuousClock.now - start) / .seconds(1)
        return Summary(frames: writer.framesWritten, width: writer.width, height: writer.height, seconds: seconds)
    }

    /// Frames per forward pass for `width` × `height` frames: up to 4 while a batch stays under a megapixel,
    /// else one. Small frames leave the cores idle between a convolution's few output rows, so batching them
    /// roughly doubled throughput at 160×120; at 720p one frame already fills the cores and a batch of 4 (over
    /// 2 GB of activations) ran slower, its time going to the kernel zeroing fresh pages.
    public static func automaticBatchSize(width: Int, height: Int) -> Int {
        max(1, min(4, (1 << 20) / max(1, width * height)))
    }

    /// Frames through a trained TransformerNet at `precision`.
    public static func stylizer(model: TransformerNet, precision: Precision = .fp32) -> Stylizer {
        return { frames in
            Precision.$current.withValue(precision) {
                ImageBatch.images(FastStyle.stylize(ImageBatch.tensor(frames), model: model))
            }
        }
    }

    /// Frames through AdaIN towards the weighted mix of `styles` (scaled to `styleSize` first), with the
    /// style statistics computed once for the whole video.
    public static func stylizer(model: AdaIN, styles: [Image], weights: [Float]? = nil, alpha: Float = 1,
                                styleSize: Int? = 512, precision: Precision = .fp32) throws -> Stylizer {
        let mix = try AdaINStyle.normalisedWeights(weights, styles: styles.count)
        guard (0...1).contains(alpha) else {
            throw ImpastoError.invalidArgument("The style strength alpha must lie between 0 and 1, not \(alpha).")
        }
        let styleImages = styles.map { $0.resized(longestSide: styleSize).rgb() }
        try styleImages.forEach { try ImageBatch.checkSize($0) }
        let statistics = Precision.$current.withValue(precision) {
            withoutGradients {
                FeatureStatistics.blend(styleImages.map { model.styleStatistics(of: ImageBatch.tensor([$0])) }, weights: mix)
            }
        }
        return { frames in
            Precision.$current.withValue(precision) {
                withoutGradients {
                    let decoded = model(ImageBatch.tensor(frames), style: statistics, alpha: alpha)
                    // The decoder's output is 8·⌈H/8⌉ × 8·⌈W/8⌉; the extra rows and columns lie bottom and right.
                    return ImageBatch.images(decoded).map { $0.cropped(width: frames[0].width, height: frames[0].height) }
                }
            }
        }
    }
}
