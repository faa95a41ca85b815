// The service's store in PostgreSQL: the same operations, rules and sentences as SQLiteStore, so `impasto serve
// --database postgres://…` runs accounts, uploads, jobs and filters there and workers on any machine claim from the
// same tables. Requests use one connection (PostgresDatabase), the in-process workers' queue another.
import Foundation
import PostgresNIO

struct PostgresStore: ServiceStore {
    let database: PostgresDatabase
    let queue: any JobQueue

    init(_ location: PostgresLocation, maxAttempts: Int) throws {
        database = try PostgresDatabase(location)
        queue = PostgresJobQueue(database: try PostgresDatabase(location), maxAttempts: maxAttempts)
    }

    // MARK: Accounts

    func insertUser(name: String, passwordHash: String, tier: ServiceTier) async throws -> Account? {
        try await database.perform { session in
            try session.query("""
                INSERT INTO users (name, password_hash, tier, created) VALUES (\(name), \(passwordHash), \(tier.rawValue),
                \(ServerDatabase.now())) ON CONFLICT (name) DO NOTHING RETURNING id
                """).first.map { Account(id: try $0.decode(Int64.self), name: name, tier: tier) }
        }
    }

    func passwordRecord(name: String) async throws -> (account: Account, hash: String)? {
        try await database.perform { session in
            try session.query("SELECT id, tier, password_hash FROM users WHERE name = \(name)").first.map {
                let (id, tier, hash) = try $0.decode((Int64, String, String).self)
                return (account: Account(id: id, name: name, tier: ServiceTier(rawValue: tier) ?? .free), hash: hash)
            }
        }
    }

    func insertToken(hash: String, user: Int64, kind: String, created: Double, expires: Double?) async throws {
        try await database.perform { session in
            try session.run("""
                INSERT INTO tokens (hash, user_id, kind, created, expires) VALUES (\(hash), \(user), \(kind), \(created), \(expires))
                """)
        }
    }

    func account(tokenHash: String, now: Double) async throws -> Account? {
        try await database.perform { session in
            try session.query("""
                SELECT users.id, users.name, users.tier FROM tokens JOIN users ON users.id = tokens.user_id
                WHERE tokens.hash = \(tokenHash) AND (tokens.expires IS NULL OR tokens.expires > \(now))
                """).first.map {
                let (id, name, tier) = try $0.decode((Int64, String, String).self)
                return Account(id: id, name: name, tier: ServiceTier(rawValue: tier) ?? .free)
            }
        }
    }

    func deleteToken(hash: String) async throws {
        try await database.perform { session in
            try session.run("DELETE FROM tokens WHERE hash = \(hash)")
        }
    }

    // MARK: Jobs

    func create(owner: Int64, kind: JobKind, params: JobParameters, tier: ServiceTier, public isPublic: Bool,
                activeLimit: Int?) async throws -> String {
        let id = FileStore.newID()
        try await database.perform { session in
            if let activeLimit {
                // The owner's row lock serialises two creations by the same user (servers on several machines).
                try session.run("SELECT id FROM users WHERE id = \(owner) FOR UPDATE")
                let active = try session.query("""
                    SELECT COUNT(*) FROM jobs WHERE owner = \(owner) AND state IN ('queued', 'running')
                    """)[0].decode(Int.self)
                guard active < activeLimit else { throw JobQuotaExceeded(limit: activeLimit) }
            }
            try session.run("""
                INSERT INTO jobs (id, owner, kind, params, tier, priority, state, created, content_file, style_file, public)
                VALUES (\(id), \(owner), \(kind.rawValue), \(params.json), \(tier.rawValue), \(tier.priority), 'queued',
                \(ServerDatabase.now()), \(params.content), \(params.style), \(isPublic))
                """)
        }
        return id
    }

    static let jobColumns = """
        id, kind, tier, state, progress, detail, attempts, public, created, started, finished, error, content_file, style_file,
        result_file, preview_file, params, findings, priority
        """

    func status(_ id: String, owner: Int64) async throws -> JobStatus? {
        try await database.perform { session in
            try session.query("SELECT \(unescaped: Self.jobColumns) FROM jobs WHERE id = \(id) AND owner = \(owner)").first
                .map { try Self.status($0, session) }
        }
    }

