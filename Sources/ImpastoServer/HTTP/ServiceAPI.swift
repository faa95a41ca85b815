// The JSON API: accounts, uploads, jobs, files and the feed. Every id in a path is checked for its form before it
// is looked up, and another user's job or file answers 404, as one that does not exist.
import Foundation
import Hummingbird
import ImpastoMedia
import ImpastoStudio
import ImpastoTensor
import NIOCore

struct ServiceAPI {
    let service: ImpastoService

    var accounts: Accounts { service.accounts }
    var jobs: JobRecords { service.jobs }
    var uploads: Uploads { service.uploads }
    var configuration: ServerConfiguration { service.configuration }

    func add(to router: Router<ServiceRequestContext>) {
        let api = router.group("api")
        api.post("users", use: register)
        api.post("sessions", use: signIn)
        api.delete("sessions", use: signOut)
        api.post("tokens", use: issueToken)
        api.get("me", use: me)
        api.post("uploads", use: upload)
        api.post("jobs", use: createJob)
        api.get("jobs", use: listJobs)
        api.get("jobs/:id", use: job)
        api.post("jobs/:id/cancel", use: cancelJob)
        api.delete("jobs/:id", use: deleteJob)
        api.put("jobs/:id/public", use: setPublic)
        api.get("files/:id", use: file)
        api.get("feed", use: feed)
        api.get("filters", use: listFilters)
        api.post("filters", use: createFilter)
        api.get("filters/:id", use: filter)
        api.delete("filters/:id", use: deleteFilter)
        api.get("openapi.json", use: openAPI)
    }

    // MARK: Accounts

    struct Credentials: Decodable {
        var name: String
        var password: String
    }

    struct AccountBody: Codable {
        var id: Int64
        var name: String
        var tier: String
    }

    @Sendable func register(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        let credentials = try await request.decode(as: Credentials.self, context: context)
        guard Accounts.isValidName(credentials.name) else {
            throw HTTPError(.unprocessableContent, message: "A name is 1 to 40 letters, digits, '.', '_' or '-'.")
        }
        guard (8...200).contains(credentials.password.count) else {
            throw HTTPError(.unprocessableContent, message: "A password is 8 to 200 characters.")
        }
        guard let account = try await accounts.register(name: credentials.name, password: credentials.password,
                                                        tier: configuration.defaultTier) else {
            throw HTTPError(.conflict, message: "The name \(credentials.name) is taken.")
        }
        return try await signedIn(account, status: .created)
    }

    @Sendable func signIn(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        let credentials = try await request.decode(as: Credentials.self, context: context)
        guard let account = try await accounts.verify(name: credentials.name, password: credentials.password) else {
            throw HTTPError(.unauthorized, message: "The name or the password is wrong.")
        }
        return try await signedIn(account, status: .ok)
    }

    private func signedIn(_ account: Account, status: HTTPResponse.Status) async throws -> Response {
        let token = try await accounts.issueToken(for: account.id, kind: "session")
        var response = try Self.json(AccountBody(id: account.id, name: account.name, tier: account.tier.rawValue), status: status)
        response.setCookie(Cookie(name: AuthenticationMiddleware.cookieName, value: token,
                                  maxAge: Int(Accounts.sessionSeconds), path: "/", httpOnly: true, sameSite: .strict))
        return response
    }

    @Sendable func signOut(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        if let token = context.token, context.tokenIsSessionCookie { try await accounts.revoke(token: token) }
        var response = Response(status: .noContent)
        response.setCookie(Cookie(name: AuthenticationMiddleware.cookieName, value: "", maxAge: 0, path: "/"))
        return response
    }

    struct TokenBody: Codable { var token: String }

    @Sendable func issueToken(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        let account = try context.requireAccount()
        return try Self.json(TokenBody(token: try await accounts.issueToken(for: account.id, kind: "api")), status: .created)
    }

    @Sendable func me(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        let account = try context.requireAccount()
        return try Self.json(AccountBody(id: account.id, name: account.name, tier: account.tier.rawValue))
    }

    // MARK: Uploads

    struct UploadBody: Codable {
        var id: String
        var width: Int
        var height: Int
        var bytes: Int
    }

