// The web pages: the feed, sign-in, a new picture, a job with live progress (server-sent events), and the
// user's history. Forms carry a CSRF token that must match their cookie (double submit); the pages' scripts call
// the JSON API with the SameSite=Strict session cookie.
import Foundation
import Hummingbird
import ImpastoStudio
import Mustache
import NIOCore

struct WebPages {
    let service: ImpastoService
    let library: MustacheLibrary

    static let csrfCookie = "impasto_csrf"
    /// Seconds between two looks at a job for its event stream.
    static let eventInterval = 0.5

    init(service: ImpastoService) throws {
        self.service = service
        library = try PageTemplates.library()
    }

    func add(to router: Router<ServiceRequestContext>) {
        router.get("/", use: feed)
        router.get("signin", use: signInPage)
        router.post("signin", use: signIn)
        router.post("register", use: register)
        router.get("new", use: newJob)
        router.get("history", use: history)
        router.get("jobs/:id", use: job)
        router.get("api/jobs/:id/events", use: events)
    }

    // MARK: Pages

    @Sendable func feed(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        let entries = try await service.jobs.feed().map(Self.values)
        let filters = try await service.filters.filters(viewer: nil).map(Self.values)
        return try page("feed", title: "Feed", context, ["entries": entries, "filters": filters,
                                                         "hasFilters": !filters.isEmpty])
    }

    @Sendable func signInPage(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        try signInForm(request, context, error: nil, status: .ok)
    }

    private func signInForm(_ request: Request, _ context: ServiceRequestContext, error: String?,
                            status: HTTPResponse.Status) throws -> Response {
        let token = request.cookies[Self.csrfCookie]?.value ?? (FileStore.newID() + FileStore.newID())
        var response = try page("signin", title: "Sign in", context, ["csrf": token, "error": error as Any], status: status)
        response.setCookie(Cookie(name: Self.csrfCookie, value: token, path: "/", httpOnly: true, sameSite: .strict))
        return response
    }

    struct SignInForm: Decodable {
        var csrf: String
        var name: String
        var password: String
    }

    @Sendable func signIn(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        try await formSignIn(request, context) { form in
            try await service.accounts.verify(name: form.name, password: form.password)
        } refused: { "The name or the password is wrong." }
    }

    @Sendable func register(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        try await formSignIn(request, context) { form in
            guard Accounts.isValidName(form.name), (8...200).contains(form.password.count) else { return nil }
            return try await service.accounts.register(name: form.name, password: form.password,
                                                       tier: service.configuration.defaultTier)
        } refused: { "That name is taken, or not 1–40 letters, digits, '.', '_' or '-' with a password of 8 or more characters." }
    }

