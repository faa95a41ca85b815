// Progress for every long job (downloads, optimisation loops, video): one reporter, three audiences.
// People at a terminal get one line redrawn in place; logs get a line now and then; scripts get JSON.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How much a job tells, and to whom.
public enum ProgressMode: Sendable, Equatable {
    /// A progress line on standard error, redrawn in place on a terminal and printed now and then otherwise.
    case human
    /// Nothing (errors still reach standard error through the caller).
    case quiet
    /// One JSON object per event on standard output, for scripts; nothing on standard error.
    case json
}

/// A value in a JSON progress event.
public enum ProgressValue: Sendable, Equatable, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByStringLiteral, ExpressibleByBooleanLiteral {
    /// A whole number.
    case int(Int64)
    /// A real number; non-finite values are written as `null`, which JSON has instead.
    case double(Double)
    /// Text.
    case string(String)
    /// A flag.
    case bool(Bool)
    /// No value (an unknown total, say).
    case null
    /// A list (a face's box corners, say).
    case array([ProgressValue])
    /// An object, its members in the order given.
    case object([Member])

    /// One named member of an object.
    public struct Member: Sendable, Equatable {
        public var name: String
        public var value: ProgressValue

        public init(_ name: String, _ value: ProgressValue) {
            self.name = name
            self.value = value
        }
    }

    /// A float32 as the shortest decimal that reads back as it (`4812.81`, not the `4812.8095703125` its
    /// exact double value prints as).
    public static func float(_ value: Float) -> ProgressValue { .double(Double("\(value)") ?? Double(value)) }

    /// `.int`, from a literal.
    public init(integerLiteral value: Int64) { self = .int(value) }
    /// `.double`, from a literal.
    public init(floatLiteral value: Double) { self = .double(value) }
    /// `.string`, from a literal.
    public init(stringLiteral value: String) { self = .string(value) }
    /// `.bool`, from a literal.
    public init(booleanLiteral value: Bool) { self = .bool(value) }

    /// The value written as JSON.
    public var json: String {
        switch self {
        case let .int(value): String(value)
        case let .double(value): value.isFinite ? "\(value)" : "null"
        case let .string(value): Self.quoted(value)
        case let .bool(value): value ? "true" : "false"
        case .null: "null"
        case let .array(values): "[" + values.map(\.json).joined(separator: ",") + "]"
        case let .object(members): "{" + members.map { Self.quoted($0.name) + ":" + $0.value.json }.joined(separator: ",") + "}"
        }
    }

    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20: result += String(format: "\\u%04x", scalar.value)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}

/// Reports how far a long job has got: a count of units done out of an optional total, with rate and ETA.
///
/// Everything it touches is injected (the two output streams, whether standard error is a terminal, the
/// clock), so tests see exactly what a user would. Calls may come from any thread; they are serialised.
public final class ProgressReporter: @unchecked Sendable {
    /// What is being counted.
    public enum Unit: Sendable, Equatable {
        /// Bytes, shown as MB and MB/s.
        case bytes
        /// Discrete steps such as iterations, shown with `name` and `rateSymbol` (`"it/s"`).
        case steps(name: String, rateSymbol: String)
    }

    /// Where a reporter writes.
    public struct Streams: Sendable {
        /// Receives JSON events.
        public var output: @Sendable (String) -> Void
        /// Receives the human progress line.
        public var error: @Sendable (String) -> Void
        /// Whether `error` is a terminal, where the line can be redrawn with a carriage return.
        public var errorIsTerminal: Bool

        /// Streams that write to the given closures.
        public init(output: @escaping @Sendable (String) -> Void, error: @escaping @Sendable (String) -> Void,
                    errorIsTerminal: Bool) {
            self.output = output
            self.error = error
            self.errorIsTerminal = errorIsTerminal
        }

        /// The process's standard output and standard error, unbuffered so lines appear as they happen.
        public static var standard: Streams {
            Streams(output: { FileHandle.standardOutput.write(Data($0.utf8)) },
                    error: { FileHandle.standardError.write(Data($0.utf8)) },
                    errorIsTerminal: isatty(STDERR_FILENO) != 0)
        }
    }

