// Accounts, sessions and API tokens. Passwords are kept as bcrypt hashes; tokens as their SHA-256, so a copy of
// the database opens no account.
import Foundation
import HummingbirdBcrypt
import ImpastoStudio
import NIOPosix

/// A signed-in user.
public struct Account: Sendable, Equatable {
    public let id: Int64
    public let name: String
    public let tier: ServiceTier
}

/// The rules of accounts and tokens, over either store.
public struct Accounts: Sendable {
    let store: any AccountRecords
    let bcryptCost: UInt8

    /// Sessions last a fortnight; API tokens until deleted.
    static let sessionSeconds = 14.0 * 24 * 3600

    /// What a name may be: 1–40 letters, digits, '.', '_' or '-'.
    static func isValidName(_ name: String) -> Bool {
        (1...40).contains(name.count) && name.unicodeScalars.allSatisfy {
            CharacterSet.alphanumerics.contains($0) && $0.isASCII || "._-".unicodeScalars.contains($0)
        }
    }

    /// Creates an account; nil when the name is taken.
    func register(name: String, password: String, tier: ServiceTier) async throws -> Account? {
        let cost = bcryptCost
        let hash = try await Self.offLoop { Bcrypt.hash(password, cost: cost) }
        return try await store.insertUser(name: name, passwordHash: hash, tier: tier)
    }

    /// The account whose password this is; nil for a wrong name or password.
    func verify(name: String, password: String) async throws -> Account? {
        guard let (account, hash) = try await store.passwordRecord(name: name) else { return nil }
        guard try await Self.offLoop({ Bcrypt.verify(password, hash: hash) }) else { return nil }
        return account
    }

    /// A new token of `kind` ("session" or "api") for the user; only its hash is stored.
    func issueToken(for user: Int64, kind: String) async throws -> String {
        let token = FileStore.newID() + FileStore.newID()
        let now = ServerDatabase.now()
        try await store.insertToken(hash: Self.hash(token), user: user, kind: kind, created: now,
                                    expires: kind == "session" ? now + Self.sessionSeconds : nil)
        return token
    }

    /// The account a token opens, when it is known and not expired.
    func account(forToken token: String) async throws -> Account? {
        try await store.account(tokenHash: Self.hash(token), now: ServerDatabase.now())
    }

    func revoke(token: String) async throws {
        try await store.deleteToken(hash: Self.hash(token))
    }

    /// Runs CPU-bound work (bcrypt: about 0.25 s at cost 12) on NIO's thread pool, off the event loops and Swift's
    /// concurrency pool.
    static func offLoop<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive(work)
    }

    static func hash(_ token: String) -> String {
        var digest = SHA256()
        digest.update(Data(token.utf8))
        return digest.hexDigest()
    }
}
