import Foundation
import ImpastoMedia
import Testing
@testable import ImpastoStudio

private let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
private let model = root.appendingPathComponent("Tests/ImpastoModelsTests/Fixtures/transformer-net-random.pth").path

/// A job run in JSON mode through a context's streams reports one event per image and a last event: what a
/// service's event stream receives. Two small photos into a folder, each named after its input and the style.
@Test func jobEventsReachTheContextsStreams() throws {
    let folder = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let photos = ["astronaut.png", "chelsea.png"].map { root.appendingPathComponent("Examples/images/\($0)") }
    var job = ApplyJob(inputs: photos, destination: .folder(folder), source: .model(model))
    job.size = 48
    job.batchSize = 1
    let log = EventLog()
    let outcome = try job.run(JobContext(progress: .json, streams: log.streams))
    #expect(!outcome.stopped && outcome.written.map(\.output.lastPathComponent)
                == ["astronaut-transformer-net-random.png", "chelsea-transformer-net-random.png"])
    let events = log.events
    #expect(events.compactMap { $0["output"] as? String } == outcome.written.map(\.output.path))
    #expect(events.last?["event"] as? String == "done" && events.last?["images"] as? Int == 2)
    for written in outcome.written { #expect(try Image(contentsOf: written.output).width == 48) }
}

/// A cancelled control stops a job between steps with what it has written so far, and says so.
@Test func aCancelledJobStopsBetweenSteps() throws {
    let folder = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    var job = ApplyJob(inputs: [root.appendingPathComponent("Examples/images/astronaut.png")],
                       destination: .folder(folder), source: .model(model))
    job.size = 32
    let context = JobContext(progress: .quiet)
    context.control.cancel()
    let outcome = try job.run(context)
    #expect(outcome.stopped && outcome.written.isEmpty)
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
}