    /// Seconds on a monotonic clock; the default clock of every reporter.
    public static let monotonicSeconds: @Sendable () -> Double = {
        let start = ContinuousClock.now
        return { (ContinuousClock.now - start).seconds }
    }()

    /// What the reporter prints as it goes.
    public let mode: ProgressMode
    /// Names the job on the human line (a file name, `stylize`).
    public let title: String
    /// What is counted.
    public let unit: Unit
    private let streams: Streams
    private let clock: @Sendable () -> Double
    private let interval: Double
    private let percentStep: Double
    private let jsonInterval: Double
    // Recursive: `detail` and `json` are evaluated under the lock and may ask for `rate` or `secondsRemaining`.
    private let lock = NSRecursiveLock()

    private let startTime: Double
    private var total: Int64?
    private var completed: Int64 = 0
    private var rateOrigin: (time: Double, completed: Int64)
    private var lastDrawTime: Double?
    private var lastDrawnStep = -1
    private var lineShown = false

    /// A reporter for a job of `total` units (nil when unknown), `completed` of which are done already.
    ///
    /// - Parameters:
    ///   - interval: Seconds between lines when standard error is not a terminal.
    ///   - percentStep: A line is also printed each time progress crosses a multiple of this many percent
    ///     when standard error is not a terminal.
    ///   - jsonInterval: The least number of seconds between JSON progress events (0: one per update), for
    ///     jobs whose updates come too fast to be worth a line each, such as downloads.
    public init(mode: ProgressMode, title: String, unit: Unit, total: Int64? = nil, completed: Int64 = 0,
                streams: Streams = .standard, clock: @escaping @Sendable () -> Double = ProgressReporter.monotonicSeconds,
                interval: Double = 5, percentStep: Double = 10, jsonInterval: Double = 0) {
        self.mode = mode
        self.title = title
        self.unit = unit
        self.streams = streams
        self.clock = clock
        self.interval = interval
        self.percentStep = percentStep
        self.jsonInterval = jsonInterval
        self.total = total
        self.completed = completed
        startTime = clock()
        rateOrigin = (startTime, completed)
    }

    // MARK: Events

    /// Starts counting again from `completed` out of `total`, for a download that learns its size (and where
    /// it resumes) only once the server answers; the rate counts from here, so resumed bytes do not inflate it.
    public func restart(completed: Int64, total: Int64?) {
        lock.withLock {
            self.completed = completed
            self.total = total
            rateOrigin = (clock(), completed)
        }
    }

    /// Records progress. `detail` is appended to the human line (losses, say); `json` are the event's fields
    /// in JSON mode, to which `"seconds"` (elapsed since the reporter was made) is appended. Both are only
    /// evaluated when the mode shows them.
    public func update(completed: Int64, detail: @autoclosure () -> String = "",
                       json: @autoclosure () -> [(String, ProgressValue)] = []) {
        lock.withLock {
            self.completed = completed
            let now = clock()
            switch mode {
            case .quiet: return
            case .json:
                if let lastDrawTime, now - lastDrawTime < jsonInterval { return }
                lastDrawTime = now
                writeJSON(json(), now: now)
            case .human:
                guard shouldDraw(now: now) else { return }
                lastDrawTime = now
                let line = humanLine(now: now, detail: detail())
                if streams.errorIsTerminal {
                    streams.error("\r" + line + Self.clearToEndOfLine)
                    lineShown = true
                } else {
                    streams.error(line + "\n")
                }
            }
        }
    }

    /// Ends the job: the human line is replaced by `summary`; in JSON mode one last event carries `json`.
    public func finish(summary: String, json: [(String, ProgressValue)] = []) {
        lock.withLock {
            switch mode {
            case .quiet: return
            case .json: writeJSON(json, now: clock())
            case .human:
                streams.error((lineShown ? "\r" : "") + summary + (lineShown ? Self.clearToEndOfLine : "") + "\n")
                lineShown = false
            }
        }
    }

    /// A message beside the progress (`resuming at 120 MB`): its own line for people, `{"message": …}` in JSON.
    public func note(_ message: String) {
        lock.withLock {
            switch mode {
            case .quiet: return
            case .json: writeJSON([("message", .string(message))], now: clock())
            case .human:
                streams.error((lineShown ? "\r" + Self.clearToEndOfLine : "") + message + "\n")
                lineShown = false
            }
        }
    }

