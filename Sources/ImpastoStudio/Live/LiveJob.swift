import Foundation
import ImpastoMedia
import ImpastoTensor

/// One `impasto live` run: frames from a camera, a stream, a file played in real time or raw RGB on standard
/// input, stylized as they come and sent to a preview in the browser (Motion JPEG on loopback), a stream, a
/// file or standard output. Frames that arrive while the network is busy are dropped, never queued, so the
/// output stays as close to now as the network allows; the run reports the fps it delivered and the latency
/// from a frame's arrival (its last byte read from ffmpeg or the pipe) to its stylized copy being sent.
public struct LiveJob: Sendable {
    /// Where frames come from: `/dev/video0` (default), a URL (`rtsp://…`, `http://…`), a file, or "-" for raw
    /// `rgb24` frames on standard input (`inputSize` says their size).
    public var input: String
    /// Where stylized frames go: nil or `preview[:PORT]` for the browser preview, `rtmp://…`, `udp://…`,
    /// `srt://…`, `rtsp://…` for a stream, "-" for raw `rgb24` on standard output, else a video file.
    public var output: String?
    public var style: StyleSource
    /// The stylized size: a longer side or width × height; nil: the input's own (a camera or a stream needs
    /// width × height, as their size is not known before they start).
    public var size: LiveSize?
    /// The size of raw frames on standard input.
    public var inputSize: (width: Int, height: Int)?
    public var precision: Precision = .fp32
    /// Stop after this many seconds or delivered frames; nil: until the input ends or Ctrl-C.
    public var duration: Double?
    public var frames: Int?
    /// A stream that sends nothing for this long has stalled (an error).
    public var stallTimeout: Double = 10

    public init(input: String, output: String?, style: StyleSource) {
        self.input = input
        self.output = output
        self.style = style
    }

    /// What a run delivered.
    public struct Outcome: Sendable {
        public let framesArrived: Int
        public let framesDelivered: Int
        public let framesDropped: Int
        public let seconds: Double
        /// Delivered frames per second of the run.
        public var framesPerSecond: Double { seconds > 0 ? Double(framesDelivered) / seconds : 0 }
        /// Arrival to sent, in seconds: median and 95th percentile.
        public let latencyMedian: Double
        public let latency95: Double
        /// Why it stopped: "the input ended", "stopped", "duration reached", "frames reached".
        public let end: String
        public let width: Int, height: Int
    }

    /// Checks the options before anything starts.
    public func validate() throws {
        if input == "-" {
            guard inputSize != nil else {
                throw ImpastoError.invalidArgument("Raw frames on standard input need --input-size WIDTHxHEIGHT.")
            }
        } else if inputSize != nil {
            throw ImpastoError.invalidArgument("--input-size is for raw frames on standard input (INPUT -).")
        }
        if let duration, !(duration > 0) { throw ImpastoError.invalidArgument("--duration must be positive, not \(duration).") }
        if let frames, frames < 1 { throw ImpastoError.invalidArgument("--frames must be at least 1, not \(frames).") }
        guard stallTimeout > 0 else { throw ImpastoError.invalidArgument("--stall-timeout must be positive.") }
        if case let .exact(width, height)? = size, !(16...7680).contains(width) || !(16...4320).contains(height) {
            throw ImpastoError.invalidArgument("--size \(width)x\(height) is outside 16x16 … 7680x4320.")
        }
        if case let .longerSide(side)? = size, !(16...7680).contains(side) {
            throw ImpastoError.invalidArgument("--size \(side) is outside 16 … 7680.")
        }
        if let file = outputFile {
            try Overwriting.refuse(outputs: [file], inputs: (isFile(input) ? [URL(fileURLWithPath: input)] : []) + style.inputFiles)
        }
    }

