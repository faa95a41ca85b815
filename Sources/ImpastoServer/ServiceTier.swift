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

    public static func < (a: ServiceTier, b: ServiceTier) -> Bool { a.priority < b.priority }
}