    /// Checks the form's CSRF token against its cookie (403 when they differ), then signs in whoever `account`
    /// finds and sends them to a new picture.
    private func formSignIn(_ request: Request, _ context: ServiceRequestContext,
                            account: (SignInForm) async throws -> Account?, refused: () -> String) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: 16_384)
        let form = try? URLEncodedFormDecoder().decode(SignInForm.self, from: String(buffer: body))
        guard let form, let cookie = request.cookies[Self.csrfCookie]?.value, !cookie.isEmpty, form.csrf == cookie else {
            throw HTTPError(.forbidden, message: "The form's security token does not match; reload the sign-in page and try again.")
        }
        guard let account = try await account(form) else {
            return try signInForm(request, context, error: refused(), status: .unauthorized)
        }
        let token = try await service.accounts.issueToken(for: account.id, kind: "session")
        var response = Response(status: .seeOther, headers: [.location: "/new"])
        response.setCookie(Cookie(name: AuthenticationMiddleware.cookieName, value: token,
                                  maxAge: Int(Accounts.sessionSeconds), path: "/", httpOnly: true, sameSite: .strict))
        return response
    }

    @Sendable func newJob(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        guard let account = context.account else { return Self.toSignIn }
        let tiers = ServiceTier.allCases.filter { $0 <= account.tier }.map(\.rawValue)
        // `?filter=ID` (the feed's "use this style") comes chosen.
        let chosen = request.uri.queryParameters.get("filter")
        let filters = try await service.filters.filters(viewer: account.id).map { filter in
            var values = Self.values(filter)
            values["selected"] = filter.id == chosen
            return values
        }
        return try page("new", title: "A new picture", context, ["models": BundledStyles.names, "tiers": tiers, "filters": filters])
    }

    @Sendable func history(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        guard let account = context.account else { return Self.toSignIn }
        let jobs = try await service.jobs.list(owner: account.id).map(Self.values)
        return try page("history", title: "My pictures", context, ["jobs": jobs])
    }

    @Sendable func job(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        guard let account = context.account else { return Self.toSignIn }
        let id = try context.parameters.require("id")
        guard FileStore.isValidID(id), let status = try await service.jobs.status(id, owner: account.id) else {
            throw ServiceAPI.noJob
        }
        var values = Self.values(status)
        values["picture"] = status.result ?? status.preview
        values["caption"] = status.result != nil ? "result" : status.preview != nil ? "preview" : ""
        values["findings"] = status.target ?? status.faces.map { "\($0.count) face\($0.count == 1 ? "" : "s")" }
        return try page("job", title: Self.titles[status.kind] ?? "Job", context, values)
    }

    // MARK: Events

    /// The job as server-sent events: its status whenever it changes, and an `end` event when it has finished.
    @Sendable func events(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        let account = try context.requireAccount()
        let id = try context.parameters.require("id")
        guard FileStore.isValidID(id), try await service.jobs.status(id, owner: account.id) != nil else { throw ServiceAPI.noJob }
        let jobs = service.jobs
        let body = ResponseBody { writer in
            var last: JobStatus?
            let deadline = Date().addingTimeInterval(3600)
            while Date() < deadline {
                guard var status = try await jobs.status(id, owner: account.id) else { break }
                status.etaSeconds = status.etaSeconds.map { $0.rounded() }
                let finished = ["done", "failed", "cancelled"].contains(status.state)
                if status != last || finished {
                    let json = String(decoding: try JSONEncoder().encode(status), as: UTF8.self)
                    try await writer.write(ByteBuffer(string: (finished ? "event: end\n" : "") + "data: \(json)\n\n"))
                    last = status
                }
                if finished { break }
                try await Task.sleep(for: .seconds(Self.eventInterval))
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
    }

    // MARK: Rendering

    /// The job page's title for each kind.
    static let titles = ["stylize": "Style transfer", "apply": "Fast style", "cutout": "Cutout", "faces": "Faces",
                         "explain": "Explanation"]

    static let toSignIn = Response(status: .seeOther, headers: [.location: "/signin"])

    private func page(_ template: String, title: String, _ context: ServiceRequestContext, _ values: [String: Any],
                      status: HTTPResponse.Status = .ok) throws -> Response {
        var values = values
        values["title"] = title
        if let account = context.account { values["account"] = ["name": account.name] }
        guard let html = library.render(values, withTemplate: template) else {
            throw HTTPError(.internalServerError, message: "The page \(template) has no template.")
        }
        return Response(status: status, headers: [.contentType: "text/html; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// A job's fields for a template (absent ones left out, so sections skip them).
    static func values(_ status: JobStatus) -> [String: Any] {
        var values: [String: Any] = ["id": status.id, "kind": status.kind, "tier": status.tier, "state": status.state,
                                     "progress": status.progress, "public": status.public]
        for (key, value) in [("detail", status.detail), ("error", status.error), ("content", status.content),
                             ("style", status.style), ("model", status.model), ("result", status.result),
                             ("preview", status.preview), ("styleFilter", status.styleFilter)] {
            if let value { values[key] = value }
        }
        return values
    }

    /// A filter's fields for a template.
    static func values(_ filter: SavedFilter) -> [String: Any] {
        ["id": filter.id, "name": filter.name, "style": filter.style, "owner": filter.owner, "public": filter.public]
    }
}
