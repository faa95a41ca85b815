import Foundation
import ImpastoTensor

/// A frame rate as the exact rational ffmpeg uses (30000/1001 for NTSC), so re-encoding keeps the timing
/// of every frame instead of drifting by a rounded 29.97.
public struct FrameRate: Sendable, Equatable, CustomStringConvertible {
    /// Frames per `denominator` seconds.
    public let numerator: Int
    /// Seconds per `numerator` frames.
    public let denominator: Int

    /// A rate of `numerator / denominator` frames per second; both must be positive.
    public init(_ numerator: Int, _ denominator: Int = 1) {
        precondition(numerator > 0 && denominator > 0, "frame rate \(numerator)/\(denominator) must be positive")
        self.numerator = numerator
        self.denominator = denominator
    }

    /// ffprobe's `"25/1"` form; nil for `"0/0"` (unknown) or anything malformed.
    init?(ffprobe text: String) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let numerator = Int(parts[0]), let denominator = Int(parts[1]),
              numerator > 0, denominator > 0 else { return nil }
        self.init(numerator, denominator)
    }

    /// Frames per second.
    public var framesPerSecond: Double { Double(numerator) / Double(denominator) }

    /// `numerator/denominator`, the form ffmpeg's `-framerate` takes.
    public var description: String { "\(numerator)/\(denominator)" }
}

/// What ffprobe reports about a video file: the first video stream's picture size (as decoded, after any
/// rotation the container asks for), frame rate, frame count and duration, and whether there is sound.
public struct VideoInfo: Sendable, Equatable {
    /// The probed file.
    public let url: URL
    /// Columns of a decoded frame.
    public let width: Int
    /// Rows of a decoded frame.
    public let height: Int
    /// The stream's average frame rate (its nominal rate when the container gives no average).
    public let frameRate: FrameRate
    /// Frames in the stream: the container's count when it has one, otherwise counted by demuxing.
    public let frameCount: Int
    /// Seconds, from the stream or else the container.
    public let duration: Double
    /// Whether the file has at least one audio stream (which encoding can copy).
    public let hasAudio: Bool
    /// ffmpeg's index of the video stream, for `-map 0:index`.
    let streamIndex: Int

    /// Probes `url` with ffprobe.
    ///
    /// - Throws: `ImpastoError.unreadableFile` when the file is missing or ffprobe cannot read it,
    ///   `ImpastoError.invalidFormat` when it has no video stream, and the install hint when ffprobe is
    ///   missing.
    public init(contentsOf url: URL, ffmpeg: FFmpeg = .default) throws {
        let path = url.path
        let ffprobe = try ffmpeg.executable(ffmpeg.ffprobePath)
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw ImpastoError.unreadableFile(path: path, reason: "it does not exist or cannot be opened")
        }
        let report = try Self.run(ffprobe, ["-v", "error", "-print_format", "json", "-show_streams",
                                            "-show_format", path], path: path)
        let streams = report.streams ?? []
        // Cover art in audio files is a one-picture "video" stream marked as an attached picture.
        guard let video = streams.first(where: { $0.codec_type == "video" && $0.disposition?.attached_pic != 1 }),
              let codedWidth = video.width, let codedHeight = video.height, codedWidth > 0, codedHeight > 0 else {
            throw ImpastoError.invalidFormat(path: path, reason: "it has no video stream")
        }
        guard let rate = FrameRate(ffprobe: video.avg_frame_rate ?? "") ?? FrameRate(ffprobe: video.r_frame_rate ?? "")
        else {
            throw ImpastoError.invalidFormat(path: path, reason: "its video stream declares no frame rate")
        }
        // ffmpeg turns frames upright on decode, so a portrait phone clip stored sideways decodes portrait.
        let quarterTurn = Int((video.rotation ?? 0).rounded()).quotientAndRemainder(dividingBy: 180).remainder != 0
        self.url = url
        (width, height) = quarterTurn ? (codedHeight, codedWidth) : (codedWidth, codedHeight)
        frameRate = rate
        duration = Double(video.duration ?? "") ?? Double(report.format?.duration ?? "") ?? 0
        hasAudio = streams.contains { $0.codec_type == "audio" }
        streamIndex = video.index
        if let count = Int(video.nb_frames ?? ""), count > 0 {
            frameCount = count
        } else {
            // Matroska and WebM carry no frame count; counting packets demuxes the file without decoding it.
            let counted = try Self.run(ffprobe, ["-v", "error", "-print_format", "json", "-count_packets",
                                                 "-select_streams", "\(video.index)",
                                                 "-show_entries", "stream=index,nb_read_packets", path], path: path)
            frameCount = Int(counted.streams?.first?.nb_read_packets ?? "")
                ?? Int((duration * rate.framesPerSecond).rounded())
        }
    }

    /// The frame size whose longer side is `longerSide` (less one when that is odd), keeping the aspect
    /// ratio, with both sides even as H.264 in 4:2:0 needs.
    public func size(longerSide: Int) -> (width: Int, height: Int) {
        Self.size(of: (width, height), longerSide: longerSide)
    }

    /// `size` scaled so that its longer side is `longerSide`, each side rounded down to an even number (what
    /// H.264's 4:2:0 needs), at least 2.
    public static func size(of size: (width: Int, height: Int), longerSide: Int) -> (width: Int, height: Int) {
        let scale = Double(longerSide) / Double(max(size.width, size.height))
        let even = { (side: Int) in max(2, Int(Double(side) * scale / 2 + 1e-9) * 2) }
        return (even(size.width), even(size.height))
    }

    private static func run(_ ffprobe: URL, _ arguments: [String], path: String) throws -> ProbeReport {
        let output = Pipe()
        let child = try ChildProcess(ffprobe, arguments, input: FileHandle.nullDevice, output: output)
        let data = output.fileHandleForReading.readDataToEndOfFile()
        guard child.wait() == 0 else {
            throw ImpastoError.unreadableFile(path: path, reason: "ffprobe cannot read it (\(child.failureReason(for: path)))")
        }
        do {
            return try JSONDecoder().decode(ProbeReport.self, from: data)
        } catch {
            throw ImpastoError.unreadableFile(path: path, reason: "ffprobe's report could not be understood")
        }
    }
}

/// The parts of `ffprobe -print_format json -show_streams -show_format` that Impasto reads.
private struct ProbeReport: Decodable {
    struct Stream: Decodable {
        struct Disposition: Decodable { let attached_pic: Int? }
        struct SideData: Decodable { let rotation: Double? }
        struct Tags: Decodable { let rotate: String? }
        let index: Int
        let codec_type: String?
        let width: Int?
        let height: Int?
        let avg_frame_rate: String?
        let r_frame_rate: String?
        let nb_frames: String?
        let nb_read_packets: String?
        let duration: String?
        let disposition: Disposition?
        let side_data_list: [SideData]?
        let tags: Tags?

        /// Degrees from the display matrix (ffmpeg 5 and later) or the older `rotate` tag.
        var rotation: Double? {
            side_data_list?.lazy.compactMap(\.rotation).first ?? tags?.rotate.flatMap(Double.init)
        }
    }
    struct Format: Decodable { let duration: String? }
    let streams: [Stream]?
    let format: Format?
}
