import ImpastoMedia
import ImpastoModels
import ImpastoTensor

/// waifu2x's tiling (`reconstruct.blockwise`): the output is cut into `blockSize`-pixel squares; each is
/// computed from the input square under it widened by the net's margin, the picture's border pixels repeated
/// where the margin leaves it (NumPy's `edge` padding). The tiles of the output meet without seams because each
/// one sees all the input it depends on; only a tile's activations are ever in memory, so memory stays flat
/// however large the picture.
struct Waifu2xTiling {
    let network: any Waifu2xNetwork
    let blockSize: Int
    /// Tiles per forward pass. Results do not depend on it; 8 tiles of UpConv7 take about 60 MB of activations.
    var batchSize = 8

    /// The net over `image` (its samples 8-bit, `channels` as the net's), clamped and truncated to 8 bits;
    /// nil when `tileDone` (called after each tile) returns false.
    func run(_ image: Image, tileDone: () -> Bool) -> Image? {
        let architecture = network.architecture
        let scale = architecture.innerScale
        let (innerBlock, innerOffset) = (blockSize / scale, architecture.offset / scale)
        let inBlock = innerBlock + 2 * innerOffset
        let (width, height, channels) = (image.width, image.height, image.channels)
        precondition(channels == network.channels, "a \(channels)-channel picture for a \(network.channels)-channel net")
        let (rows, columns) = ((height + innerBlock - 1) / innerBlock, (width + innerBlock - 1) / innerBlock)
        let (outWidth, outHeight) = (width * scale, height * scale)
        var output = [Float](repeating: 0, count: channels * outWidth * outHeight)
        let tiles = (0..<rows).flatMap { row in (0..<columns).map { (row, $0) } }
        for start in stride(from: 0, to: tiles.count, by: batchSize) {
            let batch = tiles[start..<min(start + batchSize, tiles.count)]
            var input = [Float](repeating: 0, count: batch.count * channels * inBlock * inBlock)
            for (index, (row, column)) in batch.enumerated() {
                for channel in 0..<channels {
                    let source = channel * width * height
                    let target = (index * channels + channel) * inBlock * inBlock
                    for y in 0..<inBlock {
                        let sy = min(max(row * innerBlock + y - innerOffset, 0), height - 1)
                        for x in 0..<inBlock {
                            let sx = min(max(column * innerBlock + x - innerOffset, 0), width - 1)
                            input[target + y * inBlock + x] = image.pixels[source + sy * width + sx]
                        }
                    }
                }
            }
            let result = withoutGradients {
                network(Tensor(shape: [batch.count, channels, inBlock, inBlock], scalars: input))
            }
            precondition(result.shape == [batch.count, channels, blockSize, blockSize],
                         "waifu2x \(architecture.rawValue) made \(result.shape) of \(inBlock)-pixel tiles")
            let values = result.scalars
            for (index, (row, column)) in batch.enumerated() {
                for channel in 0..<channels {
                    let source = (index * channels + channel) * blockSize * blockSize
                    let target = channel * outWidth * outHeight
                    for y in 0..<min(blockSize, outHeight - row * blockSize) {
                        let outRow = target + (row * blockSize + y) * outWidth + column * blockSize
                        for x in 0..<min(blockSize, outWidth - column * blockSize) {
                            output[outRow + x] = Float(UInt8(clampedSample(values[source + y * blockSize + x]) * 255)) / 255
                        }
                    }
                }
                guard tileDone() else { return nil }
            }
        }
        return Image(width: outWidth, height: outHeight, channels: channels, pixels: output)
    }
}
