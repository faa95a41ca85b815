import ImpastoStudio

/// Ostagram's tiers as the service sells them: Studio's stylize presets, and the queue priority each buys.
public enum ServiceTier: String, CaseIterable, Sendable, Codable, Comparable {
    case free, premium, hd

    /// The stylize preset of the tier.
    public var preset: StylizePreset {
        switch self {
        case .free: .free
        case .premium: .premium
        case .hd: .hd
        }
    }

    /// Higher runs first; within a priority, older jobs first.
    public var priority: Int {
        switch self {
        case .free: 0
        case .premium: 1
        case .hd: 2
        }
    }

    /// The most of one user's jobs that may be queued or running at once; the next is refused (429) until one ends.
    /// Ostagram's tiers bought a place in the queue, not the whole queue.
    public var activeJobLimit: Int {
        switch self {
        case .free: 2
        case .premium: 5
        case .hd: 10
        }
    }

    public static func < (a: ServiceTier, b: ServiceTier) -> Bool { a.priority < b.priority }
}
