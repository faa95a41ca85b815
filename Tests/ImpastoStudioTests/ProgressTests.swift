import Foundation
import Testing
import ImpastoStudio

private func reporter(_ mode: ProgressMode, terminal: Bool, total: Int64? = 100, unit: ProgressReporter.Unit = .steps(name: "iteration", rateSymbol: "it/s"),
                      capture: CapturedStreams, clock: ManualClock) -> ProgressReporter {
    ProgressReporter(mode: mode, title: "stylize", unit: unit, total: total,
                     streams: capture.streams(errorIsTerminal: terminal), clock: clock.function)
}

@Test func terminalProgressRedrawsOneLineAndEndsWithTheSummary() {
    let capture = CapturedStreams(), clock = ManualClock()
    let progress = reporter(.human, terminal: true, capture: capture, clock: clock)
    clock.now = 1
    progress.update(completed: 10, detail: "loss 2.5")
    clock.now = 1.05
    progress.update(completed: 11)  // Within a tenth of a second of the last redraw: skipped.
    clock.now = 2
    progress.update(completed: 20)
    progress.finish(summary: "done in 0:02")

    let writes = capture.error.components(separatedBy: "\r").filter { !$0.isEmpty }
    #expect(writes.count == 3)
    #expect(writes[0] == "stylize  [##------------------]   10%  iteration 10/100  10.00 it/s  ETA 0:09  loss 2.5\u{1B}[K")
    #expect(writes[1].hasPrefix("stylize  [####----------------]   20%  iteration 20/100  10.00 it/s  ETA 0:08"))
    #expect(writes[2] == "done in 0:02\u{1B}[K\n")
    #expect(!capture.error.dropLast().contains("\n"), "a terminal sees one line until the end")
    #expect(capture.output.isEmpty)
}

@Test func logProgressPrintsALineEveryIntervalOrPercentStep() {
    let capture = CapturedStreams(), clock = ManualClock()
    let progress = ProgressReporter(mode: .human, title: "stylize", unit: .steps(name: "iteration", rateSymbol: "it/s"),
                                    total: 1000, streams: capture.streams(errorIsTerminal: false),
                                    clock: clock.function, interval: 5, percentStep: 25)
    for iteration in 1...1000 {
        clock.now = Double(iteration) * 0.01  // 10 s in all: the 5 s interval fires once on its own.
        progress.update(completed: Int64(iteration))
    }
    let lines = capture.error.split(separator: "\n")
    #expect(!capture.error.contains("\r"))
    // The first update, 25 %, 50 % (also 5 s), 75 %, 100 %.
    #expect(lines.map { $0.split(separator: " ", omittingEmptySubsequences: true)[2] } == ["0%", "25%", "50%", "75%", "100%"])
}

@Test func quietPrintsNothingAndJSONWritesOneObjectPerEventToStandardOutput() throws {
    let capture = CapturedStreams(), clock = ManualClock()
    let quiet = reporter(.quiet, terminal: true, capture: capture, clock: clock)
    quiet.update(completed: 5, detail: "x")
    quiet.note("hello")
    quiet.finish(summary: "done")
    #expect(capture.output.isEmpty && capture.error.isEmpty)

    let json = reporter(.json, terminal: true, capture: capture, clock: clock)
    clock.now = 0.25
    json.update(completed: 1, json: [("iteration", 1), ("loss", 2.5), ("content", 1.0), ("style", 1.5), ("tv", .double(.nan))])
    json.note("say \"hi\"\n")
    json.finish(summary: "ignored", json: [("event", "done")])
    #expect(capture.error.isEmpty)
    let lines = capture.output.split(separator: "\n").map(String.init)
    #expect(lines == [
        #"{"iteration":1,"loss":2.5,"content":1.0,"style":1.5,"tv":null,"seconds":0.25}"#,
        #"{"message":"say \"hi\"\n","seconds":0.25}"#,
        #"{"event":"done","seconds":0.25}"#,
    ])
    for line in lines { #expect(throws: Never.self) { try JSONSerialization.jsonObject(with: Data(line.utf8)) } }
}

@Test func rateAndETACountFromTheLastRestart() {
    let capture = CapturedStreams(), clock = ManualClock()
    let progress = reporter(.quiet, terminal: false, total: 1000, unit: .bytes, capture: capture, clock: clock)
    #expect(progress.rate == nil && progress.secondsRemaining == nil)
    clock.now = 10
    progress.restart(completed: 400, total: 1000)  // A resumed download: 400 bytes came from disk.
    clock.now = 12
    progress.update(completed: 600)
    #expect(progress.rate == 100)
    #expect(progress.secondsRemaining == 4)
    #expect(progress.elapsed == 12)
}

@Test func formatsBytesAndDurations() {
    #expect(ProgressReporter.formatBytes(574_673_361) == "574.7 MB")
    #expect(ProgressReporter.formatBytes(1_500) == "1.5 kB")
    #expect(ProgressReporter.formatDuration(59.2) == "1:00")
    #expect(ProgressReporter.formatDuration(3725) == "1:02:05")
}