    func list(owner: Int64, limit: Int) async throws -> [JobStatus] {
        try await database.perform { session in
            try session.query("""
                SELECT \(unescaped: Self.jobColumns) FROM jobs WHERE owner = \(owner) ORDER BY created DESC, seq DESC LIMIT \(limit)
                """).map { try Self.status($0, session) }
        }
    }

    func feed(limit: Int) async throws -> [JobStatus] {
        try await database.perform { session in
            try session.query("""
                SELECT \(unescaped: Self.jobColumns), (SELECT filters.id FROM filters WHERE filters.style_file = jobs.style_file
                    AND filters.public ORDER BY filters.created LIMIT 1) AS style_filter
                FROM jobs WHERE public AND state = 'done' ORDER BY finished DESC LIMIT \(limit)
                """).map { try Self.status($0, session) }
        }
    }

    func cancel(_ id: String, owner: Int64) async throws -> Bool {
        try await database.perform { session in
            guard try !session.query("SELECT 1 FROM jobs WHERE id = \(id) AND owner = \(owner)").isEmpty else { return false }
            try session.run("UPDATE jobs SET state = 'cancelled', finished = \(ServerDatabase.now()) WHERE id = \(id) AND state = 'queued'")
            try session.run("UPDATE jobs SET cancel_requested = TRUE WHERE id = \(id) AND state = 'running'")
            return true
        }
    }

    func delete(_ id: String, owner: Int64) async throws -> [String]? {
        try await database.perform { session in
            guard let row = try session.query("""
                DELETE FROM jobs WHERE id = \(id) AND owner = \(owner) RETURNING result_file, preview_file
                """).first else { return nil }
            let (result, preview) = try row.decode((String?, String?).self)
            return [result, preview].compactMap { $0 }
        }
    }

    func setPublic(_ id: String, owner: Int64, _ isPublic: Bool) async throws -> Bool {
        try await database.perform { session in
            try session.run("UPDATE jobs SET public = \(isPublic) WHERE id = \(id) AND owner = \(owner)") == 1
        }
    }

    static func status(_ row: PostgresRow, _ session: PostgresSession) throws -> JobStatus {
        let cells = row.makeRandomAccess()
        func cell<T: PostgresDecodable>(_ name: String, _ type: T.Type = T.self) throws -> T { try cells[name].decode(T.self) }
        let job = JobRow(
            id: try cell("id"), kind: try cell("kind"), tier: try cell("tier"), state: try cell("state"),
            progress: try cell("progress"), detail: try cell("detail"), attempts: try cell("attempts"), isPublic: try cell("public"),
            created: try cell("created"), started: try cell("started"), finished: try cell("finished"), error: try cell("error"),
            content: try cell("content_file"), style: try cell("style_file"), result: try cell("result_file"),
            preview: try cell("preview_file"), params: try cell("params"), findings: try cell("findings"),
            priority: try cell("priority"),
            styleFilter: cells.contains("style_filter") ? try cell("style_filter") : nil)
        guard job.status.state == "queued" else { return job.completed(ahead: nil, running: nil, meanSeconds: nil) }
        let ahead = try session.query("""
            SELECT COUNT(*) FROM jobs WHERE state = 'queued' AND (priority > \(job.priority)
                OR (priority = \(job.priority) AND created < \(job.status.created)))
            """)[0].decode(Int.self)
        let running = try session.query("SELECT COUNT(*) FROM jobs WHERE state = 'running'")[0].decode(Int.self)
        // Mean seconds of the last 20 finished jobs of its kind.
        let mean = try session.query("""
            SELECT AVG(finished - started) FROM (SELECT finished, started FROM jobs WHERE kind = \(job.status.kind)
            AND state = 'done' ORDER BY finished DESC LIMIT 20) AS recent
            """)[0].decode(Double?.self)
        return job.completed(ahead: ahead, running: running, meanSeconds: mean)
    }

    // MARK: Uploads

    func record(id: String, owner: Int64, name: String?, width: Int, height: Int, bytes: Int) async throws {
        try await database.perform { session in
            try session.run("""
                INSERT INTO files (id, owner, kind, name, width, height, bytes, created)
                VALUES (\(id), \(owner), 'upload', \(name), \(width), \(height), \(bytes), \(ServerDatabase.now()))
                """)
        }
    }

