/// Ostagram's service tiers, as `impasto stylize --preset` and a service sell them: a size, an iteration
/// budget, and the schedule that gets there. Options given explicitly win over the tier's.
public enum StylizePreset: String, CaseIterable, Sendable {
    case free, premium, hd

    /// The longest side of the result.
    public var size: Int {
        switch self {
        case .free: 600
        case .premium: 700
        case .hd: 1200
        }
    }

    /// Iterations when none are given.
    public var iterations: Int {
        switch self {
        case .free: 100
        case .premium: 600
        case .hd: 500
        }
    }

    /// The iterations the tier sells, over all stages; nil where it sets no limit.
    public var iterationRange: ClosedRange<Int>? { self == .hd ? 100...1000 : nil }

    /// Where the tier's optimisation starts. Premium starts from the photo: measured with the real VGG-19 on
    /// tubingen × The Starry Night at 700 px, it reaches the loss that neural-style's 600 iterations from noise
    /// end at (1.543e6) after 545 s instead of 749 s; coarse-to-fine from the photo (350 px, then 700) took 721 s.
    public var initialization: StylizeOptions.Initialization {
        self == .premium ? .content : .random
    }

    /// `options` with the tier's settings, for the caller to override with what was given explicitly.
    public func applied(to options: StylizeOptions) -> StylizeOptions {
        var options = options
        options.size = size
        options.iterations = iterations
        options.initialization = initialization
        return options
    }
}
