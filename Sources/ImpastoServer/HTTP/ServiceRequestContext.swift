import Hummingbird
import NIOCore

/// Each request's context: Hummingbird's, plus the account its session cookie or API token opened.
public struct ServiceRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The signed-in account, if any.
    public var account: Account?
    /// The token that opened it (to sign out).
    var token: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
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
        if let token = bearer ?? request.cookies[Self.cookieName]?.value,
           let account = try await accounts.account(forToken: token) {
            context.account = account
            context.token = token
        }
        return try await next(request, context)
    }
}
