// The queue as workers see it: claim a job under a lease, keep the lease, finish exactly once.
//
// Every call after `claim` names the lease it holds; a call whose lease has gone (expired and requeued, or the job
// deleted) changes nothing and says so, so a worker that was presumed dead can never overwrite another's result.
// SQLite implements it with BEGIN IMMEDIATE transactions (SQLiteJobQueue); PostgreSQL would claim with
// `SELECT … FOR UPDATE SKIP LOCKED` behind the same protocol.
import Foundation

/// A job a worker holds.
public struct ClaimedJob: Sendable, Equatable {
    public let id: String
    public let kind: String
    /// The job's parameters, as JSON.
    public let params: String
    public let owner: Int64
    public let tier: ServiceTier
    /// The token of this claim: only calls that carry it may change the job.
    public let lease: String
    /// How many times the job has been claimed, this time included.
    public let attempt: Int
}

/// What a renewal found.
public enum LeaseStatus: Sendable, Equatable {
    /// Still ours; `cancelRequested` when its owner asked it to stop.
    case held(cancelRequested: Bool)
    /// Lost: the lease expired and the job was requeued, or the job was deleted.
    case lost
}

/// How a held job ended.
public enum JobEnding: Sendable, Equatable {
    /// Done, with its result file.
    case done(result: String, findings: String? = nil)
    /// Stopped at its owner's request, with the latest image when there is one.
    case cancelled(result: String?)
    /// Failed, with the sentence its owner reads.
    case failed(String)
    /// Given back to the queue unfinished (the worker is shutting down).
    case released
}

/// The queue's operations for workers.
public protocol JobQueue: Sendable {
    /// Takes the next queued job (highest priority, then oldest) for `worker` under a lease of `leaseSeconds`,
    /// after requeueing jobs whose leases expired; nil when none is queued.
    func claim(worker: String, leaseSeconds: Double) throws -> ClaimedJob?
    /// Extends the lease.
    func renew(_ job: ClaimedJob, leaseSeconds: Double) throws -> LeaseStatus
    /// Records progress (0…1), a line of detail and, when given, a new preview file (the old one's id is returned
    /// so its file can be removed). Nil when the lease is lost.
    func report(_ job: ClaimedJob, progress: Double, detail: String?, preview: String?) throws -> String??
    /// Ends the job once: true when this call ended it, false when the lease was lost (nothing changed).
    func finish(_ job: ClaimedJob, _ ending: JobEnding) throws -> Bool
    /// Puts running jobs whose leases have expired back in the queue (or fails them after too many attempts).
    @discardableResult func requeueExpired() throws -> Int
}