    // MARK: Rate and ETA

    /// Seconds since the reporter was made.
    public var elapsed: Double { lock.withLock { clock() - startTime } }

    /// Units per second since the last `restart` (or the start); nil until time has passed.
    public var rate: Double? { lock.withLock { currentRate(now: clock()) } }

    /// Seconds left at the current rate; nil while the total or the rate is unknown.
    public var secondsRemaining: Double? { lock.withLock { remaining(now: clock()) } }

    private func currentRate(now: Double) -> Double? {
        let seconds = now - rateOrigin.time
        return seconds > 0 ? Double(completed - rateOrigin.completed) / seconds : nil
    }

    private func remaining(now: Double) -> Double? {
        guard let total, let rate = currentRate(now: now), rate > 0 else { return nil }
        return Double(max(total - completed, 0)) / rate
    }

    // MARK: Drawing

    static let clearToEndOfLine = "\u{1B}[K"

    /// On a terminal, at most ten redraws a second; elsewhere, the first update, then one every `interval`
    /// seconds or `percentStep` percent, and the last.
    private func shouldDraw(now: Double) -> Bool {
        let step = total.map { $0 > 0 ? Int(Double(completed) / Double($0) * 100 / percentStep) : -1 } ?? -1
        let draw = if let lastDrawTime {
            streams.errorIsTerminal ? now - lastDrawTime >= 0.1 || completed == total
                : now - lastDrawTime >= interval || step > lastDrawnStep
        } else {
            true
        }
        if draw { lastDrawnStep = max(lastDrawnStep, step) }
        return draw
    }

    private func humanLine(now: Double, detail: String) -> String {
        var parts = [title]
        if let total, total > 0 {
            let fraction = min(max(Double(completed) / Double(total), 0), 1)
            let filled = Int(fraction * 20)
            parts.append("[" + String(repeating: "#", count: filled) + String(repeating: "-", count: 20 - filled) + "]")
            parts.append(String(format: "%3d%%", Int(fraction * 100)))
        }
        switch unit {
        case .bytes:
            parts.append(Self.formatBytes(completed) + (total.map { " / " + Self.formatBytes($0) } ?? ""))
            if let rate = currentRate(now: now) { parts.append(String(format: "%.1f MB/s", rate / 1e6)) }
        case let .steps(name, rateSymbol):
            parts.append("\(name) \(completed)" + (total.map { "/\($0)" } ?? ""))
            if let rate = currentRate(now: now) { parts.append(String(format: "%.2f \(rateSymbol)", rate)) }
        }
        if let eta = remaining(now: now) { parts.append("ETA " + Self.formatDuration(eta)) }
        if !detail.isEmpty { parts.append(detail) }
        return parts.joined(separator: "  ")
    }

    private func writeJSON(_ fields: [(String, ProgressValue)], now: Double) {
        let members = (fields + [("seconds", .double(((now - startTime) * 1000).rounded() / 1000))])
            .map { ProgressValue.quoted($0.0) + ":" + $0.1.json }
        streams.output("{" + members.joined(separator: ",") + "}\n")
    }

    // MARK: Formatting

    /// Bytes in decimal megabytes (the unit download rates are quoted in), e.g. `548.1 MB`.
    public static func formatBytes(_ bytes: Int64) -> String {
        bytes < 1_000_000 ? String(format: "%.1f kB", Double(bytes) / 1e3) : String(format: "%.1f MB", Double(bytes) / 1e6)
    }

    /// A duration as `m:ss` or `h:mm:ss`.
    public static func formatDuration(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded(.up).clamped(to: 0...Double(Int32.max)))
        let (hours, minutes, secs) = (whole / 3600, whole / 60 % 60, whole % 60)
        return hours > 0 ? String(format: "%d:%02d:%02d", hours, minutes, secs) : String(format: "%d:%02d", minutes, secs)
    }
}

private extension Double {
    func clamped(to range: ClosedRange<Double>) -> Double { Swift.min(Swift.max(self, range.lowerBound), range.upperBound) }
}

private extension Duration {
    var seconds: Double {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) * 1e-18
    }
}
