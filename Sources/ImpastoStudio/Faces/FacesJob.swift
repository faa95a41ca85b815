import Foundation
import ImpastoMedia
import ImpastoTensor

/// One `impasto faces` run as Studio performs it for any front end: the faces in images (and folders of them),
/// reported per image through the `JobContext` (JSON events carry boxes, probabilities and landmarks), with
/// optional annotated copies and upright face crops, every file written atomically. No face is not a failure:
/// the image's list is empty.
public struct FacesJob: Sendable {
    /// Which detector finds the faces.
    public enum Detector: String, CaseIterable, Sendable {
        /// MTCNN with facenet-pytorch's weights and defaults.
        case mtcnn
        /// MediaPipe's short-range BlazeFace (faces within about 2 m of the camera): six landmarks per face.
        case blazeface
        /// The seed's 12/24/48 cascade trained by `impasto train-faces` (weights required, no landmarks).
        case cascade
    }

    /// Where annotated copies go: a file, for a single input image, or a folder where each copy is
    /// `<image>-faces.<ext>` in its input's format.
    public typealias Destination = ImageDestination

    /// Upright crops of every face: `<image>-face<k>.png` in `folder`, `size` pixels square with facenet-pytorch's
    /// `margin` (in pixels of the crop).
    public struct Crops: Sendable {
        public var folder: URL
        public var size = 160
        public var margin = 32

        public init(folder: URL, size: Int = 160, margin: Int = 32) {
            (self.folder, self.size, self.margin) = (folder, size, margin)
        }
    }

    /// Images (JPEG or PNG) and folders, whose JPEG and PNG files directly inside count, sorted by name.
    public var inputs: [URL]
    public var detector = Detector.mtcnn
    /// For MTCNN a folder holding facenet-pytorch's `pnet.pt`, `rnet.pt` and `onet.pt`, for BlazeFace its
    /// `.tflite` file, for the cascade the file `impasto train-faces` wrote; nil for the installed ones (`impasto models fetch mtcnn`, `… blazeface`).
    public var weights: URL?
    /// MTCNN's settings; BlazeFace reads only `selectLargest` (the order of the faces).
    public var options = MTCNNOptions()
    /// BlazeFace's lowest score kept (MediaPipe's `min_detection_confidence`).
    public var minScore: Float = 0.5
    /// Keep only the face this method picks in each image; nil keeps them all.
    public var selection: FaceSelection?
    public var annotated: Destination?
    public var crops: Crops?
    /// Images per detection call.
    public var batchSize = 8
    /// JPEG quality of .jpg annotated copies.
    public var quality = 95

    public init(inputs: [URL]) {
        self.inputs = inputs
    }

    /// The faces of one image and the files written for it.
    public struct ImageFaces: Sendable {
        public let input: URL
        public let width: Int
        public let height: Int
        public let faces: [DetectedFace]
        public let annotated: URL?
        public let crops: [URL]
    }

    /// What a finished run did.
    public struct Outcome: Sendable {
        /// Every image done, in input order.
        public let images: [ImageFaces]
        /// Whether the context's control stopped it before every image was done.
        public let stopped: Bool
    }

    /// Refuses, in one sentence each, settings no run can use (before anything is read).
    public func validate() throws {
        let (p, r, o) = options.thresholds
        guard [p, r, o].allSatisfy({ (0...1).contains($0) }) else {
            throw ImpastoError.invalidArgument("The thresholds must be probabilities between 0 and 1, not \(p), \(r), \(o).")
        }
        guard options.minFaceSize >= 1 else {
            throw ImpastoError.invalidArgument("The smallest face must be at least 1 pixel, not \(options.minFaceSize).")
        }
        guard options.factor > 0 && options.factor < 1 else {
            throw ImpastoError.invalidArgument("The pyramid factor must be between 0 and 1, not \(options.factor).")
        }
        if let crops, !(crops.size >= 1 && (0..<crops.size).contains(crops.margin)) {
            throw ImpastoError.invalidArgument("The crop margin must be at least 0 and less than the crop size (\(crops.size)), not \(crops.margin).")
        }
        guard batchSize >= 1 else { throw ImpastoError.invalidArgument("The batch size must be at least 1, not \(batchSize).") }
        guard (0...1).contains(minScore) else {
            throw ImpastoError.invalidArgument("The lowest score must be a probability between 0 and 1, not \(minScore).")
        }
        var mtcnnOptions = options
        mtcnnOptions.selectLargest = MTCNNOptions().selectLargest
        if detector == .blazeface, mtcnnOptions != MTCNNOptions() {
            throw ImpastoError.invalidArgument("The smallest face size, thresholds and pyramid factor are MTCNN's; BlazeFace takes a lowest score instead.")
        }
        if detector != .blazeface, minScore != 0.5 {
            throw ImpastoError.invalidArgument("The lowest score is BlazeFace's; \(detector == .mtcnn ? "MTCNN" : "the cascade") takes three thresholds instead.")
        }
        if detector == .cascade, weights == nil {
            throw ImpastoError.invalidArgument("The face cascade has no installed weights: it needs the file impasto train-faces writes (impasto faces --detector cascade --weights FILE).")
        }
    }

