// Accounts, sessions and API tokens. Passwords are kept as bcrypt hashes; tokens as their SHA-256, so a copy of
// the database opens no account.
import Foundation
import GRDB
import HummingbirdBcrypt
import ImpastoStudio
import NIOPosix

/// A signed-in user.
public struct Account: Sendable, Equatable {
    public let id: Int64
    public let name: String
    public let tier: ServiceTier
}

/// The accounts table and its tokens.
public struct Accounts: Sendable {
    let database: ServerDatabase
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
        return try await database.pool.write { db in
            guard try Int64.fetchOne(db, sql: "SELECT id FROM users WHERE name = ?", arguments: [name]) == nil else { return nil }
            try db.execute(sql: "INSERT INTO users (name, password_hash, tier, created) VALUES (?, ?, ?, ?)",
                           arguments: [name, hash, tier.rawValue, ServerDatabase.now()])
            return Account(id: db.lastInsertedRowID, name: name, tier: tier)
        }
    }

    /// The account whose password this is; nil for a wrong name or password.
    func verify(name: String, password: String) async throws -> Account? {
        // Sendable values out of the closure (not a Row), or Swift picks GRDB's blocking read: under load the
        // blocked cooperative threads starved the awaiting reads and the server hung (scripts/measure_serve_load.sh).
        let found = try await database.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT id, name, tier, password_hash FROM users WHERE name = ?", arguments: [name])
                .map { row -> (Account, String) in (Self.account(row), row["password_hash"]) }
        }
        guard let (account, hash) = found else { return nil }
        guard try await Self.offLoop({ Bcrypt.verify(password, hash: hash) }) else { return nil }
        return account
    }

    /// A new token of `kind` ("session" or "api") for the user; only its hash is stored.
    func issueToken(for user: Int64, kind: String) async throws -> String {
        let token = FileStore.newID() + FileStore.newID()
        let now = ServerDatabase.now()
        try await database.pool.write { db in
            try db.execute(sql: "INSERT INTO tokens (hash, user_id, kind, created, expires) VALUES (?, ?, ?, ?, ?)",
                           arguments: [Self.hash(token), user, kind, now, kind == "session" ? now + Self.sessionSeconds : nil])
        }
        return token
    }

    /// The account a token opens, when it is known and not expired.
    func account(forToken token: String) async throws -> Account? {
        try await database.pool.read { db in
            try Row.fetchOne(db, sql: """
                SELECT users.id, users.name, users.tier FROM tokens JOIN users ON users.id = tokens.user_id
                WHERE tokens.hash = ? AND (tokens.expires IS NULL OR tokens.expires > ?)
                """, arguments: [Self.hash(token), ServerDatabase.now()]).map(Self.account)
        }
    }

    /// The account of a row of `users` (id, name, tier).
    private static func account(_ row: Row) -> Account {
        Account(id: row["id"], name: row["name"], tier: ServiceTier(rawValue: row["tier"]) ?? .free)
    }

    func revoke(token: String) async throws {
        try await database.pool.write { db in
            try db.execute(sql: "DELETE FROM tokens WHERE hash = ?", arguments: [Self.hash(token)])
        }
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
