// The queue's guarantees on a real SQLite file: claims in priority order, leases that expire and are claimed
// again, and an ending written exactly once, never by a worker whose lease was lost.
import Foundation
import GRDB
@testable import ImpastoServer
import Testing

extension ServerTests {
    @Suite struct QueueTests {
        /// A service with one user and `tiers.count` queued apply jobs, created in that order.
        static func queued(_ tiers: [ServiceTier], maxAttempts: Int = 3) async throws -> (ImpastoService, [String]) {
            var configuration = ServerConfiguration(data: try temporaryDirectory())
            configuration.bcryptCost = 4
            configuration.maxAttempts = maxAttempts
            let service = try ImpastoService(configuration)
            let user = try #require(try await service.accounts.register(name: "ann", password: "correct horse", tier: .hd))
            var ids: [String] = []
            for tier in tiers {
                let params = JobParameters(content: FileStore.newID(), style: nil, model: "starry", size: 64, iterations: nil)
                ids.append(try await service.jobs.create(owner: user.id, kind: .apply, params: params, tier: tier, public: false))
            }
            return (service, ids)
        }

        @Test func claimsHighestTierFirstThenOldest() async throws {
            let (service, ids) = try await Self.queued([.free, .hd, .free, .premium])
            let order = try (0..<4).map { _ in try service.queue.claim(worker: "w", leaseSeconds: 60)?.id }
            #expect(order == [ids[1], ids[3], ids[0], ids[2]])
            #expect(try service.queue.claim(worker: "w", leaseSeconds: 60) == nil)
        }

        @Test func aLostLeaseNeverOverwritesTheJobsEnding() async throws {
            let (service, ids) = try await Self.queued([.free])
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
            let row = try #require(try jobRow(service, ids[0]))
            #expect(row["state"] as String == "done" && row["result_file"] as String == "from-b")
            #expect(row["completions"] as Int == 1 && row["attempts"] as Int == 2)
        }

        @Test func aJobWhoseWorkersKeepDyingFailsWithASentence() async throws {
            let (service, ids) = try await Self.queued([.free], maxAttempts: 2)
            for _ in 0..<2 {
                _ = try #require(try service.queue.claim(worker: "dies", leaseSeconds: 0.05))
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(try service.queue.requeueExpired() == 1)
            let row = try #require(try jobRow(service, ids[0]))
            #expect(row["state"] as String == "failed")
            #expect(row["error"] as String == "The job was interrupted 2 times (its worker stopped) and was not tried again.")
            #expect(try service.queue.claim(worker: "w", leaseSeconds: 60) == nil)
        }

        @Test func cancellingAndDeletingReachTheWorkerThroughItsLease() async throws {
            let (service, ids) = try await Self.queued([.free, .free, .free])
            let owner = try #require(try jobRow(service, ids[0]))["owner"] as Int64
            // Queued: cancelled at once, never claimed.
            #expect(try await service.jobs.cancel(ids[0], owner: owner))
            #expect(try jobRow(service, ids[0])?["state"] as String? == "cancelled")
            let running = try #require(try service.queue.claim(worker: "w", leaseSeconds: 60))
            #expect(running.id == ids[1])
            #expect(try await service.jobs.cancel(ids[1], owner: owner + 1) == false, "another user's job is not there")
            #expect(try await service.jobs.cancel(ids[1], owner: owner))
            #expect(try service.queue.renew(running, leaseSeconds: 60) == .held(cancelRequested: true))
            #expect(try service.queue.finish(running, .cancelled(result: nil)))
            // Deleted while running: the worker's lease is gone, and its ending changes nothing.
            let deleted = try #require(try service.queue.claim(worker: "w", leaseSeconds: 60))
            #expect(try await service.jobs.delete(deleted.id, owner: owner) == [])
            #expect(try service.queue.renew(deleted, leaseSeconds: 60) == .lost)
            #expect(try service.queue.finish(deleted, .done(result: "orphan")) == false)
            #expect(try jobRow(service, deleted.id) == nil)
        }
    }
}
