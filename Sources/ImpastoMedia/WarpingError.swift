import Foundation
import ImpastoTensor

/// The warping error of Lai et al. 2018, "Learning Blind Video Temporal Consistency" (arXiv:1808.00449):
/// how much a processed video flickers where the original's motion says it should not change.
///
/// For each pair of consecutive frames, the flow from original frame t to frame t-1 carries processed frame
/// t-1 onto frame t, and the error of the pair is the mean squared difference between processed frame t and
/// that warped frame over the pixels the occlusion mask trusts, averaged over the three channels (values in
/// [0, 1]): E_t = Σ M·(S_t − warp(S_t-1))² / (3 Σ M). The video's error is the mean over its pairs. As in
/// Lai et al.'s evaluation code, a pair with no trusted pixel counts as 0. The flows come from the original
/// frames because the processed ones are what is being judged.
public struct WarpingErrorMeter {
    /// Flow settings.
    public let options: OpticalFlow.Options
    /// Pairs measured so far (one less than the frames added).
    public private(set) var pairs = 0
    private var total = 0.0
    private var previous: (original: OpticalFlow.Pyramid, processed: Image)?

    /// An empty meter.
    public init(options: OpticalFlow.Options = .init()) {
        self.options = options
    }

    /// The mean error over the pairs so far (0 before the second frame).
    public var value: Double { pairs > 0 ? total / Double(pairs) : 0 }

    /// Adds the next frame of the original video and of the processed one, which must have the same size.
    /// Returns the error of the pair it ends (nil for the first frame).
    @discardableResult
    public mutating func add(original: Image, processed: Image) -> Double? {
        precondition(original.width == processed.width && original.height == processed.height,
                     "original frame \(original.width)×\(original.height), processed \(processed.width)×\(processed.height)")
        let current = OpticalFlow.Pyramid(original, options: options)
        let processed = processed.rgb()
        defer { previous = (current, processed) }
        guard let previous else { return nil }
        let backward = OpticalFlow.farneback(from: current, to: previous.original)
        let forward = OpticalFlow.farneback(from: previous.original, to: current)
        let error = Self.maskedError(processed, backward.warped(previous.processed),
                                     mask: backward.reliability(reverse: forward))
        total += error
        pairs += 1
        return error
    }

    /// Σ M·(a − b)² / (channels · Σ M), or 0 when the mask is empty.
    static func maskedError(_ a: Image, _ b: Image, mask: [Float]) -> Double {
        let count = a.width * a.height
        var squares = 0.0
        var weight = 0.0
        a.pixels.withUnsafeBufferPointer { a in
            b.pixels.withUnsafeBufferPointer { b in
                for i in 0..<count where mask[i] > 0 {
                    var sum: Float = 0
                    for channel in 0..<3 {
                        let difference = a[channel * count + i] - b[channel * count + i]
                        sum += difference * difference
                    }
                    squares += Double(mask[i] * sum)
                    weight += Double(mask[i])
                }
            }
        }
        return weight > 0 ? squares / (3 * weight) : 0
    }

    /// The warping error of `processed` against `original`, two videos with the same size and frame count
    /// (a stylized video against its source), decoded through ffmpeg.
    ///
    /// - Throws: `ImpastoError.invalidArgument` when the sizes or frame counts differ, and what
    ///   `VideoReader` throws.
    public static func measure(original: URL, processed: URL, options: OpticalFlow.Options = .init(),
                               ffmpeg: FFmpeg = .default) throws -> WarpingErrorMeter {
        let originals = try VideoReader(contentsOf: original, ffmpeg: ffmpeg)
        let results = try VideoReader(contentsOf: processed, ffmpeg: ffmpeg)
        let (a, b) = (originals.info, results.info)
        guard a.width == b.width && a.height == b.height else {
            throw ImpastoError.invalidArgument(
                "\(processed.path) is \(b.width)×\(b.height) but \(original.path) is \(a.width)×\(a.height); "
                + "the warping error compares videos of the same size.")
        }
        let mismatch = { (counts: (Int, Int)) in
            ImpastoError.invalidArgument(
                "\(processed.path) has \(counts.1) frames but \(original.path) has \(counts.0); "
                + "the warping error compares videos frame by frame.")
        }
        guard a.frameCount == b.frameCount else { throw mismatch((a.frameCount, b.frameCount)) }
        var meter = WarpingErrorMeter(options: options)
        while true {
            switch (try originals.nextFrame(), try results.nextFrame()) {
            case let (frame?, result?):
                meter.add(original: frame, processed: result)
            case (nil, nil):
                return meter
            default:
                // The containers' counts agreed but the decoded streams do not.
                throw mismatch((originals.framesRead, results.framesRead))
            }
        }
    }
}
