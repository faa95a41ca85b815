import ArgumentParser
import Foundation
import ImpastoStudio
import ImpastoTensor

/// `impasto live [INPUT] [-o OUTPUT] --model starry`: stylize a camera, a stream or a file as it plays.
struct LiveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "live",
        abstract: "Stylize frames as they arrive: a camera, a stream, a file played in real time, or raw RGB on stdin.",
        discussion: """
            Frames that arrive while the network is busy are dropped, never queued, so the output stays close \
            to now; the end line reports delivered fps and the latency from a frame's arrival to its stylized \
            copy being sent. Ctrl-C ends the run (a file output is finished first).

            INPUT: /dev/video0 (default), a URL (rtsp://, rtmp://, http://, udp://, srt://), a video file (played \
            at its own frame rate), or - for raw rgb24 frames on standard input (with --input-size).
            OUTPUT: preview[:PORT] (default preview:8090: open http://127.0.0.1:PORT/ in a browser; Motion JPEG \
            on loopback only), a stream URL (rtmp:// as FLV, udp://, srt://, tcp:// as MPEG-TS, rtsp://), - for \
            raw rgb24 frames on standard output, or a video file.

            Examples:
              impasto live --model starry --size 640x360
              impasto live clip.mp4 -o live.mp4 --model starry --size 320
              ffmpeg -i in.mp4 -f rawvideo -pix_fmt rgb24 -s 320x240 - | impasto live - --input-size 320x240 -o - --model starry | ffplay -f rawvideo -pixel_format rgb24 -video_size 320x240 -
            """)

    @Argument(help: "The camera, stream URL, video file, or - for raw rgb24 frames on standard input.")
    var input = "/dev/video0"

    @Option(name: .shortAndLong, help: "preview[:PORT], a stream URL, - (raw rgb24 on stdout), or a video file.")
    var output: String?

    @OptionGroup var source: StyleSourceOptions

    @Option(help: "The stylized size: WIDTHxHEIGHT, or a longer side; default: the input's own (a camera or stream needs WIDTHxHEIGHT).",
            transform: { text in
                guard let size = LiveSize(text) else { throw ValidationError("--size must be like 640x360 or 640, not '\(text)'.") }
                return size
            })
    var size: LiveSize?

    @Option(help: "The size of raw frames on standard input, WIDTHxHEIGHT.")
    var inputSize: String?

    @Option(help: "Convolution arithmetic: fp32, or bf16.", transform: { text in
        guard let precision = Precision(rawValue: text) else { throw ValidationError("--precision must be fp32 or bf16, not '\(text)'.") }
        return precision
    })
    var precision: Precision = .fp32

    @Option(help: "Stop after this many seconds.")
    var duration: Double?

    @Option(help: "Stop after this many delivered frames.")
    var frames: Int?

    @Option(help: "Seconds without a frame after which the input counts as stalled (an error).")
    var stallTimeout: Double = 10

    @OptionGroup var progress: ProgressOptions

    func validate() throws {
        try validateJob { try job().validate() }
    }

    /// The job these arguments describe.
    func job() throws -> LiveJob {
        var job = LiveJob(input: input, output: output, style: try source.source())
        job.size = size
        if let inputSize {
            guard case let .exact(width, height)? = LiveSize(inputSize) else {
                throw ValidationError("--input-size must be like 320x240, not '\(inputSize)'.")
            }
            job.inputSize = (width, height)
        }
        job.precision = precision
        job.duration = duration
        job.frames = frames
        job.stallTimeout = stallTimeout
        return job
    }

    func run() throws {
        // Ctrl-C is how a live run usually ends: a clean stop, exit status 0.
        try JobContext.runStoppable(progress) { _ = try job().run($0); return false }
    }
}