    /// Finds the faces in every image. Settings, inputs, outputs and the weights are checked before the first
    /// image is read; a stop ends the run after the current batch, with the results so far written.
    public func run(_ context: JobContext = JobContext()) throws -> Outcome {
        try validate()
        let plan = try self.plan()
        let detect = try FaceFinder(detector, weights: weights, options: options, minScore: minScore)
        let reporter = context.reporter(title: "faces", unit: .steps(name: "image", rateSymbol: "img/s"),
                                        total: Int64(plan.count))
        var done: [ImageFaces] = []
        for start in stride(from: 0, to: plan.count, by: batchSize) {
            if context.control.isCancelled { break }
            let chunk = plan[start..<min(start + batchSize, plan.count)]
            let images = try chunk.map { try Image(contentsOf: $0.input) }
            for ((input, annotated), (image, faces)) in zip(chunk, zip(images, try detect(images))) {
                let result = try write(selected(faces, in: image), of: image, input: input, annotated: annotated)
                done.append(result)
                reporter.update(completed: Int64(done.count), detail: "\(input.path): \(Self.count(result.faces))",
                                json: Self.event(result))
            }
        }
        let (stopped, faces) = (done.count < plan.count, done.flatMap(\.faces))
        reporter.finish(summary: (stopped ? "Stopped after \(done.count) of \(plan.count) images" : "\(done.count) images")
                            + ", \(Self.count(faces))" + String(format: " (%.1f s)", reporter.elapsed),
                        json: [("event", .string(stopped ? "stopped" : "done")), ("images", .int(Int64(done.count))),
                               ("faces", .int(Int64(faces.count)))])
        return Outcome(images: done, stopped: stopped)
    }

    /// Each input image with its annotated copy's path (when asked for), the output folders made; refuses to
    /// overwrite an input, to write two images' results to one file, or to start when an output folder cannot
    /// be written.
    public func plan() throws -> [(input: URL, annotated: URL?)] {
        let images = try ImageInputs.expand(inputs)
        let annotatedPaths: [URL?]
        switch annotated {
        case nil: annotatedPaths = images.map { _ in nil }
        case let .file(output):
            guard images.count == 1 else {
                throw ImpastoError.invalidArgument("-o names one output file but there are \(images.count) input images; give a folder.")
            }
            _ = try format(of: output)
            annotatedPaths = [output]
        case let .folder(folder):
            annotatedPaths = images.map { image in
                let ext = ImageFileFormat.fileExtensions.contains(image.pathExtension.lowercased()) ? image.pathExtension : "png"
                return folder.appendingPathComponent("\(image.deletingPathExtension().lastPathComponent)-faces.\(ext)")
            }
        }
        try Overwriting.refuse(outputs: annotatedPaths.compactMap { $0 }, inputs: images)
        try ImageInputs.refuseCollisions(annotatedPaths.compactMap { $0 })
        // Each image's first crop stands for all of its crops.
        let firstCrops = crops.map { crops in images.map { cropFile(crops, input: $0, index: 0) } } ?? []
        try ImageInputs.refuseCollisions(firstCrops)
        for folder in [annotated.flatMap { if case let .folder(folder) = $0 { folder } else { nil } }, crops?.folder] {
            guard let folder else { continue }
            do {
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            } catch {
                throw ImpastoError.writeFailed(path: folder.path, reason: "the folder cannot be created")
            }
        }
        try ImageInputs.checkWritable(foldersOf: annotatedPaths.compactMap { $0 } + firstCrops)
        return Array(zip(images, annotatedPaths))
    }

    /// All of `faces`, or the one `selection` picks.
    private func selected(_ faces: [DetectedFace], in image: Image) -> [DetectedFace] {
        guard let selection else { return faces }
        return selection.select(faces, width: image.width, height: image.height).map { [$0] } ?? []
    }

    /// Writes the annotated copy and the crops of one image.
    private func write(_ faces: [DetectedFace], of image: Image, input: URL, annotated: URL?) throws -> ImageFaces {
        if let annotated { try image.annotated(with: faces).write(to: annotated, format: try format(of: annotated)) }
        var cropFiles: [URL] = []
        if let crops {
            for (k, face) in faces.enumerated() {
                let url = cropFile(crops, input: input, index: k)
                try Overwriting.refuse(outputs: [url], inputs: [input])
                try face.alignedCrop(of: image, size: crops.size, margin: crops.margin).write(to: url, format: .png)
                cropFiles.append(url)
            }
        }
        return ImageFaces(input: input, width: image.width, height: image.height, faces: faces, annotated: annotated,
                          crops: cropFiles)
    }

    /// Where face `index` (from 0) of `input` is cropped to: `<image>-face<index + 1>.png`.
    private func cropFile(_ crops: Crops, input: URL, index: Int) -> URL {
        crops.folder.appendingPathComponent("\(input.deletingPathExtension().lastPathComponent)-face\(index + 1).png")
    }

    /// `1 face`, `3 faces`.
    public static func count(_ faces: [DetectedFace]) -> String { faces.count == 1 ? "1 face" : "\(faces.count) faces" }

    /// The encoding an output's extension asks for.
    private func format(of url: URL) throws -> ImageFileFormat {
        try ImageInputs.format(of: url, quality: quality)
    }

    /// One image's JSON event: its path and size, and per face the box corners, probability and landmarks.
    static func event(_ result: ImageFaces) -> [(String, ProgressValue)] {
        let faces = result.faces.map { face -> ProgressValue in
            let box = face.box
            return .object([
                .init("box", .array([box.x1, box.y1, box.x2, box.y2].map(ProgressValue.float))),
                .init("probability", .float(face.probability)),
                .init("landmarks", .array(face.landmarks.map { .array([.float($0.x), .float($0.y)]) })),
            ])
        }
        var fields: [(String, ProgressValue)] = [("input", .string(result.input.path)), ("width", .int(Int64(result.width))),
                                                 ("height", .int(Int64(result.height))), ("faces", .array(faces))]
        if let annotated = result.annotated { fields.append(("annotated", .string(annotated.path))) }
        if !result.crops.isEmpty { fields.append(("crops", .array(result.crops.map { .string($0.path) }))) }
        return fields
    }
}
