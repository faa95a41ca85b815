import Hummingbird
import NIOCore

/// Each request's context: Hummingbird's, plus the account its session cookie or API token opened.
public struct ServiceRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The client's address (nil in tests through the router alone), for the rate limits.
    public let remoteAddress: SocketAddress?
    /// The signed-in account, if any.
    public var account: Account?
    /// The token that opened it.
    var token: String?
    /// Whether that token came in the session cookie (signing out ends a session, never an API token).
    var tokenIsSessionCookie = false

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// The account, or 401 with a sentence.
    func requireAccount() throws -> Account {
        guard let account else { throw HTTPError(.unauthorized, message: "Sign in first (a session cookie or an API token).") }
        return account
    }
}

/// Opens the account named by `Authorization: Bearer TOKEN` or the session cookie.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = ServiceRequestContext
    let accounts: Accounts

    static let cookieName = "impasto_session"

    func handle(_ request: Request, context: Context,
                next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let bearer = request.headers[.authorization].flatMap { header in
            header.hasPrefix("Bearer ") ? String(header.dropFirst("Bearer ".count)) : nil
        }
        let cookie = request.cookies[Self.cookieName]?.value
        if let token = bearer ?? cookie, let account = try await accounts.account(forToken: token) {
            context.account = account
            context.token = token
            context.tokenIsSessionCookie = bearer == nil
        }
        return try await next(request, context)
    }
}
