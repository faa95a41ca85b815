// The JSON API over HTTP: accounts, uploads refused for size, content or rate, ids that go nowhere, users who see
// only their own jobs, and real jobs run by in-process workers from upload to the public feed.
import Foundation
import Hummingbird
import HummingbirdTesting
import ImpastoMedia
@testable import ImpastoServer
import ImpastoTestSupport
import Testing

extension ServerTests {
    @Suite struct APITests {
        /// Over a real socket on loopback (the upload limit is also checked from its Content-Length header).
        @Test(arguments: QueueBackend.available) func accountsUploadsAndOtherUsersJobs(_ backend: QueueBackend) async throws {
            let root = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: root) }
            let data = root.appendingPathComponent("data")
            var configuration = try backend.configure(try testConfiguration(data))
            configuration.maxUploadBytes = 200_000
            configuration.uploadsPerMinute = 3
            configuration.maxUploadPixels = 2_000_000
            let service = try ImpastoService(configuration)
            try await withLiveServer(service) { client in
                let ann = APISession(client), bob = APISession(client), nobody = APISession(client)
                try await ann.register("ann")
                try await bob.register("bob")
                #expect(try await ann.send(.post, "/api/users", json: #"{"name":"ann","password":"another one"}"#).status == .conflict)
                let wrong = try await nobody.object(.post, "/api/sessions", json: #"{"name":"ann","password":"wrong horse"}"#,
                                                    expect: .unauthorized)
                #expect(APISession.message(wrong) == "The name or the password is wrong.")
                #expect(try await nobody.send(.post, "/api/uploads", bytes: try exampleImage("tubingen.jpg")).status == .unauthorized)

                // Uploads: decoded before they are kept, size-limited, rate-limited; the name never becomes a path.
                let photo = try await ann.upload(try exampleImage("tubingen.jpg"), query: "?name=..%2F..%2F..%2Fescaped.png")
                let notImage = try await ann.object(.post, "/api/uploads", bytes: Array("name,value\n1,2\n".utf8),
                                                    expect: .unprocessableContent)
                #expect(APISession.message(notImage) == "The upload is not a valid file of the expected kind: it is neither a PNG nor a JPEG image.")
                let flat = Image(width: 2000, height: 1100, channels: 3, pixels: [Float](repeating: 0.5, count: 2000 * 1100 * 3))
                let bomb = try await ann.object(.post, "/api/uploads", bytes: try flat.encoded(format: .png, path: "flat"),
                                                expect: .unprocessableContent)
                #expect(APISession.message(bomb) == "The upload is 2000×1100 pixels; the free tier takes at most 2 megapixels.")
                let large = try Array(Data(contentsOf: repositoryRoot.appendingPathComponent("Examples/images/tubingen.jpg")))
                #expect(large.count > 200_000)
                let tooLarge = try await ann.object(.post, "/api/uploads", bytes: large, expect: .contentTooLarge)
                #expect(APISession.message(tooLarge) == "The upload is larger than the 200.0 kB allowed.")
                let style = try await ann.upload(try exampleImage("starry_night.jpg"))
                _ = try await ann.upload(try exampleImage("chelsea.png"))
                let limited = try await ann.object(.post, "/api/uploads", bytes: try exampleImage("chelsea.png"), expect: .tooManyRequests)
                #expect(APISession.message(limited) == "At most 3 uploads a minute; try again shortly.")
                let stored = try FileManager.default.contentsOfDirectory(atPath: data.appendingPathComponent("files").path)
                #expect(stored.count == 3 && stored.allSatisfy { FileStore.isValidID($0) })
                let everything = FileManager.default.enumerator(atPath: root.path)?.allObjects as? [String] ?? []
                #expect(!everything.contains { $0.contains("escaped") })
                for uri in ["/api/files/..%2Fimpasto.sqlite", "/api/files/../impasto.sqlite", "/api/files/%2E%2E",
                            "/api/jobs/..%2F..%2Fetc%2Fpasswd"] {
                    #expect(try await ann.send(.get, uri).status == .notFound, "\(uri)")
                }

                // Jobs: refused with a sentence before they are queued; another user's are not there.
                let refused = try await ann.object(.post, "/api/jobs", json: #"{"kind":"apply","content":"\#(photo)","model":"mosaic"}"#,
                                                   expect: .unprocessableContent)
                #expect(APISession.message(refused).hasPrefix("An apply job needs 'model', one of the bundled styles: "))
                let tooBig = try await ann.object(.post, "/api/jobs", json: #"{"kind":"stylize","content":"\#(photo)","style":"\#(style)","size":700}"#,
                                                  expect: .unprocessableContent)
                #expect(APISession.message(tooBig) == "The size 700 is outside 16…600 pixels, which the free tier allows.")
                #expect(try await ann.send(.post, "/api/jobs", json: #"{"kind":"apply","content":"\#(photo)","model":"starry","tier":"hd"}"#).status == .forbidden)
                let job = try await ann.object(.post, "/api/jobs", json: #"{"kind":"apply","content":"\#(photo)","model":"starry","size":64}"#,
                                               expect: .created)
                let id = try #require(job["id"] as? String)
                #expect(job["state"] as? String == "queued" && job["queuePosition"] as? Int == 1)
                for (method, uri) in [(HTTPRequest.Method.get, "/api/jobs/\(id)"), (.post, "/api/jobs/\(id)/cancel"),
                                      (.delete, "/api/jobs/\(id)"), (.get, "/api/files/\(photo)")] {
                    #expect(try await bob.send(method, uri).status == .notFound, "bob: \(method) \(uri)")
                }
                #expect(try await bob.send(.put, "/api/jobs/\(id)/public", json: #"{"public":true}"#).status == .notFound)
                let borrowed = try await bob.object(.post, "/api/jobs", json: #"{"kind":"apply","content":"\#(photo)","model":"starry"}"#,
                                                    expect: .unprocessableContent)
                #expect(APISession.message(borrowed) == "You have no upload \(photo).")
                #expect(try await bob.object(.get, "/api/jobs", expect: .ok).isEmpty)

                // An API token opens the account without the cookie; signing out ends the session.
                let token = try #require(try await ann.object(.post, "/api/tokens", expect: .created)["token"] as? String)
                let script = APISession(client)
                script.bearer = token
                #expect(try await script.object(.get, "/api/me", expect: .ok)["name"] as? String == "ann")
                #expect(try await ann.send(.delete, "/api/sessions").status == .noContent)
                #expect(try await ann.send(.get, "/api/jobs/\(id)").status == .unauthorized)
                #expect(try await script.object(.post, "/api/jobs/\(id)/cancel", expect: .ok)["state"] as? String == "cancelled")
            }
        }

        /// apply with the bundled starry style at 64 px, run by an in-process worker, then shown in the feed.
        @Test(arguments: QueueBackend.available) func anApplyJobRunsAndReachesTheFeed(_ backend: QueueBackend) async throws {
            let root = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: root) }
            let service = try ImpastoService(try backend.configure(try testConfiguration(root)))
            let workers = service.workers(1)
            workers.start()
            defer { workers.stop() }
            try await service.application(port: 0).test(.router) { client in
                let ann = APISession(client), anyone = APISession(client)
                try await ann.register("ann")
                let photo = try await ann.upload(try exampleImage("tubingen.jpg"))
                let unused = try await ann.upload(try exampleImage("chelsea.png"))
                let created = try await ann.object(.post, "/api/jobs", json: #"{"kind":"apply","content":"\#(photo)","model":"starry","size":64}"#,
                                                   expect: .created)
                let id = try #require(created["id"] as? String)
                let job = try await ann.wait(forJob: id)
                #expect(job["state"] as? String == "done", "\(job)")
                #expect(job["progress"] as? Double == 1 && job["attempts"] as? Int == 1)
                let result = try #require(job["result"] as? String)
                let png = try await ann.send(.get, "/api/files/\(result)")
                #expect(png.status == .ok && png.headers[.contentType] == "image/png")
                let image = try Image(decoding: Array(png.body.readableBytesView), path: "result")
                #expect(image.width == 64 && image.height == 48)

                #expect(try await anyone.send(.get, "/api/files/\(result)").status == .notFound, "private until made public")
                #expect(try await anyone.object(.get, "/api/feed", expect: .ok).isEmpty)
                _ = try await ann.object(.put, "/api/jobs/\(id)/public", json: #"{"public":true}"#, expect: .ok)
                let feed = try await anyone.send(.get, "/api/feed")
                let entries = try #require(try JSONSerialization.jsonObject(with: Data(feed.body.readableBytesView)) as? [[String: Any]])
                #expect(entries.count == 1 && entries.first?["content"] as? String == photo && entries.first?["result"] as? String == result
                        && entries.first?["model"] as? String == "starry")
                #expect(try await anyone.send(.get, "/api/files/\(result)").status == .ok)
                #expect(try await anyone.send(.get, "/api/files/\(photo)").status == .ok, "the feed shows the input beside the result")
                #expect(try await anyone.send(.get, "/api/files/\(unused)").status == .notFound)

                #expect(try await ann.send(.delete, "/api/jobs/\(id)").status == .noContent)
                #expect(try await ann.send(.get, "/api/jobs/\(id)").status == .notFound)
                #expect(!FileManager.default.fileExists(atPath: service.files.folder.appendingPathComponent(result).path))
            }
        }

        /// stylize at 64 px × 3 iterations with the real VGG-19: queued across a restart, then run with a preview at
        /// every iteration, and still there after another restart.
        @Test(arguments: QueueBackend.available) func aRestartKeepsTheQueueAndTheResults(_ backend: QueueBackend) async throws {
            let root = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: root) }
            let configuration = try backend.configure(try testConfiguration(root))
            let (id, cookie) = try await ImpastoService(configuration).application(port: 0).test(.router) { client in
                    let ann = APISession(client)
                    try await ann.register("ann")
                    let photo = try await ann.upload(try exampleImage("tubingen.jpg"))
                    let style = try await ann.upload(try exampleImage("starry_night.jpg"))
                    _ = try await ann.object(.post, "/api/jobs", json: #"{"kind":"apply","content":"\#(photo)","model":"starry","size":32}"#,
                                             expect: .created)
                    let job = try await ann.object(.post, "/api/jobs",
                                                   json: #"{"kind":"stylize","content":"\#(photo)","style":"\#(style)","size":64,"iterations":3}"#,
                                                   expect: .created)
                    #expect(job["queuePosition"] as? Int == 2)
                    return (job["id"] as? String ?? "", ann.cookie)
            }
            // The server stops with nothing run; a new one finds the queue as it was, and the session still open.
            let restarted = try ImpastoService(configuration)
            try await restarted.application(port: 0).test(.router) { client in
                let ann = APISession(client)
                ann.cookie = cookie
                let job = try await ann.object(.get, "/api/jobs/\(id)", expect: .ok)
                #expect(job["state"] as? String == "queued" && job["queuePosition"] as? Int == 2)
            }
            let worker = Worker(number: 0, queue: restarted.queue, files: restarted.files, configuration: configuration)
            worker.run(drain: true)

            let again = try ImpastoService(configuration)
            try await again.application(port: 0).test(.router) { client in
                let ann = APISession(client)
                ann.cookie = cookie
                let job = try await ann.object(.get, "/api/jobs/\(id)", expect: .ok)
                #expect(job["state"] as? String == "done", "\(job)")
                #expect((job["detail"] as? String ?? "").hasPrefix("iteration "), "\(job)")
                let result = try #require(job["result"] as? String), preview = try #require(job["preview"] as? String)
                #expect(result != preview)
                for file in [result, preview] {
                    let response = try await ann.send(.get, "/api/files/\(file)")
                    let image = try Image(decoding: Array(response.body.readableBytesView), path: file)
                    #expect(image.width == 64 && image.height == 48)
                }
                let history = try await ann.send(.get, "/api/jobs")
                let jobs = try #require(try JSONSerialization.jsonObject(with: Data(history.body.readableBytesView)) as? [[String: Any]])
                #expect(jobs.map { $0["state"] as? String } == ["done", "done"])
            }
        }
    }
}
