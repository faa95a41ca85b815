// Rate limits: a token bucket per signed-in account, one per client address for requests without an account, and a
// tighter one per address for signing in and registering (each costs a bcrypt hash, and guessing passwords is the
// attack it slows). Past a bucket: 429, Retry-After and one sentence. The buckets live in the server process (each
// server its own); behind a proxy every client shares the proxy's address.
import Foundation
import Hummingbird

/// How fast one client may go: `burst` requests at once, then `perMinute` a minute. A `perMinute` of 0: no limit.
public struct RateLimit: Sendable, Equatable {
    public var perMinute: Double
    public var burst: Double

    public init(perMinute: Double, burst: Double) {
        self.perMinute = perMinute
        self.burst = burst
    }

    public static let unlimited = RateLimit(perMinute: 0, burst: 0)
}

/// One token bucket per key: full at `burst` tokens, refilled at `perMinute / 60` a second, a request takes one.
final class TokenBuckets: @unchecked Sendable {
    let limit: RateLimit
    private let lock = NSLock()
    private var buckets: [String: (tokens: Double, time: Double)] = [:]
    private let clock: @Sendable () -> Double

    /// Keys kept before full buckets are dropped (a full bucket is the same as none): many addresses cannot grow
    /// the table past this.
    static let maximumKeys = 100_000

    init(_ limit: RateLimit, clock: @escaping @Sendable () -> Double = { ProcessInfo.processInfo.systemUptime }) {
        self.limit = limit
        self.clock = clock
    }

    /// Takes a token for `key`: nil when there was one, else the seconds until there is.
    func take(_ key: String) -> Double? {
        guard limit.perMinute > 0 else { return nil }
        let rate = limit.perMinute / 60
        return lock.withLock {
            let now = clock()
            if buckets.count >= Self.maximumKeys {
                buckets = buckets.filter { refilled($0.value, now, rate) < limit.burst }
                if buckets.count >= Self.maximumKeys { buckets.removeAll() }
            }
            var tokens = buckets[key].map { refilled($0, now, rate) } ?? limit.burst
            defer { buckets[key] = (tokens, now) }
            guard tokens < 1 else {
                tokens -= 1
                return nil
            }
            return (1 - tokens) / rate
        }
    }

    private func refilled(_ bucket: (tokens: Double, time: Double), _ now: Double, _ rate: Double) -> Double {
        min(limit.burst, bucket.tokens + (now - bucket.time) * rate)
    }
}

/// Applies the three limits of `ServerConfiguration` to every request (after `AuthenticationMiddleware` has
/// opened its account).
struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = ServiceRequestContext
    let accounts: TokenBuckets
    let addresses: TokenBuckets
    let signIns: TokenBuckets

    /// The routes that check a password or create an account (POST).
    static let signInPaths: Set<String> = ["/api/users", "/api/sessions", "/signin", "/register"]

    init(_ configuration: ServerConfiguration) {
        accounts = TokenBuckets(configuration.accountRequests)
        addresses = TokenBuckets(configuration.addressRequests)
        signIns = TokenBuckets(configuration.signInRequests)
    }

    func handle(_ request: Request, context: Context,
                next: (Request, Context) async throws -> Response) async throws -> Response {
        let address = context.remoteAddress?.ipAddress ?? "unknown"
        if request.method == .post, Self.signInPaths.contains(request.uri.path) {
            if let wait = signIns.take(address) { throw Self.refusal(wait, "Too many sign-ins from your address") }
        }
        let wait = context.account.map { accounts.take(String($0.id)) } ?? addresses.take(address)
        if let wait { throw Self.refusal(wait, "Too many requests") }
        return try await next(request, context)
    }

    /// 429 with the whole seconds to wait, in the header and the sentence.
    static func refusal(_ seconds: Double, _ what: String) -> HTTPError {
        let whole = max(1, Int(seconds.rounded(.up)))
        return HTTPError(.tooManyRequests, headers: [.retryAfter: String(whole)],
                        message: "\(what); try again in \(whole) second\(whole == 1 ? "" : "s").")
    }
}