    func recentCount(owner: Int64, seconds: Double) async throws -> Int {
        try await database.perform { session in
            try session.query("""
                SELECT COUNT(*) FROM files WHERE owner = \(owner) AND kind = 'upload' AND created > \(ServerDatabase.now() - seconds)
                """)[0].decode(Int.self)
        }
    }

    func owns(_ id: String, owner: Int64) async throws -> Bool {
        try await database.perform { session in
            try !session.query("SELECT 1 FROM files WHERE id = \(id) AND owner = \(owner) AND kind = 'upload'").isEmpty
        }
    }

    func dimensions(_ id: String, owner: Int64) async throws -> (width: Int, height: Int)? {
        try await database.perform { session in
            try session.query("""
                SELECT width, height FROM files WHERE id = \(id) AND owner = \(owner) AND kind = 'upload'
                """).first.map {
                let (width, height) = try $0.decode((Int, Int).self)
                return (width: width, height: height)
            }
        }
    }

    func mayRead(_ id: String, viewer: Int64?) async throws -> Bool {
        try await database.perform { session in
            let viewer = viewer ?? -1
            return try !session.query("""
                SELECT 1 FROM files WHERE id = \(id) AND owner = \(viewer)
                UNION ALL SELECT 1 FROM jobs WHERE owner = \(viewer) AND \(id) IN (content_file, style_file, result_file, preview_file)
                UNION ALL SELECT 1 FROM filters WHERE style_file = \(id) AND (public OR owner = \(viewer))
                UNION ALL SELECT 1 FROM jobs WHERE public AND state = 'done' AND \(id) IN (content_file, style_file, result_file, preview_file)
                LIMIT 1
                """).isEmpty
        }
    }

    // MARK: Filters

    static let filterColumns = """
        filters.id, filters.name, filters.style_file, filters.public, filters.created, filters.owner, users.name
        FROM filters JOIN users ON users.id = filters.owner
        """

    static func filter(_ row: PostgresRow, viewer: Int64?) throws -> SavedFilter {
        let (id, name, style, isPublic, created, owner, ownerName) = try row.decode((String, String, String, Bool, Double, Int64, String).self)
        return SavedFilter(id: id, name: name, style: style, public: isPublic, owner: ownerName, mine: owner == viewer, created: created)
    }

    func createFilter(owner: Int64, name: String, style: String, public isPublic: Bool) async throws -> SavedFilter {
        let id = FileStore.newID()
        return try await database.perform { session in
            try session.run("""
                INSERT INTO filters (id, owner, name, style_file, public, created)
                VALUES (\(id), \(owner), \(name), \(style), \(isPublic), \(ServerDatabase.now()))
                """)
            return try Self.filter(try session.query("SELECT \(unescaped: Self.filterColumns) WHERE filters.id = \(id)")[0],
                                   viewer: owner)
        }
    }

    func filters(viewer: Int64?) async throws -> [SavedFilter] {
        try await database.perform { session in
            try session.query("""
                SELECT \(unescaped: Self.filterColumns) WHERE filters.public OR filters.owner = \(viewer ?? -1)
                ORDER BY filters.created DESC LIMIT 200
                """).map { try Self.filter($0, viewer: viewer) }
        }
    }

    func filter(_ id: String, viewer: Int64?) async throws -> SavedFilter? {
        try await database.perform { session in
            try session.query("""
                SELECT \(unescaped: Self.filterColumns) WHERE filters.id = \(id) AND (filters.public OR filters.owner = \(viewer ?? -1))
                """).first.map { try Self.filter($0, viewer: viewer) }
        }
    }

    func deleteFilter(_ id: String, owner: Int64) async throws -> FilterDeletion {
        try await database.perform { session in
            if try session.run("DELETE FROM filters WHERE id = \(id) AND owner = \(owner)") == 1 { return .deleted }
            return try session.query("SELECT 1 FROM filters WHERE id = \(id) AND public").isEmpty ? .missing : .notOwner
        }
    }

    func styleOfFinishedJob(_ id: String, owner: Int64) async throws -> String? {
        try await database.perform { session in
            try session.query("SELECT style_file FROM jobs WHERE id = \(id) AND owner = \(owner) AND state = 'done'")
                .first?.decode(String?.self) ?? nil
        }
    }
}