    /// The body is the image itself (PNG or JPEG); `?name=` is kept for display only.
    @Sendable func upload(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        let account = try context.requireAccount()
        let limit = configuration.maxUploadBytes
        let tooLarge = HTTPError(.contentTooLarge, message: "The upload is larger than the \(ProgressReporter.formatBytes(Int64(limit))) allowed.")
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit { throw tooLarge }
        guard try await uploads.recentCount(owner: account.id, seconds: 60) < configuration.uploadsPerMinute else {
            // The oldest upload of the minute leaves it within 60 s: the most there is to wait.
            throw HTTPError(.tooManyRequests, headers: [.retryAfter: "60"],
                            message: "At most \(configuration.uploadsPerMinute) uploads a minute; try again shortly.")
        }
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw tooLarge
        }
        let bytes = Array(buffer: body)
        // The header first: a picture over the tier's size is refused before a byte of it is decoded.
        let header: ImageHeader
        do {
            header = try Image.header(of: bytes, path: "The upload")
        } catch {
            throw HTTPError(.unprocessableContent, message: "\(error)")
        }
        let pixels = configuration.uploadPixels(for: account.tier)
        guard header.width * header.height <= pixels, max(header.width, header.height) <= Image.maximumSide else {
            throw HTTPError(.unprocessableContent, message: "The upload is \(header.width)×\(header.height) pixels; "
                + "the \(account.tier.rawValue) tier takes at most \(Self.megapixels(pixels)) megapixels.")
        }
        // Then decoded, before anything is kept: a file cut short or corrupt never reaches a worker. The samples
        // alone (3 bytes a pixel), on NIO's thread pool, whose few threads bound how many run at once.
        do {
            _ = try await Accounts.offLoop {
                try Image.$maximumPixelCount.withValue(pixels) { try Image.verify(bytes, path: "The upload") }
            }
        } catch {
            throw HTTPError(.unprocessableContent, message: "\(error)")
        }
        let id = try service.files.store(bytes)
        let name = request.uri.queryParameters.get("name").map { String($0.prefix(200)) }
        try await uploads.record(id: id, owner: account.id, name: name, width: header.width, height: header.height,
                                 bytes: bytes.count)
        return try Self.json(UploadBody(id: id, width: header.width, height: header.height, bytes: bytes.count), status: .created)
    }

    /// 12 or 0.5: megapixels as a sentence shows them.
    static func megapixels(_ pixels: Int) -> String {
        pixels % 1_000_000 == 0 ? String(pixels / 1_000_000) : String(format: "%.1f", Double(pixels) / 1_000_000)
    }

    // MARK: Jobs

    @Sendable func createJob(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        let account = try context.requireAccount()
        var job = try await request.decode(as: JobRequest.self, context: context)
        let tier = job.tier ?? account.tier
        guard tier <= account.tier else {
            throw HTTPError(.forbidden, message: "Your account's tier is \(account.tier.rawValue); it cannot run \(tier.rawValue) jobs.")
        }
        // A saved filter stands for its style file, which its owner (perhaps another user) uploaded.
        var filterStyle: String?
        if let name = job.filter {
            guard job.style == nil else {
                throw HTTPError(.unprocessableContent, message: "A job names a style upload ('style') or a saved filter ('filter'), not both.")
            }
            guard FileStore.isValidID(name), let filter = try await service.filters.filter(name, viewer: account.id) else {
                throw HTTPError(.unprocessableContent, message: "There is no filter \(name.prefix(40)).")
            }
            job.style = filter.style
            filterStyle = filter.style
        }
        let params: JobParameters
        do {
            params = try JobParameters.resolve(job, tier: tier)
        } catch {
            throw HTTPError(.unprocessableContent, message: "\(error)")
        }
        for id in [params.content, params.style].compactMap({ $0 }) where id != filterStyle {
            guard FileStore.isValidID(id), try await uploads.owns(id, owner: account.id) else {
                throw HTTPError(.unprocessableContent, message: "You have no upload \(id.prefix(40)).")
            }
        }
        // The networks need 16 pixels on each side: a photo that the size would shrink below that never reaches a worker.
        if let photo = try await uploads.dimensions(params.content, owner: account.id) {
            let scaled = Image.size(width: photo.width, height: photo.height, longestSide: params.size)
            guard min(scaled.width, scaled.height) >= 16 else {
                throw HTTPError(.unprocessableContent, message: "The photo becomes \(scaled.width)×\(scaled.height) pixels at \(params.size) px; both sides need at least 16 pixels.")
            }
        }
        let id: String
        do {
            id = try await jobs.create(owner: account.id, kind: job.kind, params: params, tier: tier, public: job.public ?? false,
                                       activeLimit: account.tier.activeJobLimit)
        } catch let quota as JobQuotaExceeded {
            throw HTTPError(.tooManyRequests, message: "You have \(quota.limit) jobs queued or running, the most the \(account.tier.rawValue) tier allows; wait for one to end.")
        }
        return try Self.json(try await ownJob(id, account), status: .created)
    }

    @Sendable func listJobs(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        let account = try context.requireAccount()
        return try Self.json(try await jobs.list(owner: account.id))
    }

    @Sendable func job(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        let account = try context.requireAccount()
        return try Self.json(try await ownJob(try context.parameters.require("id"), account))
    }

    @Sendable func cancelJob(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        let account = try context.requireAccount()
        let id = try context.parameters.require("id")
        guard FileStore.isValidID(id), try await jobs.cancel(id, owner: account.id) else { throw Self.noJob }
        return try Self.json(try await ownJob(id, account))
    }

    @Sendable func deleteJob(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        let account = try context.requireAccount()
        let id = try context.parameters.require("id")
        guard FileStore.isValidID(id), let removed = try await jobs.delete(id, owner: account.id) else { throw Self.noJob }
        service.files.remove(removed)
        return Response(status: .noContent)
    }

    struct PublicBody: Codable { var `public`: Bool }

    @Sendable func setPublic(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        let account = try context.requireAccount()
        let id = try context.parameters.require("id")
        let body = try await request.decode(as: PublicBody.self, context: context)
        guard FileStore.isValidID(id), try await jobs.setPublic(id, owner: account.id, body.public) else { throw Self.noJob }
        return try Self.json(try await ownJob(id, account))
    }

    private func ownJob(_ id: String, _ account: Account) async throws -> JobStatus {
        guard FileStore.isValidID(id), let status = try await jobs.status(id, owner: account.id) else { throw Self.noJob }
        return status
    }

    static let noJob = HTTPError(.notFound, message: "There is no such job.")

    // MARK: Files and feed

    @Sendable func file(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let missing = HTTPError(.notFound, message: "There is no such file.")
        guard FileStore.isValidID(id), try await uploads.mayRead(id, viewer: context.account?.id),
              let data = service.files.read(id) else { throw missing }
        let type = data.starts(with: [0xFF, 0xD8]) ? "image/jpeg" : "image/png"
        return Response(status: .ok, headers: [.contentType: type, .cacheControl: "private, max-age=3600"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    @Sendable func feed(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        try Self.json(try await jobs.feed())
    }

    // MARK: Filters

    /// A new filter: the style of one of the user's uploads (`style`) or of one of their finished jobs (`job`).
    struct FilterRequest: Decodable {
        var name: String
        var style: String?
        var job: String?
        var `public`: Bool?
    }

    @Sendable func createFilter(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        let account = try context.requireAccount()
        let body = try await request.decode(as: FilterRequest.self, context: context)
        let name = body.name.trimmingCharacters(in: .whitespaces)
        guard (1...60).contains(name.count), !name.unicodeScalars.contains(where: { CharacterSet.controlCharacters.contains($0) }) else {
            throw HTTPError(.unprocessableContent, message: "A filter's name is 1 to 60 characters.")
        }
        let style: String
        switch (body.style, body.job) {
        case let (upload?, nil):
            guard FileStore.isValidID(upload), try await uploads.owns(upload, owner: account.id) else {
                throw HTTPError(.unprocessableContent, message: "You have no upload \(upload.prefix(40)).")
            }
            style = upload
        case let (nil, job?):
            guard FileStore.isValidID(job), let found = try await service.filters.styleOfFinishedJob(job, owner: account.id) else {
                throw HTTPError(.unprocessableContent, message: "You have no finished job \(job.prefix(40)) with a style image.")
            }
            style = found
        default:
            throw HTTPError(.unprocessableContent, message: "A filter is made from a style upload ('style') or a finished job ('job'): one of the two.")
        }
        let filter = try await service.filters.createFilter(owner: account.id, name: name, style: style, public: body.public ?? false)
        return try Self.json(filter, status: .created)
    }

    @Sendable func listFilters(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        try Self.json(try await service.filters.filters(viewer: context.account?.id))
    }

    @Sendable func filter(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        guard FileStore.isValidID(id), let filter = try await service.filters.filter(id, viewer: context.account?.id) else {
            throw Self.noFilter
        }
        return try Self.json(filter)
    }

    @Sendable func deleteFilter(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        let account = try context.requireAccount()
        let id = try context.parameters.require("id")
        guard FileStore.isValidID(id) else { throw Self.noFilter }
        switch try await service.filters.deleteFilter(id, owner: account.id) {
        case .deleted: return Response(status: .noContent)
        case .notOwner: throw HTTPError(.forbidden, message: "Only its owner deletes a filter.")
        case .missing: throw Self.noFilter
        }
    }

    static let noFilter = HTTPError(.notFound, message: "There is no such filter.")

    @Sendable func openAPI(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
    }

    // MARK: JSON

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }
}
