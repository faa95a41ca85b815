import Foundation
import GRDB

/// The queue in the SQLite file: each operation is one IMMEDIATE transaction, so claims by workers in several
/// processes are serialised by SQLite's write lock and no job is handed out twice.
public struct SQLiteJobQueue: JobQueue {
    let database: ServerDatabase
    /// Claims after which a job whose worker keeps disappearing fails instead of being requeued.
    let maxAttempts: Int

    public init(database: ServerDatabase, maxAttempts: Int = 3) {
        self.database = database
        self.maxAttempts = maxAttempts
    }

    private func transaction<T>(_ body: (Database) throws -> T) throws -> T {
        try database.pool.writeWithoutTransaction { db in
            var value: T?
            try db.inTransaction(.immediate) {
                value = try body(db)
                return .commit
            }
            return value!
        }
    }

    public func claim(worker: String, leaseSeconds: Double) throws -> ClaimedJob? {
        try transaction { db in
            let now = ServerDatabase.now()
            try requeueExpired(db, now: now)
            guard let row = try Row.fetchOne(db, sql: """
                SELECT id, kind, params, owner, tier, attempts FROM jobs WHERE state = 'queued'
                ORDER BY priority DESC, created, rowid LIMIT 1
                """) else { return nil }
            let lease = "\(worker)/\(FileStore.newID())"
            let attempt: Int = row["attempts"] + 1
            try db.execute(sql: """
                UPDATE jobs SET state = 'running', lease_owner = ?, lease_expires = ?, attempts = ?,
                    started = ?, progress = 0 WHERE id = ?
                """, arguments: [lease, now + leaseSeconds, attempt, now, row["id"] as String])
            return ClaimedJob(id: row["id"], kind: row["kind"], params: row["params"], owner: row["owner"],
                              tier: ServiceTier(rawValue: row["tier"]) ?? .free, lease: lease, attempt: attempt)
        }
    }

    public func renew(_ job: ClaimedJob, leaseSeconds: Double) throws -> LeaseStatus {
        try transaction { db in
            try db.execute(sql: "UPDATE jobs SET lease_expires = ? WHERE id = ? AND lease_owner = ? AND state = 'running'",
                           arguments: [ServerDatabase.now() + leaseSeconds, job.id, job.lease])
            guard db.changesCount == 1 else { return .lost }
            let cancel = try Bool.fetchOne(db, sql: "SELECT cancel_requested FROM jobs WHERE id = ?", arguments: [job.id])
            return .held(cancelRequested: cancel ?? false)
        }
    }

    public func report(_ job: ClaimedJob, progress: Double, detail: String?, preview: String?) throws -> String?? {
        try transaction { db in
            let held = "id = ? AND lease_owner = ? AND state = 'running'"
            guard let row = try Row.fetchOne(db, sql: "SELECT preview_file FROM jobs WHERE \(held)",
                                             arguments: [job.id, job.lease]) else { return nil }
            let old: String? = row["preview_file"]
            try db.execute(sql: "UPDATE jobs SET progress = ?, detail = ?, preview_file = ? WHERE \(held)",
                           arguments: [progress, detail, preview ?? old, job.id, job.lease])
            return .some(preview == nil ? nil : old)
        }
    }

    public func finish(_ job: ClaimedJob, _ ending: JobEnding) throws -> Bool {
        try transaction { db in
            let held = "WHERE id = ? AND lease_owner = ? AND state = 'running'"
            let now = ServerDatabase.now()
            switch ending {
            case let .done(result, findings):
                try db.execute(sql: """
                    UPDATE jobs SET state = 'done', progress = 1, result_file = ?, findings = ?, finished = ?, lease_owner = NULL,
                        lease_expires = NULL, completions = completions + 1 \(held)
                    """, arguments: [result, findings, now, job.id, job.lease])
            case let .cancelled(result):
                try db.execute(sql: """
                    UPDATE jobs SET state = 'cancelled', result_file = ?, finished = ?, lease_owner = NULL,
                        lease_expires = NULL \(held)
                    """, arguments: [result, now, job.id, job.lease])
            case let .failed(sentence):
                try db.execute(sql: """
                    UPDATE jobs SET state = 'failed', error = ?, finished = ?, lease_owner = NULL, lease_expires = NULL \(held)
                    """, arguments: [sentence, now, job.id, job.lease])
            case .released:
                try db.execute(sql: """
                    UPDATE jobs SET state = 'queued', progress = 0, lease_owner = NULL, lease_expires = NULL,
                        attempts = attempts - 1 \(held)
                    """, arguments: [job.id, job.lease])
            }
            return db.changesCount == 1
        }
    }

    @discardableResult
    public func requeueExpired() throws -> Int {
        try transaction { db in try requeueExpired(db, now: ServerDatabase.now()) }
    }

    @discardableResult
    private func requeueExpired(_ db: Database, now: Double) throws -> Int {
        try db.execute(sql: """
            UPDATE jobs SET state = 'failed', finished = ?, lease_owner = NULL, lease_expires = NULL,
                error = 'The job was interrupted ' || attempts || ' times (its worker stopped) and was not tried again.'
            WHERE state = 'running' AND lease_expires < ? AND attempts >= ?
            """, arguments: [now, now, maxAttempts])
        let failed = db.changesCount
        try db.execute(sql: """
            UPDATE jobs SET state = 'queued', progress = 0, lease_owner = NULL, lease_expires = NULL
            WHERE state = 'running' AND lease_expires < ?
            """, arguments: [now])
        return failed + db.changesCount
    }
}
