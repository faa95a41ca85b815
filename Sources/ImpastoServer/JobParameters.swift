// What a job asks for, as its owner sends it and as the queue stores it, checked before anything is queued.
import Foundation
import ImpastoStudio
import ImpastoTensor

/// The kinds of job the service runs: Studio's stylize (Gatys, the tiers' presets), apply (a bundled fast-style
/// network), cutout (MediaPipe's selfie segmenter: the person as RGBA), faces (MTCNN: the photo with its faces
/// drawn, and their boxes) and explain (a MobileNetV2 attribution heatmap of the photo's most likely class).
public enum JobKind: String, Sendable, Codable, CaseIterable {
    case stylize, apply, cutout, faces, explain
}

/// A job as its owner asks for it (`POST /api/jobs`).
public struct JobRequest: Codable, Sendable {
    public var kind: JobKind
    /// The photo: an upload's id.
    public var content: String
    /// stylize: the style image, an upload's id.
    public var style: String?
    /// stylize: a saved filter's id, instead of `style`.
    public var filter: String?
    /// apply: a bundled style's name (`starry`).
    public var model: String?
    /// The tier; the account's own when not given.
    public var tier: ServiceTier?
    /// The longest side of the result; the tier's when not given, and never more.
    public var size: Int?
    /// stylize: iterations; the tier's when not given, and never more than it sells.
    public var iterations: Int?
    /// explain: the attribution method (`gradcam` when not given).
    public var method: String?
    /// Whether the result goes in the public feed.
    public var `public`: Bool?

    public init(kind: JobKind, content: String, style: String? = nil, filter: String? = nil, model: String? = nil,
                tier: ServiceTier? = nil, size: Int? = nil, iterations: Int? = nil, method: String? = nil,
                public: Bool? = nil) {
        self.kind = kind
        self.content = content
        self.style = style
        self.filter = filter
        self.model = model
        self.tier = tier
        self.size = size
        self.iterations = iterations
        self.method = method
        self.public = `public`
    }
}

/// A job's settings as stored with it, every value resolved.
public struct JobParameters: Codable, Sendable, Equatable {
    public var content: String
    public var style: String?
    public var model: String?
    public var size: Int
    public var iterations: Int?
    /// The saved filter whose style `style` is, when the job named one.
    public var filter: String?
    /// explain: the attribution method.
    public var method: String?

    /// Resolves `request` for a job of `tier`, or says in one sentence what is wrong with it. Whether the uploads
    /// exist and belong to the user is the caller's to check.
    public static func resolve(_ request: JobRequest, tier: ServiceTier) throws -> JobParameters {
        let preset = tier.preset
        let size = request.size ?? preset.size
        guard (StylizeOptions.sizeRange.lowerBound...preset.size).contains(size) else {
            throw ImpastoError.invalidArgument("The size \(size) is outside \(StylizeOptions.sizeRange.lowerBound)…\(preset.size) pixels, which the \(tier.rawValue) tier allows.")
        }
        switch request.kind {
        case .stylize:
            guard let style = request.style else {
                throw ImpastoError.invalidArgument("A stylize job needs a style upload ('style') or a saved filter ('filter').")
            }
            let range = preset.iterationRange ?? 1...preset.iterations
            let iterations = request.iterations ?? preset.iterations
            guard range.contains(iterations) else {
                throw ImpastoError.invalidArgument("The \(tier.rawValue) tier runs \(range.lowerBound)…\(range.upperBound) iterations, not \(iterations).")
            }
            return JobParameters(content: request.content, style: style, model: nil, size: size, iterations: iterations,
                                 filter: request.filter)
        case .apply:
            let names = BundledStyles.names
            guard let model = request.model, names.contains(model) else {
                throw ImpastoError.invalidArgument("An apply job needs 'model', one of the bundled styles: \(names.joined(separator: ", ")).")
            }
            return JobParameters(content: request.content, style: nil, model: model, size: size, iterations: nil)
        case .cutout, .faces:
            return JobParameters(content: request.content, style: nil, model: nil, size: size, iterations: nil)
        case .explain:
            let method = request.method ?? AttributionMethod.gradcam.rawValue
            guard AttributionMethod(rawValue: method) != nil else {
                throw ImpastoError.invalidArgument("An explain job's 'method' is one of \(AttributionMethod.allCases.map(\.rawValue).joined(separator: ", ")), not '\(method.prefix(40))'.")
            }
            return JobParameters(content: request.content, style: nil, model: nil, size: size, iterations: nil, method: method)
        }
    }

    /// As stored in the jobs table.
    public var json: String { String(decoding: try! JSONEncoder().encode(self), as: UTF8.self) }

    public init(content: String, style: String?, model: String?, size: Int, iterations: Int?, filter: String? = nil,
                method: String? = nil) {
        self.content = content
        self.style = style
        self.model = model
        self.size = size
        self.iterations = iterations
        self.filter = filter
        self.method = method
    }

    public init(json: String) throws {
        self = try JSONDecoder().decode(JobParameters.self, from: Data(json.utf8))
    }
}
