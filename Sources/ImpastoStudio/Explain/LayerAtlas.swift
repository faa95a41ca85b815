import Foundation
import ImpastoMedia
import ImpastoModels
import ImpastoTensor

/// The seed's figure of what VGG-19's blocks respond to (after Zeiler and Fergus 2014): for the last ReLU of each
/// block, the channels that fire hardest on a set of photos, each shown as the photo's patch under its receptive
/// field beside the guided-backpropagation reconstruction of that one activation. Shallow blocks answer to edges
/// and colours in small patches; deep ones to parts of objects in large ones.
public struct LayerAtlas: Sendable {
    /// The layers shown, one row each.
    public static let layers = ["relu1_2", "relu2_2", "relu3_4", "relu4_4", "relu5_4"]

    public var photos: [URL]
    public var output: URL
    /// Channels per row.
    public var channels = 4
    /// The longest side each photo is scaled to.
    public var size = 224
    /// The side of each patch and reconstruction in the picture.
    public var tile = 96
    public var weights: String?

    public init(photos: [URL], output: URL) {
        self.photos = photos
        self.output = output
    }

    /// Where one channel fires hardest: which photo, where in the layer's map, and how strongly.
    struct Peak {
        let channel: Int, photo: Int, y: Int, x: Int, value: Float
    }

    /// Builds and writes the atlas, one progress step per layer.
    public func run(_ context: JobContext = JobContext()) throws {
        guard (1...16).contains(channels), (32...1024).contains(size), (16...512).contains(tile) else {
            throw ImpastoError.invalidArgument("--channels must be 1…16, --size 32…1024.")
        }
        let format = try ImageInputs.format(of: output, quality: 95)
        let files = try ImageInputs.expand(photos)
        try Overwriting.refuse(outputs: [output], inputs: files)
        let (vgg, preprocessing) = try ModelCache.shared.installedVGG19(weights: weights)
        let images = try files.map { try Image(contentsOf: $0).rgb().resized(longestSide: size) }
        let inputs = images.map(preprocessing.networkInput(from:))
        let reporter = context.reporter(title: "atlas", unit: .steps(name: "layer", rateSymbol: "layers/s"),
                                        total: Int64(Self.layers.count))
        var rows: [[Image]] = []
        for (index, layer) in Self.layers.enumerated() {
            let maps = inputs.map { input in withoutGradients { vgg(input, layers: [layer])[layer]! } }
            let peaks = strongestChannels(maps)
            rows.append(peaks.flatMap { peak in
                tiles(for: peak, layer: layer, image: images[peak.photo], input: inputs[peak.photo], vgg: vgg)
            })
            reporter.update(completed: Int64(index + 1), detail: layer)
        }
        try grid(rows).write(to: output, format: format)
        reporter.finish(summary: "Wrote \(output.path): \(Self.layers.count) layers × \(channels) channels from \(files.count) photos",
                        json: [("event", "done"), ("output", .string(output.path))])
    }

    /// The `channels` channels with the largest single activation over all photos, strongest first.
    func strongestChannels(_ maps: [Tensor]) -> [Peak] {
        var best: [Peak] = []
        for (photo, map) in maps.enumerated() {
            let values = map.scalars
            let (count, height, width) = (map.shape[1], map.shape[2], map.shape[3])
            for channel in 0..<count {
                let plane = values[channel * height * width..<(channel + 1) * height * width]
                guard let top = plane.indices.max(by: { plane[$0] < plane[$1] }) else { continue }
                let offset = top - channel * height * width
                let peak = Peak(channel: channel, photo: photo, y: offset / width, x: offset % width, value: plane[top])
                if photo == 0 || peak.value > best[channel].value {
                    if photo == 0 { best.append(peak) } else { best[channel] = peak }
                }
            }
        }
        return Array(best.sorted { $0.value > $1.value }.prefix(channels))
    }

    /// The photo's patch under the activation's receptive field and the guided-backprop reconstruction of the
    /// activation over the same patch, each `tile` pixels square.
    func tiles(for peak: Peak, layer: String, image: Image, input: Tensor, vgg: VGG19) -> [Image] {
        let (top, left, side) = Self.receptiveField(layer: layer, y: peak.y, x: peak.x)
        let y0 = max(0, top), x0 = max(0, left)
        let y1 = min(image.height, top + side), x1 = min(image.width, left + side)
        let score: (Tensor) -> Tensor = { x in
            vgg(x, layers: [layer])[layer]!.sliced(axis: 1, peak.channel..<peak.channel + 1)
                .sliced(axis: 2, peak.y..<peak.y + 1).sliced(axis: 3, peak.x..<peak.x + 1)
        }
        let gradient = Attribution.backpropagation(.guided, of: score, at: input)
        let reconstruction = AttributionPicture.reconstruction(gradient.sliced(axis: 2, y0..<y1).sliced(axis: 3, x0..<x1))
        let patch = image.cropped(x: x0, y: y0, width: x1 - x0, height: y1 - y0)
        return [patch, reconstruction].map { $0.resized(width: tile, height: tile, filter: .bilinear) }
    }

    /// The square of input pixels (top, left, side) that the activation at (`y`, `x`) of `layer` sees: each 3×3
    /// convolution widens it by two steps of the layer's stride, each 2×2 pooling by one and doubles the stride.
    static func receptiveField(layer: String, y: Int, x: Int) -> (top: Int, left: Int, side: Int) {
        var side = 1, jump = 1, start = 0  // `start`: the first input pixel of unit 0's field
        for name in VGG19.layerNames.prefix(through: VGG19.index(of: layer)!) {
            if name.hasPrefix("conv") {
                side += 2 * jump
                start -= jump
            } else if name.hasPrefix("pool") {
                side += jump
                jump *= 2
            }
        }
        return (start + y * jump, start + x * jump, side)
    }

    /// Rows of equally sized tiles on white, with a 4-pixel gap, pairs of tiles grouped by a wider one.
    func grid(_ rows: [[Image]]) -> Image {
        let gap = 4, pairGap = 12
        let columns = rows.map(\.count).max() ?? 0
        let width = columns * tile + (columns / 2) * gap + max(0, columns / 2 - 1) * pairGap + 2 * gap
        let height = rows.count * (tile + gap) + gap
        var pixels = [Float](repeating: 1, count: 3 * width * height)
        for (r, row) in rows.enumerated() {
            for (c, image) in row.enumerated() {
                let left = gap + c * tile + (c / 2) * pairGap + (c % 2) * gap, top = gap + r * (tile + gap)
                for channel in 0..<3 {
                    let plane = image.plane(channel)
                    for y in 0..<tile {
                        for x in 0..<tile {
                            pixels[channel * width * height + (top + y) * width + left + x] =
                                plane[plane.startIndex + y * tile + x]
                        }
                    }
                }
            }
        }
        return Image(width: width, height: height, channels: 3, pixels: pixels)
    }
}
