// The queue's guarantees on a real SQLite file and a real PostgreSQL database (the same tests over both): claims
// in priority order, leases that expire and are claimed again, and an ending written exactly once, never by a worker
// whose lease was lost.
import Foundation
@testable import ImpastoServer
import Testing

extension ServerTests {
    @Suite struct QueueTests {
        /// A queue on `backend` with one user and `tiers.count` queued apply jobs, created in that order.
        static func queued(_ backend: QueueBackend, _ tiers: [ServiceTier], maxAttempts: Int = 3) async throws
            -> (QueueFixture, [String]) {
            var configuration = ServerConfiguration(data: try temporaryDirectory())
            configuration.bcryptCost = 4
            configuration.maxAttempts = maxAttempts
            let fixture = try await QueueFixture.make(backend, configuration: configuration)
            var ids: [String] = []
            for tier in tiers {
                let params = JobParameters(content: FileStore.newID(), style: nil, model: "starry", size: 64, iterations: nil)
                ids.append(try await fixture.enqueue(.apply, params, tier))
            }
            return (fixture, ids)
        }

        @Test(arguments: QueueBackend.available) func claimsHighestTierFirstThenOldest(_ backend: QueueBackend) async throws {
            let (service, ids) = try await Self.queued(backend, [.free, .hd, .free, .premium])
            let order = try (0..<4).map { _ in try service.queue.claim(worker: "w", leaseSeconds: 60)?.id }
            #expect(order == [ids[1], ids[3], ids[0], ids[2]])
            #expect(try service.queue.claim(worker: "w", leaseSeconds: 60) == nil)
        }

        @Test(arguments: QueueBackend.available) func aLostLeaseNeverOverwritesTheJobsEnding(_ backend: QueueBackend) async throws {
            let (service, ids) = try await Self.queued(backend, [.free])
            let queue = service.queue
            let first = try #require(try queue.claim(worker: "a", leaseSeconds: 0.2))
            #expect(try queue.renew(first, leaseSeconds: 0.2) == .held(cancelRequested: false))
            #expect(try queue.claim(worker: "b", leaseSeconds: 60) == nil, "a held lease is not handed out twice")
            try await Task.sleep(for: .milliseconds(300))
            let second = try #require(try queue.claim(worker: "b", leaseSeconds: 60))
            #expect(second.id == ids[0] && second.attempt == 2 && second.lease != first.lease)

            // Worker a wakes up after its lease expired: every call is refused and changes nothing.
            #expect(try queue.renew(first, leaseSeconds: 60) == .lost)
            #expect(try queue.report(first, progress: 0.5, detail: "stale", preview: nil) == nil)
            #expect(try queue.finish(first, .done(result: "from-a")) == false)
            #expect(try queue.finish(second, .done(result: "from-b")) == true)
            #expect(try queue.finish(second, .failed("twice")) == false, "a job ends once")
            let row = try #require(try service.row(ids[0]))
            #expect(row.state == "done" && row.result == "from-b")
            #expect(row.completions == 1 && row.attempts == 2)
        }

        @Test(arguments: QueueBackend.available) func aJobWhoseWorkersKeepDyingFailsWithASentence(_ backend: QueueBackend) async throws {
            let (service, ids) = try await Self.queued(backend, [.free], maxAttempts: 2)
            for _ in 0..<2 {
                _ = try #require(try service.queue.claim(worker: "dies", leaseSeconds: 0.05))
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(try service.queue.requeueExpired() == 1)
            let row = try #require(try service.row(ids[0]))
            #expect(row.state == "failed")
            #expect(row.error == "The job was interrupted 2 times (its worker stopped) and was not tried again.")
            #expect(try service.queue.claim(worker: "w", leaseSeconds: 60) == nil)
        }

        @Test(arguments: QueueBackend.available) func cancellingAndDeletingReachTheWorkerThroughItsLease(_ backend: QueueBackend) async throws {
            let (service, ids) = try await Self.queued(backend, [.free, .free, .free])
            let owner = try #require(try service.row(ids[0])).owner
            // Queued: cancelled at once, never claimed.
            #expect(try await service.cancel(ids[0], owner))
            #expect(try service.row(ids[0])?.state == "cancelled")
            let running = try #require(try service.queue.claim(worker: "w", leaseSeconds: 60))
            #expect(running.id == ids[1])
            #expect(try await service.cancel(ids[1], owner + 1) == false, "another user's job is not there")
            #expect(try await service.cancel(ids[1], owner))
            #expect(try service.queue.renew(running, leaseSeconds: 60) == .held(cancelRequested: true))
            #expect(try service.queue.finish(running, .cancelled(result: nil)))
            // Deleted while running: the worker's lease is gone, and its ending changes nothing.
            let deleted = try #require(try service.queue.claim(worker: "w", leaseSeconds: 60))
            #expect(try await service.delete(deleted.id, owner) == [])
            #expect(try service.queue.renew(deleted, leaseSeconds: 60) == .lost)
            #expect(try service.queue.finish(deleted, .done(result: "orphan")) == false)
            #expect(try service.row(deleted.id) == nil)
        }
    }
}
