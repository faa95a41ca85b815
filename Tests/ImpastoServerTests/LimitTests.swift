// Rate limits (token buckets per account, per address, and for sign-ins), many concurrent requests, and uploads
// refused from their header before any decode; on both databases.
import Foundation
import Hummingbird
import HummingbirdTesting
import ImpastoMedia
@testable import ImpastoServer
import Testing

extension ServerTests {
    @Suite struct LimitTests {
        final class Clock: @unchecked Sendable {
            var now = 100.0
        }

        @Test func aBucketTakesItsBurstThenRefillsAtItsRate() {
            let clock = Clock()
            let buckets = TokenBuckets(RateLimit(perMinute: 60, burst: 3), clock: { clock.now })
            #expect((0..<3).map { _ in buckets.take("ann") } == [nil, nil, nil])
            #expect(buckets.take("ann") == 1, "one a second: the next token is a second away")
            #expect(buckets.take("bob") == nil, "each key has its own bucket")
            clock.now += 0.5
            #expect(buckets.take("ann") == 0.5)
            clock.now += 0.5
            #expect(buckets.take("ann") == nil)
            clock.now += 3600
            #expect((0..<4).map { _ in buckets.take("ann") == nil } == [true, true, true, false], "refilled to the burst, no more")
            #expect(TokenBuckets(.unlimited).take("ann") == nil)
        }

