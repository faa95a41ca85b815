// Workers as separate processes (`impasto worker`, the built binary) sharing the tables with this one, in the SQLite
// file or in PostgreSQL: a worker killed with SIGKILL mid-job loses its lease, and another worker finishes the job
// exactly once.
import Foundation
import ImpastoMedia
@testable import ImpastoServer
import ImpastoTestSupport
import Testing

extension ServerTests {
    @Suite struct WorkerProcessTests {
        static func startWorker(_ data: URL, extra: [String] = []) throws -> Process {
            try startImpasto(["worker", "--data", data.path, "--lease", "2", "--poll", "0.1", "--preview-every", "1",
                              "--vgg19", try pasticheVGG19File().path] + extra).0
        }

        /// Polls the job's row until `condition` holds or `seconds` pass.
        static func waitForRow(_ service: ImpastoService, _ id: String, seconds: Double,
                               until condition: (JobSnapshot) -> Bool) async throws -> JobSnapshot {
            let deadline = Date().addingTimeInterval(seconds)
            while true {
                let row = try #require(try jobRow(service, id))
                if condition(row) || Date() > deadline { return row }
                try await Task.sleep(for: .milliseconds(100))
            }
        }

        /// A service on `data` and `backend` with the user "ann" and her uploads of tubingen.jpg and starry_night.jpg,
        /// in that order.
        static func serviceWithPhotoAndStyle(_ data: URL, _ backend: QueueBackend) async throws
            -> (ImpastoService, user: Account, uploads: [String]) {
            let service = try ImpastoService(try backend.configure(try testConfiguration(data)))
            let user = try #require(try await service.accounts.register(name: "ann", password: "correct horse", tier: .free))
            var uploads: [String] = []
            for name in ["tubingen.jpg", "starry_night.jpg"] {
                let id = try service.files.store(try exampleImage(name))
                try await service.uploads.record(id: id, owner: user.id, name: name, width: 96, height: 72, bytes: 1)
                uploads.append(id)
            }
            return (service, user, uploads)
        }

        @Test(arguments: QueueBackend.available)
        func aKilledWorkersJobIsFinishedOnceByAnother(_ backend: QueueBackend) async throws {
            let data = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: data) }
            let (service, user, uploads) = try await WorkerProcessTests.serviceWithPhotoAndStyle(data, backend)
            let database = workerDatabaseArguments(service.configuration)
            let params = JobParameters(content: uploads[0], style: uploads[1], model: nil, size: 64, iterations: 12)
            let id = try await service.jobs.create(owner: user.id, kind: .stylize, params: params, tier: .free, public: false)

            // The first worker gets as far as its first previews, and is killed.
            let first = try Self.startWorker(data, extra: database)
            let started = try await Self.waitForRow(service, id, seconds: 90) { $0.preview != nil }
            kill(first.processIdentifier, SIGKILL)
            first.waitUntilExit()
            #expect(first.terminationReason == .uncaughtSignal)
            #expect(started.state == "running" && started.attempts == 1, "\(started)")
            let killedLease = try #require(started.lease)
            #expect(killedLease.contains(":\(first.processIdentifier):"))

            // The second finds the job still leased, waits for the lease to expire, and runs it again to the end.
            let second = try Self.startWorker(data, extra: database)
            defer { if second.isRunning { kill(second.processIdentifier, SIGKILL) } }
            let finished = try await Self.waitForRow(service, id, seconds: 120) { $0.state != "running" && $0.attempts == 2 }
            #expect(finished.state == "done", "\(finished)")
            #expect(finished.attempts == 2 && finished.completions == 1)
            let result = try #require(finished.result)
            let image = try Image(contentsOf: service.files.folder.appendingPathComponent(result))
            #expect(image.width == 64 && image.height == 48)
            // Nothing of the killed run is left: the files folder holds the uploads, the result and the latest preview,
            // and no work folder remains.
            let stored = try FileManager.default.contentsOfDirectory(atPath: service.files.folder.path)
            #expect(Set(stored) == Set(uploads + [result, finished.preview ?? ""]), "\(stored)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: service.files.workFolder.path) == [])