    /// Runs until the input ends, the duration or frame count is reached, or the context's control stops it;
    /// a file output is then put in place, whole.
    public func run(_ context: JobContext = JobContext()) throws -> Outcome {
        try validate()
        if output == "-" && context.progress == .json {
            throw ImpastoError.invalidArgument("--json writes events to standard output, where the raw frames go; drop one.")
        }
        let (width, height) = try frameSize()
        let stylize = try style.videoStylizer(precision: precision)
        // One frame before the input starts: the first call converts the weights into the kernels' layouts
        // (~0.1 s), which would otherwise count as the first frame's latency.
        _ = try stylize([Image(width: width, height: height, channels: 3, pixels: [Float](repeating: 0.5, count: width * height * 3))])
        let source = try LiveSource(input == "-" ? .raw(descriptor: STDIN_FILENO, width: inputSize!.width, height: inputSize!.height)
                                                 : .ffmpeg(input, realTime: isFile(input)),
                                    width: input == "-" ? inputSize!.width : width,
                                    height: input == "-" ? inputSize!.height : height)
        defer { source.close() }
        let sink = try makeSink(width: width, height: height, context: context)
        let reporter = context.reporter(title: "live", unit: .steps(name: "frame", rateSymbol: "fps"),
                                        total: frames.map(Int64.init))
        var latencies: [Double] = []
        let start = LiveSource.now()
        var end = "stopped"
        while true {
            if context.control.isCancelled { break }
            if let duration, LiveSource.now() - start >= duration { end = "duration reached"; break }
            if let frames, latencies.count >= frames { end = "frames reached"; break }
            guard let frame = try source.next(timeout: stallTimeout) else { end = "the input ended"; break }
            let image = frame.image.width == width && frame.image.height == height
                ? frame.image : frame.image.resized(width: width, height: height)
            var stylized = try stylize([image])[0]
            if stylized.width != width || stylized.height != height { stylized = stylized.cropped(width: width, height: height) }
            try sink.send(stylized)
            let latency = LiveSource.now() - frame.arrival
            latencies.append(latency)
            reporter.update(completed: Int64(latencies.count),
                            detail: String(format: "latency %.0f ms, %d dropped", latency * 1000, source.framesDropped),
                            json: [("event", "frame"), ("frame", .int(Int64(latencies.count))),
                                   ("latency", .double(latency)), ("dropped", .int(Int64(source.framesDropped)))])
        }
        let seconds = LiveSource.now() - start
        source.close()
        try sink.finish()
        let sorted = latencies.sorted()
        func quantile(_ q: Double) -> Double { sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(q * Double(sorted.count)))] }
        let outcome = Outcome(framesArrived: source.framesArrivedCount, framesDelivered: latencies.count,
                              framesDropped: source.framesDropped, seconds: seconds, latencyMedian: quantile(0.5),
                              latency95: quantile(0.95), end: end, width: width, height: height)
        reporter.finish(
            summary: String(format: "live %d×%d: %d frames delivered of %d arrived (%d dropped) in %.1f s, %.2f fps, latency %.0f ms median, %.0f ms p95; %@.",
                            width, height, outcome.framesDelivered, outcome.framesArrived, outcome.framesDropped,
                            seconds, outcome.framesPerSecond, outcome.latencyMedian * 1000, outcome.latency95 * 1000, end),
            json: [("event", "done"), ("width", .int(Int64(width))), ("height", .int(Int64(height))),
                   ("arrived", .int(Int64(outcome.framesArrived))), ("delivered", .int(Int64(outcome.framesDelivered))),
                   ("dropped", .int(Int64(outcome.framesDropped))), ("seconds", .double(seconds)),
                   ("fps", .double(outcome.framesPerSecond)), ("latency_median", .double(outcome.latencyMedian)),
                   ("latency_p95", .double(outcome.latency95)), ("end", .string(end))])
        return outcome
    }

    // MARK: - Inputs and outputs

    private func isFile(_ path: String) -> Bool {
        path != "-" && !path.contains("://") && !path.hasPrefix("/dev/")
    }

    /// The video file the output names, if it names one.
    private var outputFile: URL? {
        guard let output, output != "-", !output.contains("://"), !output.hasPrefix("preview") else { return nil }
        return URL(fileURLWithPath: output)
    }

    /// The stylized size: exact, or the longer side applied to the input's (raw frames' or the probed file's).
    private func frameSize() throws -> (Int, Int) {
        if case let .exact(width, height)? = size { return (width, height) }
        let own: (width: Int, height: Int)
        if input == "-", let inputSize {
            own = inputSize
        } else if isFile(input) {
            let info = try VideoInfo(contentsOf: URL(fileURLWithPath: input))
            own = (info.width, info.height)
        } else {
            throw ImpastoError.invalidArgument("Give --size as WIDTHxHEIGHT for a camera or a stream (its size is not known before it starts).")
        }
        guard case let .longerSide(side)? = size else { return own }
        return VideoInfo.size(of: own, longerSide: side)
    }

    private func makeSink(width: Int, height: Int, context: JobContext) throws -> LiveSink {
        switch output {
        case "-":
            return RawFrameSink()
        case let output? where output.contains("://"):
            return try StreamSink(url: output, width: width, height: height)
        case let output? where !output.hasPrefix("preview"):
            return try FileSink(url: URL(fileURLWithPath: output), width: width, height: height)
        default:
            let port = output.flatMap { $0.split(separator: ":").dropFirst().first }.flatMap { Int($0) } ?? 8090
            let server = try MJPEGServer(port: port)
            context.note("preview at \(server.address)")
            return server
        }
    }
}

/// How big live frames are stylized.
public enum LiveSize: Sendable, Equatable {
    case longerSide(Int)
    case exact(width: Int, height: Int)

    /// "640" or "640x360".
    public init?(_ text: String) {
        let parts = text.lowercased().split(separator: "x")
        if parts.count == 1, let side = Int(parts[0]) { self = .longerSide(side) }
        else if parts.count == 2, let width = Int(parts[0]), let height = Int(parts[1]) { self = .exact(width: width, height: height) }
        else { return nil }
    }
}