        @Test(arguments: QueueBackend.available) func requestsPastALimitGet429WithRetryAfter(_ backend: QueueBackend) async throws {
            let root = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: root) }
            var configuration = try backend.configure(try testConfiguration(root))
            configuration.signInRequests = RateLimit(perMinute: 1, burst: 3)
            configuration.accountRequests = RateLimit(perMinute: 1, burst: 4)
            configuration.addressRequests = RateLimit(perMinute: 1, burst: 5)
            let service = try ImpastoService(configuration)
            // A real socket: the address limits need the client's address, which the router alone has not.
            try await withLiveServer(service) { client in
                let ann = APISession(client), bob = APISession(client), nobody = APISession(client)
                try await ann.register("ann")
                try await bob.register("bob")
                _ = try await nobody.object(.post, "/api/sessions", json: #"{"name":"ann","password":"wrong horse"}"#, expect: .unauthorized)
                // The fourth sign-in from this address: refused before the password is looked at.
                let guessing = try await nobody.send(.post, "/api/sessions", json: #"{"name":"ann","password":"correct horse"}"#)
                #expect(guessing.status == .tooManyRequests)
                #expect((50...60).contains(Int(guessing.headers[.retryAfter] ?? "") ?? 0), "\(guessing.headers)")
                #expect(String(buffer: guessing.body).contains("Too many sign-ins from your address; try again in "))

                // ann's account: four requests, then 429; bob's account is not slowed by hers.
                for _ in 0..<4 { _ = try await ann.object(.get, "/api/me", expect: .ok) }
                let limited = try await ann.object(.get, "/api/me", expect: .tooManyRequests)
                #expect(APISession.message(limited).hasPrefix("Too many requests; try again in "))
                _ = try await bob.object(.get, "/api/me", expect: .ok)

                // Without an account, the address's bucket: five (the two registrations and the wrong sign-in took three).
                for _ in 0..<2 { _ = try await nobody.send(.get, "/api/feed") }
                let feed = try await nobody.send(.get, "/api/feed")
                #expect(feed.status == .tooManyRequests && feed.headers[.retryAfter] != nil)
            }
        }

        /// 200 job-status requests at once over AsyncHTTPClient's pool of connections. Before the account lookup
        /// awaited GRDB's asynchronous read, Swift chose its blocking read (the closure returned a Row, which is not
        /// Sendable): the lookups held the few cooperative threads while the status reads holding the database's
        /// readers waited for one, and the server hung under wrk (scripts/measure_serve_load.sh found it).
        @Test(.timeLimit(.minutes(2)), arguments: QueueBackend.available)
        func manyStatusRequestsAtOnceAllAnswer(_ backend: QueueBackend) async throws {
            let root = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: root) }
            var configuration = try backend.configure(try testConfiguration(root))
            configuration.removeRateLimits()
            let service = try ImpastoService(configuration)
            try await service.application(port: 0).test(.ahc()) { client in
                let ann = APISession(client)
                try await ann.register("ann")
                let token = try #require(try await ann.object(.post, "/api/tokens", expect: .created)["token"] as? String)
                let photo = try await ann.upload(try exampleImage("chelsea.png"))
                let job = try #require(try await ann.object(.post, "/api/jobs", json: #"{"kind":"apply","content":"\#(photo)","model":"starry"}"#,
                                                            expect: .created)["id"] as? String)
                let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                    for _ in 0..<200 {
                        group.addTask {
                            try await client.execute(uri: "/api/jobs/\(job)", method: .get, headers: [.authorization: "Bearer \(token)"]).status
                        }
                    }
                    return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
                }
                #expect(statuses.count == 200 && statuses.allSatisfy { $0 == .ok })
            }
        }

        @Test(arguments: QueueBackend.available) func uploadsAreRefusedFromTheirHeaderBeforeAnyDecode(_ backend: QueueBackend) async throws {
            let root = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: root) }
            var configuration = try backend.configure(try testConfiguration(root))
            configuration.tierUploadPixels[.free] = 1_500_000
            let service = try ImpastoService(configuration)
            try await service.application(port: 0).test(.router) { client in
                let ann = APISession(client)
                try await ann.register("ann")
                // A real JPEG whose frame header now declares 6000×6000: its header is all that is read, for a
                // decode would fail on data written for 96×72 pixels.
                let photo = try exampleImage("tubingen.jpg")
                var jpeg = try Image(decoding: photo, path: "photo").encoded(format: .jpeg(quality: 90), path: "photo")
                let frame = try #require((0..<jpeg.count - 9).first { jpeg[$0] == 0xFF && (0xC0...0xC2).contains(jpeg[$0 + 1]) })
                jpeg.replaceSubrange(frame + 5..<frame + 9, with: [0x17, 0x70, 0x17, 0x70])
                let declared = try Image.header(of: jpeg, path: "patched")
                #expect((declared.width, declared.height, declared.channels) == (6000, 6000, 3))
                let huge = try await ann.object(.post, "/api/uploads", bytes: jpeg, expect: .unprocessableContent)
                #expect(APISession.message(huge) == "The upload is 6000×6000 pixels; the free tier takes at most 1.5 megapixels.")
                #expect(try await ann.object(.get, "/api/me", expect: .ok)["tier"] as? String == "free")

                // Within the limit but cut short: the header reads, the decode refuses it.
                let real = try Image(decoding: photo, path: "photo").encoded(format: .jpeg(quality: 90), path: "photo")
                let cut = try await ann.object(.post, "/api/uploads", bytes: Array(real.prefix(real.count / 2)),
                                               expect: .unprocessableContent)
                #expect(APISession.message(cut) == "The upload is not a valid file of the expected kind: the file ends before the image data does.")
                let png = try exampleImage("chelsea.png")
                let cutPNG = try await ann.object(.post, "/api/uploads", bytes: Array(png.prefix(png.count - 40)),
                                                  expect: .unprocessableContent)
                #expect(APISession.message(cutPNG).hasPrefix("The upload is not a valid file of the expected kind: "))
                let header = try await ann.object(.post, "/api/uploads", bytes: Array(png.prefix(20)), expect: .unprocessableContent)
                #expect(APISession.message(header).hasPrefix("The upload is not a valid file of the expected kind: "))
                let stored = try await ann.object(.post, "/api/uploads", bytes: real, expect: .created)
                #expect(stored["width"] as? Int == 96 && stored["height"] as? Int == 72)
                #expect(try FileManager.default.contentsOfDirectory(atPath: service.files.folder.path).count == 1,
                        "nothing refused was kept")
            }
        }
    }
}
