import Foundation
import ImpastoTensor

/// A COCO-format annotation file (cocodataset.org/#format-data) as segmentation training needs it: images,
/// categories, and each annotation's mask (polygons, uncompressed or compressed runs). The JSON is untrusted:
/// every field is checked for its type and range, and a file that does not fit is refused in one sentence.
public struct COCODataset: Sendable {
    public struct ImageEntry: Sendable, Equatable {
        public let id: Int
        public let fileName: String
        public let width: Int
        public let height: Int
    }

    public struct Annotation: Sendable, Equatable {
        public let id: Int
        public let imageID: Int
        public let categoryID: Int
        public let isCrowd: Bool
        public let mask: COCORunLength
    }

    public let images: [ImageEntry]
    /// Category names by id.
    public let categories: [Int: String]
    public let annotations: [Annotation]

    /// The largest annotation file read (COCO 2017's train instances are 448 MB).
    public static let maximumBytes = 1 << 30

    /// Reads the annotation file at `url`.
    ///
    /// - Throws: `ImpastoError.unreadableFile` or `.invalidFormat` naming the file and what is wrong.
    public init(contentsOf url: URL) throws {
        let file = try MappedFile(url)
        try self.init(data: Data(file.bytes), path: url.path)
    }

    /// Reads an annotation file's bytes; `path` names them in errors.
    public init(data: Data, path: String) throws {
        guard data.count <= Self.maximumBytes else {
            throw ImpastoError.invalidFormat(path: path, reason: "it is \(data.count >> 20) MB, more than the 1 GiB an annotation file may be")
        }
        do {
            guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw FormatError.malformed("it is not a JSON object")
            }
            try self.init(json: root)
        } catch let error as FormatError {
            throw error.impastoError(path: path)
        }
    }

    init(json root: [String: Any]) throws {
        let imageList = try Self.objects(root["images"], "images")
        var images: [ImageEntry] = []
        var sizes: [Int: (height: Int, width: Int)] = [:]
        for (index, image) in imageList.enumerated() {
            let label = "images[\(index)]"
            let entry = ImageEntry(id: try Self.integer(image["id"], "\(label).id"),
                                   fileName: try Self.fileName(image["file_name"], "\(label).file_name"),
                                   width: try Self.integer(image["width"], "\(label).width", in: 1...65536),
                                   height: try Self.integer(image["height"], "\(label).height", in: 1...65536))
            guard sizes[entry.id] == nil else { throw FormatError.malformed("image id \(entry.id) appears twice") }
            sizes[entry.id] = (entry.height, entry.width)
            images.append(entry)
        }
        var categories: [Int: String] = [:]
        for (index, category) in try Self.objects(root["categories"], "categories").enumerated() {
            guard let name = category["name"] as? String else { throw FormatError.malformed("categories[\(index)].name is not a string") }
            categories[try Self.integer(category["id"], "categories[\(index)].id")] = name
        }
        var annotations: [Annotation] = []
        for (index, annotation) in try Self.objects(root["annotations"] ?? [Any](), "annotations").enumerated() {
            let label = "annotations[\(index)]"
            let imageID = try Self.integer(annotation["image_id"], "\(label).image_id")
            guard let size = sizes[imageID] else { throw FormatError.malformed("\(label) refers to image \(imageID), which the file does not list") }
            let mask = try Self.mask(annotation["segmentation"], label: "\(label).segmentation", height: size.height, width: size.width)
            annotations.append(Annotation(id: try Self.integer(annotation["id"], "\(label).id"), imageID: imageID,
                                          categoryID: try Self.integer(annotation["category_id"], "\(label).category_id"),
                                          isCrowd: (annotation["iscrowd"] as? NSNumber)?.intValue == 1, mask: mask))
        }
        self.images = images
        self.categories = categories
        self.annotations = annotations
    }

    // MARK: - Fields

    private static func objects(_ value: Any?, _ label: String) throws -> [[String: Any]] {
        guard let list = value as? [Any] else { throw FormatError.malformed("\(label) is not a list") }
        return try list.enumerated().map { index, item in
            guard let object = item as? [String: Any] else { throw FormatError.malformed("\(label)[\(index)] is not an object") }
            return object
        }
    }

    private static func integer(_ value: Any?, _ label: String, in range: ClosedRange<Int> = Int.min...Int.max) throws -> Int {
        guard let number = value as? NSNumber,
              let double = Double(exactly: number.doubleValue), double == double.rounded(), abs(double) < 9e15,
              range.contains(Int(double)) else {
            throw FormatError.malformed("\(label) is not a whole number\(range.lowerBound == Int.min ? "" : " from \(range.lowerBound) to \(range.upperBound)")")
        }
        return Int(double)
    }

    /// A file name without folders: names from the file never reach the file system as paths.
    private static func fileName(_ value: Any?, _ label: String) throws -> String {
        guard let name = value as? String, !name.isEmpty, !name.contains("/"), !name.contains("\0"), name != ".", name != ".." else {
            throw FormatError.malformed("\(label) is not a plain file name")
        }
        return name
    }

    private static func mask(_ value: Any?, label: String, height: Int, width: Int) throws -> COCORunLength {
        if let polygons = value as? [Any] {
            let lists = try polygons.enumerated().map { index, polygon -> [Double] in
                guard let points = polygon as? [Any] else { throw FormatError.malformed("\(label)[\(index)] is not a list of numbers") }
                return try points.map { point in
                    guard let number = point as? NSNumber else {
                        throw FormatError.malformed("\(label)[\(index)] holds something other than numbers")
                    }
                    return number.doubleValue
                }
            }
            return try COCORunLength(polygons: lists, height: height, width: width)
        }
        guard let runs = value as? [String: Any] else { throw FormatError.malformed("\(label) is neither polygons nor runs") }
        guard let size = runs["size"] as? [Any], size.count == 2,
              try integer(size[0], "\(label).size[0]") == height, try integer(size[1], "\(label).size[1]") == width else {
            throw FormatError.malformed("\(label).size is not its image's [\(height), \(width)]")
        }
        if let string = runs["counts"] as? String {
            return try COCORunLength(height: height, width: width, compressed: string)
        }
        guard let counts = runs["counts"] as? [Any] else { throw FormatError.malformed("\(label).counts is neither a list nor a string") }
        return try COCORunLength(height: height, width: width,
                                 counts: try counts.indices.map { try integer(counts[$0], "\(label).counts[\($0)]", in: 0...(1 << 32)) })
    }
}

extension COCODataset {
    /// The greenScreen seed's selection for person segmentation: images with one or two people (no crowd
    /// annotations of people) whose union covers `coverage` of the frame (20–70 % in the seed), each with that
    /// union as its mask.
    public func personImages(coverage: ClosedRange<Double> = 0.2...0.7) -> [(image: ImageEntry, mask: COCORunLength)] {
        guard let person = categories.first(where: { $0.value == "person" })?.key else { return [] }
        let people = Dictionary(grouping: annotations.filter { $0.categoryID == person }, by: \.imageID)
        return images.compactMap { image in
            guard let annotations = people[image.id], (1...2).contains(annotations.count),
                  !annotations.contains(where: \.isCrowd) else { return nil }
            let mask = annotations.dropFirst().reduce(annotations[0].mask) { $0.union($1.mask) }
            let share = Double(mask.area) / Double(image.width * image.height)
            return coverage.contains(share) ? (image, mask) : nil
        }
    }
}