            // SIGTERM stops an idle worker cleanly.
            kill(second.processIdentifier, SIGTERM)
            second.waitUntilExit()
            #expect(second.terminationReason == .exit && second.terminationStatus == 0)
        }
    }

    @Suite struct InProcessWorkerTests {
        /// A running stylize job stops at its owner's cancel with its latest image kept, and one running when the
        /// workers shut down goes back to the queue untouched.
        @Test(arguments: QueueBackend.available)
        func runningJobsStopOnCancelAndGoBackOnShutdown(_ backend: QueueBackend) async throws {
            let data = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: data) }
            let (service, user, uploads) = try await WorkerProcessTests.serviceWithPhotoAndStyle(data, backend)
            let params = JobParameters(content: uploads[0], style: uploads[1], model: nil, size: 64, iterations: 100)
            let cancelled = try await service.jobs.create(owner: user.id, kind: .stylize, params: params, tier: .free, public: false)
            let interrupted = try await service.jobs.create(owner: user.id, kind: .stylize, params: params, tier: .free, public: false)
            let workers = service.workers(1)
            workers.start()

            _ = try await WorkerProcessTests.waitForRow(service, cancelled, seconds: 90) { $0.preview != nil }
            #expect(try await service.jobs.cancel(cancelled, owner: user.id))
            let stopped = try await WorkerProcessTests.waitForRow(service, cancelled, seconds: 30) { $0.state != "running" }
            #expect(stopped.state == "cancelled", "\(stopped)")
            let latest = try #require(stopped.result)
            #expect(try Image(contentsOf: service.files.folder.appendingPathComponent(latest)).width == 64)

            let running = try await WorkerProcessTests.waitForRow(service, interrupted, seconds: 60) { $0.preview != nil }
            #expect(running.state == "running")
            workers.stop()
            let requeued = try #require(try jobRow(service, interrupted))
            #expect(requeued.state == "queued" && requeued.attempts == 0, "\(requeued)")
            #expect(requeued.lease == nil)
            #expect(try FileManager.default.contentsOfDirectory(atPath: service.files.workFolder.path) == [])
        }
    }

    @Suite struct WorkerFleetTests {
        /// Three `impasto worker` processes drain a queue of 100 apply jobs, on the SQLite file and on PostgreSQL; one is
        /// killed with SIGKILL in the middle of a job. Every job ends done, exactly once, and only the killed one was run
        /// twice.
        @Test(arguments: QueueBackend.available)
        func threeWorkersDrainTheQueueWhileOneIsKilled(_ backend: QueueBackend) async throws {
            let data = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: data) }
            let fixture = try await QueueFixture.make(backend, configuration: try testConfiguration(data))
            let photo = try fixture.files.store(try exampleImage("tubingen.jpg", side: 160))
            try await fixture.recordUpload(photo, 160, 120)
            let params = JobParameters(content: photo, style: nil, model: "starry", size: 160, iterations: nil)
            var ids: [String] = []
            let count = 100
            for _ in 0..<count {
                ids.append(try await fixture.enqueue(.apply, params, .free))
            }
            let workers = try (0..<3).map { _ in try WorkerProcessTests.startWorker(data, extra: fixture.workerArguments) }
            defer { for worker in workers where worker.isRunning { kill(worker.processIdentifier, SIGKILL) } }

            // Once a third of the jobs are done, kill the worker of a job that is running.
            let rows = fixture.rows
            // A safety net, not a timing: 100 jobs over three debug-build workers took minutes on the loaded 2 cores.
            let deadline = Date().addingTimeInterval(1200)
            var victim: (worker: Process, job: String)?
            while victim == nil && Date() < deadline {
                let all = try rows()
                if all.filter({ $0.state == "done" }).count >= count / 3 {
                    for row in all where row.state == "running" {
                        let lease = row.lease ?? ""
                        if let worker = workers.first(where: { lease.contains(":\($0.processIdentifier):") }) {
                            kill(worker.processIdentifier, SIGKILL)
                            victim = (worker, row.id)
                            break
                        }
                    }
                }
                if victim == nil { try await Task.sleep(for: .milliseconds(20)) }
            }
            let (killed, job) = try #require(victim, "no job was seen running")
            killed.waitUntilExit()

            while Date() < deadline, try rows().contains(where: { $0.state != "done" }) {
                try await Task.sleep(for: .milliseconds(200))
            }
            let final = try rows()
            #expect(final.count == count && final.allSatisfy { $0.state == "done" && $0.completions == 1 },
                    "\(final.map { "\($0.state) \($0.completions)" })")
            for row in final {
                #expect(row.attempts == (row.id == job ? 2 : 1), "\(row)")
            }
            let results = Set(final.compactMap(\.result))
            #expect(results.count == count)
            let stored = try FileManager.default.contentsOfDirectory(atPath: fixture.files.folder.path)
            #expect(Set(stored) == results.union([photo]), "no file of the killed run is left")

            for worker in workers where worker !== killed {
                kill(worker.processIdentifier, SIGTERM)
                worker.waitUntilExit()
                #expect(worker.terminationReason == .exit && worker.terminationStatus == 0)
            }
        }
    }

    @Suite struct ServiceCommandTests {
        @Test func badArgumentsGetOneSentence() throws {
            let cases: [([String], String)] = [
                (["worker", "--database", "postgres://db/impasto"],
                 "error: The database URL 'postgres://db/impasto' names no user (postgres://USER@HOST/DATABASE)."),
                (["worker", "--database", "postgres://ann:secret@db"],
                 "error: The database URL 'postgres://ann:***@db' names no database (postgres://USER@HOST/DATABASE)."),
                (["serve", "--database", "impasto.sqlite"],
                 "error: The database 'impasto.sqlite' is not of the form sqlite:PATH or postgres://USER@HOST/DATABASE."),
                (["serve", "--port", "70000"], "error: --port must be 0…65535, --workers at least 0 and --max-upload-mb at least 1."),
                (["worker", "--lease", "0"], "error: --lease must be at least 1 second, --poll positive and --preview-every at least 1."),
            ]
            for (arguments, sentence) in cases {
                let result = try runImpasto(arguments)
                #expect(result.status == 64 && result.error == sentence + "\n", "\(arguments): \(result.error)")
            }
        }
    }
}
