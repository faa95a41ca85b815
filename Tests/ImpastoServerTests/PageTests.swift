// The web pages as a browser gets them: HTML from the templates, forms that need their CSRF token, pages that
// send strangers to sign in, and a job's progress as server-sent events.
import Foundation
import Hummingbird
import HummingbirdTesting
@testable import ImpastoServer
import Testing

extension ServerTests {
    @Suite struct PageTests {
        @Test(arguments: QueueBackend.available) func pagesFormsAndEvents(_ backend: QueueBackend) async throws {
            let root = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: root) }
            let service = try ImpastoService(try backend.configure(try testConfiguration(root)))
            try await service.application(port: 0).test(.router) { client in
                let ann = APISession(client), bob = APISession(client)
                #expect(try await ann.send(.get, "/new").headers[.location] == "/signin")
                let signIn = try await ann.send(.get, "/signin")
                let html = String(buffer: signIn.body)
                let token = try #require(ann.cookies[WebPages.csrfCookie])
                #expect(signIn.headers[.contentType] == "text/html; charset=utf-8" && html.contains(#"value="\#(token)""#))

                // A form without the token of its cookie is forged.
                let forged = try await ann.send(.post, "/register", form: "csrf=\(String(token.reversed()))&name=ann&password=correct+horse")
                #expect(forged.status == .forbidden && ann.cookie == nil)
                let registered = try await ann.send(.post, "/register", form: "csrf=\(token)&name=ann&password=correct+horse")
                #expect(registered.status == .seeOther && registered.headers[.location] == "/new" && ann.cookie != nil)
                let wrong = try await ann.send(.post, "/signin", form: "csrf=\(token)&name=ann&password=wrong+horse")
                #expect(wrong.status == .unauthorized && String(buffer: wrong.body).contains("The name or the password is wrong."))
                let newPage = String(buffer: try await ann.send(.get, "/new").body)
                #expect(newPage.contains("<option>starry</option>") && newPage.contains("<option>free</option>")
                        && !newPage.contains("<option>hd</option>"))

                // A job's page and its events; another user's is not there.
                let photo = try await ann.upload(try exampleImage("tubingen.jpg"), query: "?name=%3Cscript%3Ealert(1)%3C%2Fscript%3E")
                let created = try await ann.object(.post, "/api/jobs",
                                                   json: #"{"kind":"apply","content":"\#(photo)","model":"starry","size":48,"public":true}"#,
                                                   expect: .created)
                let id = try #require(created["id"] as? String)
                let queued = String(buffer: try await ann.send(.get, "/jobs/\(id)").body)
                #expect(queued.contains(#"<p id="state">queued</p>"#) && queued.contains("/api/files/\(photo)"))
                try await bob.register("bob")
                #expect(try await bob.send(.get, "/jobs/\(id)").status == .notFound)
                #expect(try await bob.send(.get, "/api/jobs/\(id)/events").status == .notFound)

                Worker(number: 0, queue: service.queue, files: service.files, configuration: service.configuration).run(drain: true)
                let events = try await ann.send(.get, "/api/jobs/\(id)/events")
                #expect(events.headers[.contentType] == "text/event-stream")
                let stream = String(buffer: events.body)
                #expect(stream.hasPrefix("event: end\ndata: {") && stream.hasSuffix("}\n\n") && stream.contains(#""state":"done""#), "\(stream)")
                let done = try await ann.object(.get, "/api/jobs/\(id)", expect: .ok)
                let result = try #require(done["result"] as? String)
                let feed = String(buffer: try await bob.send(.get, "/").body)
                #expect(feed.contains("/api/files/\(photo)") && feed.contains("/api/files/\(result)") && feed.contains("starry"))
                let history = String(buffer: try await ann.send(.get, "/history").body)
                #expect(history.contains("/jobs/\(id)") && !history.contains("<script>alert"))
            }
        }
    }
}
