import Foundation
import PostgresNIO

/// The queue in PostgreSQL, for workers on many machines: a claim locks the next queued row with
/// `SELECT … FOR UPDATE SKIP LOCKED`, so concurrent claims pass over each other's rows instead of waiting, and every
/// later call carries the claim's lease token, as with SQLiteJobQueue (same rules, same sentences).
public struct PostgresJobQueue: JobQueue {
    let database: PostgresDatabase
    /// Claims after which a job whose worker keeps disappearing fails instead of being requeued.
    let maxAttempts: Int

    public init(database: PostgresDatabase, maxAttempts: Int = 3) {
        self.database = database
        self.maxAttempts = maxAttempts
    }

    public func claim(worker: String, leaseSeconds: Double) throws -> ClaimedJob? {
        try database.transaction { session in
            let now = ServerDatabase.now()
            try requeueExpired(session, now: now)
            guard let row = try session.query("""
                SELECT id, kind, params, owner, tier, attempts FROM jobs WHERE state = 'queued'
                ORDER BY priority DESC, created, seq LIMIT 1 FOR UPDATE SKIP LOCKED
                """).first else { return nil }
            let (id, kind, params, owner, tier, attempts) = try row.decode((String, String, String, Int64, String, Int).self)
            let lease = "\(worker)/\(FileStore.newID())"
            try session.run("""
                UPDATE jobs SET state = 'running', lease_owner = \(lease), lease_expires = \(now + leaseSeconds),
                    attempts = \(attempts + 1), started = \(now), progress = 0 WHERE id = \(id)
                """)
            return ClaimedJob(id: id, kind: kind, params: params, owner: owner, tier: ServiceTier(rawValue: tier) ?? .free,
                              lease: lease, attempt: attempts + 1)
        }
    }

    public func renew(_ job: ClaimedJob, leaseSeconds: Double) throws -> LeaseStatus {
        try database.transaction { session in
            guard let row = try session.query("""
                UPDATE jobs SET lease_expires = \(ServerDatabase.now() + leaseSeconds)
                WHERE id = \(job.id) AND lease_owner = \(job.lease) AND state = 'running' RETURNING cancel_requested
                """).first else { return .lost }
            return .held(cancelRequested: try row.decode(Bool.self))
        }
    }

    public func report(_ job: ClaimedJob, progress: Double, detail: String?, preview: String?) throws -> String?? {
        try database.transaction { session in
            guard let row = try session.query("""
                SELECT preview_file FROM jobs WHERE id = \(job.id) AND lease_owner = \(job.lease) AND state = 'running'
                FOR UPDATE
                """).first else { return nil }
            let old = try row.decode(String?.self)
            try session.run("""
                UPDATE jobs SET progress = \(progress), detail = \(detail), preview_file = \(preview ?? old)
                WHERE id = \(job.id) AND lease_owner = \(job.lease) AND state = 'running'
                """)
            return .some(preview == nil ? nil : old)
        }
    }

    public func finish(_ job: ClaimedJob, _ ending: JobEnding) throws -> Bool {
        try database.transaction { session in
            let now = ServerDatabase.now()
            let changed: Int
            switch ending {
            case let .done(result, findings):
                changed = try session.run("""
                    UPDATE jobs SET state = 'done', progress = 1, result_file = \(result), findings = \(findings), finished = \(now),
                        lease_owner = NULL, lease_expires = NULL, completions = completions + 1
                    WHERE id = \(job.id) AND lease_owner = \(job.lease) AND state = 'running'
                    """)
            case let .cancelled(result):
                changed = try session.run("""
                    UPDATE jobs SET state = 'cancelled', result_file = \(result), finished = \(now), lease_owner = NULL,
                        lease_expires = NULL WHERE id = \(job.id) AND lease_owner = \(job.lease) AND state = 'running'
                    """)
            case let .failed(sentence):
                changed = try session.run("""
                    UPDATE jobs SET state = 'failed', error = \(sentence), finished = \(now), lease_owner = NULL,
                        lease_expires = NULL WHERE id = \(job.id) AND lease_owner = \(job.lease) AND state = 'running'
                    """)
            case .released:
                changed = try session.run("""
                    UPDATE jobs SET state = 'queued', progress = 0, lease_owner = NULL, lease_expires = NULL,
                        attempts = attempts - 1 WHERE id = \(job.id) AND lease_owner = \(job.lease) AND state = 'running'
                    """)
            }
            return changed == 1
        }
    }

    @discardableResult
    public func requeueExpired() throws -> Int {
        try database.transaction { try requeueExpired($0, now: ServerDatabase.now()) }
    }

    @discardableResult
    private func requeueExpired(_ session: PostgresSession, now: Double) throws -> Int {
        let failed = try session.run("""
            UPDATE jobs SET state = 'failed', finished = \(now), lease_owner = NULL, lease_expires = NULL,
                error = 'The job was interrupted ' || attempts || ' times (its worker stopped) and was not tried again.'
            WHERE state = 'running' AND lease_expires < \(now) AND attempts >= \(maxAttempts)
            """)
        return failed + (try session.run("""
            UPDATE jobs SET state = 'queued', progress = 0, lease_owner = NULL, lease_expires = NULL
            WHERE state = 'running' AND lease_expires < \(now)
            """))
    }
}
