// Saved filters and per-user quotas on both databases: a style saved under a name (from an upload or a finished
// job), public or private, used instead of a style upload, offered in the feed as "use this style", deleted only by
// its owner; and a tier's limit on queued and running jobs.
import Foundation
import Hummingbird
import HummingbirdTesting
@testable import ImpastoServer
import Testing

extension ServerTests {
    @Suite struct FilterTests {
        @Test(arguments: QueueBackend.available) func filtersAreSavedUsedAndDeletedByTheirOwners(_ backend: QueueBackend) async throws {
            let root = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: root) }
            let service = try ImpastoService(try backend.configure(try testConfiguration(root)))
            try await service.application(port: 0).test(.router) { client in
                let ann = APISession(client), bob = APISession(client), anyone = APISession(client)
                try await ann.register("ann")
                try await bob.register("bob")
                let style = try await ann.upload(try exampleImage("starry_night.jpg", side: 48))
                let starry = try await ann.object(.post, "/api/filters", json: #"{"name":"Starry","style":"\#(style)","public":true}"#,
                                                  expect: .created)
                let starryID = try #require(starry["id"] as? String)
                #expect(starry["style"] as? String == style && starry["mine"] as? Bool == true && starry["owner"] as? String == "ann")
                let secret = try await ann.object(.post, "/api/filters", json: #"{"name":"Secret","style":"\#(style)"}"#, expect: .created)
                let secretID = try #require(secret["id"] as? String)

                // Refused with a sentence: someone else's upload, both sources or neither, an empty name.
                let borrowed = try await bob.object(.post, "/api/filters", json: #"{"name":"Mine","style":"\#(style)"}"#,
                                                    expect: .unprocessableContent)
                #expect(APISession.message(borrowed) == "You have no upload \(style).")
                let neither = try await bob.object(.post, "/api/filters", json: #"{"name":"Mine"}"#, expect: .unprocessableContent)
                #expect(APISession.message(neither) == "A filter is made from a style upload ('style') or a finished job ('job'): one of the two.")
                #expect(try await ann.send(.post, "/api/filters", json: #"{"name":" ","style":"\#(style)"}"#).status == .unprocessableContent)

                // Another user sees the public filter, not the private one, and deletes neither.
                let seen = try await bob.send(.get, "/api/filters")
                let names = try #require(try JSONSerialization.jsonObject(with: Data(seen.body.readableBytesView)) as? [[String: Any]])
                #expect(names.map { $0["name"] as? String } == ["Starry"])
                #expect(try await bob.send(.get, "/api/filters/\(secretID)").status == .notFound)
                #expect(try await anyone.object(.get, "/api/filters/\(starryID)", expect: .ok)["mine"] as? Bool == false)
                let notHers = try await bob.object(.delete, "/api/filters/\(starryID)", expect: .forbidden)
                #expect(APISession.message(notHers) == "Only its owner deletes a filter.")
                #expect(try await bob.send(.delete, "/api/filters/\(secretID)").status == .notFound)
                #expect(try await bob.send(.delete, "/api/filters/..%2Fimpasto.sqlite").status == .notFound)
                #expect(try await anyone.send(.get, "/api/files/\(style)").status == .ok, "a public filter's style is shown")

                // A job names the public filter instead of a style upload; a private one of another user is not there.
                let photo = try await bob.upload(try exampleImage("tubingen.jpg", side: 48))
                let hidden = try await bob.object(.post, "/api/jobs", json: #"{"kind":"stylize","content":"\#(photo)","filter":"\#(secretID)"}"#,
                                                  expect: .unprocessableContent)
                #expect(APISession.message(hidden) == "There is no filter \(secretID).")
                let both = try await bob.object(.post, "/api/jobs",
                                                json: #"{"kind":"stylize","content":"\#(photo)","filter":"\#(starryID)","style":"\#(style)"}"#,
                                                expect: .unprocessableContent)
                #expect(APISession.message(both) == "A job names a style upload ('style') or a saved filter ('filter'), not both.")
                let job = try await bob.object(.post, "/api/jobs",
                                               json: #"{"kind":"stylize","content":"\#(photo)","filter":"\#(starryID)","size":32,"iterations":1,"public":true}"#,
                                               expect: .created)
                let jobID = try #require(job["id"] as? String)
                #expect(job["filter"] as? String == starryID && job["style"] as? String == style)
                Worker(number: 0, queue: service.queue, files: service.files, configuration: service.configuration).run(drain: true)
                #expect(try await bob.object(.get, "/api/jobs/\(jobID)", expect: .ok)["state"] as? String == "done")

                // The style of one of bob's finished jobs becomes his own filter; an unfinished or foreign job does not.
                let own = try await bob.object(.post, "/api/filters", json: #"{"name":"From my job","job":"\#(jobID)"}"#, expect: .created)
                #expect(own["style"] as? String == style && own["public"] as? Bool == false)
                let foreign = try await ann.object(.post, "/api/filters", json: #"{"name":"Taken","job":"\#(jobID)"}"#,
                                                   expect: .unprocessableContent)
                #expect(APISession.message(foreign) == "You have no finished job \(jobID) with a style image.")

                // The feed offers "use this style", which opens the new picture's page with the filter chosen.
                let feed = String(buffer: try await anyone.send(.get, "/").body)
                // Twice: beside bob's public result, and in the list of public filters.
                #expect(feed.components(separatedBy: #"<a href="/new?filter=\#(starryID)">use this style</a>"#).count == 3, "\(feed)")
                #expect(!feed.contains(secretID))
                let newPage = String(buffer: try await bob.send(.get, "/new?filter=\(starryID)").body)
                #expect(newPage.contains(#"<option value="\#(starryID)" selected>Starry</option>"#), "\(newPage)")
                #expect(!newPage.contains(secretID))

                #expect(try await ann.send(.delete, "/api/filters/\(starryID)").status == .noContent)
                #expect(try await bob.send(.get, "/api/filters/\(starryID)").status == .notFound)
                #expect(try await bob.object(.get, "/api/jobs/\(jobID)", expect: .ok)["state"] as? String == "done",
                        "a job keeps its style when the filter goes")
            }
        }

        /// The free tier holds 2 queued or running jobs; the third is refused until one ends.
        @Test(arguments: QueueBackend.available) func aTiersQuotaRefusesTheNextJob(_ backend: QueueBackend) async throws {
            let root = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: root) }
            let service = try ImpastoService(try backend.configure(try testConfiguration(root)))
            try await service.application(port: 0).test(.router) { client in
                let ann = APISession(client), bob = APISession(client)
                try await ann.register("ann")
                try await bob.register("bob")
                let photo = try await ann.upload(try exampleImage("tubingen.jpg", side: 48))
                // Refused before it is queued: at 16 px the 48×36 photo would be 16×12.
                let small = try await ann.object(.post, "/api/jobs", json: #"{"kind":"apply","content":"\#(photo)","model":"starry","size":16}"#,
                                                 expect: .unprocessableContent)
                #expect(APISession.message(small) == "The photo becomes 16×12 pixels at 16 px; both sides need at least 16 pixels.")
                let body = #"{"kind":"apply","content":"\#(photo)","model":"starry","size":32}"#
                var ids: [String] = []
                for _ in 0..<ServiceTier.free.activeJobLimit {
                    ids.append(try #require(try await ann.object(.post, "/api/jobs", json: body, expect: .created)["id"] as? String))
                }
                let refused = try await ann.object(.post, "/api/jobs", json: body, expect: .tooManyRequests)
                #expect(APISession.message(refused) == "You have 2 jobs queued or running, the most the free tier allows; wait for one to end.")
                // Another user's quota is their own.
                let theirs = try await bob.upload(try exampleImage("tubingen.jpg", side: 48))
                _ = try await bob.object(.post, "/api/jobs", json: #"{"kind":"apply","content":"\#(theirs)","model":"starry","size":32}"#,
                                         expect: .created)
                // A finished (here cancelled) job frees its place.
                _ = try await ann.object(.post, "/api/jobs/\(ids[0])/cancel", expect: .ok)
                _ = try await ann.object(.post, "/api/jobs", json: body, expect: .created)
                #expect(try await ann.send(.post, "/api/jobs", json: body).status == .tooManyRequests)
            }
        }
    }
}
