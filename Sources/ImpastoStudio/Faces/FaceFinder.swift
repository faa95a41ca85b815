import Foundation
import ImpastoMedia
import ImpastoTensor

/// A loaded face detector, MTCNN, BlazeFace or the trained cascade, as the jobs that look for faces use it (`faces`, and `apply`,
/// `video` and `stylize` for `--protect-faces` and `--overlay`): a batch of images in, each one's faces out.
public struct FaceFinder: Sendable {
    private let find: @Sendable ([Image]) throws -> [[DetectedFace]]

    /// `detector` loaded from `weights` (MTCNN: a folder with its three files; BlazeFace: its `.tflite` file; the
    /// cascade: the file `impasto train-faces` wrote, which it needs), or the installed one; `options` are MTCNN's
    /// (the cascade reads the smallest face, the factor and the thresholds as its 12-, 24- and 48-net's; BlazeFace
    /// reads only the order, largest first or as found) and
    /// `minScore` BlazeFace's.
    public init(_ detector: FacesJob.Detector, weights: URL? = nil, options: MTCNNOptions = MTCNNOptions(),
                minScore: Float = 0.5) throws {
        switch detector {
        case .mtcnn:
            let mtcnn = try ModelCache.shared.installedMTCNN(weights: weights)
            find = { mtcnn.detect($0, options: options) }
        case .cascade:
            guard let weights else {
                throw ImpastoError.invalidArgument("The face cascade has no installed weights: it needs the file impasto train-faces writes (impasto faces --detector cascade --weights FILE).")
            }
            var cascadeOptions = CascadeOptions()
            (cascadeOptions.minFaceSize, cascadeOptions.factor) = (options.minFaceSize, options.factor)
            cascadeOptions.thresholds = [options.thresholds.0, options.thresholds.1, options.thresholds.2]
            let cascade = try CascadeDetector(weights: weights, options: cascadeOptions)
            let largestFirst = options.selectLargest
            find = { images in
                images.map { image in
                    let faces = cascade.detect(image)
                    return largestFirst ? ordered(faces) { $0.box.area } : faces
                }
            }
        case .blazeface:
            var blazeFace = BlazeFaceDetector(model: try ModelCache.shared.installedBlazeFace(weights: weights?.path))
            blazeFace.minScore = minScore
            let largestFirst = options.selectLargest
            find = { [blazeFace] images in
                try images.map { image in
                    let faces = try blazeFace.detect(image)
                    return largestFirst ? ordered(faces) { $0.box.area } : faces
                }
            }
        }
    }

    /// The faces in each image.
    public func callAsFunction(_ images: [Image]) throws -> [[DetectedFace]] {
        try find(images)
    }
}
