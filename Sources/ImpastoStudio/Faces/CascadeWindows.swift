import ImpastoMedia
import ImpastoModels
import ImpastoTensor

/// A square window of a picture, in its pixels: top-left corner and side.
struct CascadeWindow: Sendable, Equatable {
    var x: Float
    var y: Float
    var side: Float
    /// The last classifier's face probability.
    var score: Float = 0

    var candidate: Candidate { Candidate(image: 0, x1: x, y1: y, x2: x + side, y2: y + side, score: score) }

    /// The window calibration pattern `pattern` moves this one to.
    func adjusted(by pattern: CalibrationPattern) -> CascadeWindow {
        let moved = pattern.adjust(x: x, y: y, width: side, height: side)
        return CascadeWindow(x: moved.x, y: moved.y, side: moved.width, score: score)
    }
}

/// How a training example is varied: mirrored, and its gray values stretched and shifted (augmentation).
struct CropVariation: Sendable {
    var mirrored = false
    var contrast: Float = 1
    var brightness: Float = 0
}

/// A picture in one luma channel (0…1), from which windows are cut as the nets read them.
struct GrayPicture: Sendable {
    let image: Image

    init(_ image: Image) {
        self.image = image.grayscale()
    }

    var width: Int { image.width }
    var height: Int { image.height }

    /// `window` scaled to `size`×`size` and normalised for the nets, appended to `output`: sampled bilinearly at
    /// about its own resolution (at most 4× the target; edges clamped where it leaves the picture), then shrunk
    /// with Pillow's antialiasing bilinear filter, so that a large window is averaged rather than aliased, as the
    /// pyramid levels the 12-net reads are.
    func appendCrop(_ window: CascadeWindow, size: Int, variation: CropVariation = CropVariation(), to output: inout [Float]) {
        let native = min(max(Int(window.side.rounded()), size), 4 * size)
        let step = window.side / Float(native)
        // Pixel u of the crop is centred at x + (u + ½)·step in the picture's corner coordinates, i.e. at
        // x + (u + ½)·step − ½ in `warped`'s pixel-centre coordinates.
        let transform = variation.mirrored
            ? AffineTransform(a: -step, b: 0, c: window.x + (Float(native) - 0.5) * step - 0.5, d: 0, e: step, f: window.y + step / 2 - 0.5)
            : AffineTransform(a: step, b: 0, c: window.x + step / 2 - 0.5, d: 0, e: step, f: window.y + step / 2 - 0.5)
        var crop = image.warped(width: native, height: native, sourceOfPixel: transform)
        if native != size { crop = crop.resized(width: size, height: size, filter: .bilinear) }
        for value in crop.pixels {
            output.append(FaceCascade.normalized((value - 0.5) * variation.contrast + 0.5 + variation.brightness))
        }
    }

    /// The windows' crops as one [N, 1, size, size] batch.
    func batch(_ windows: [CascadeWindow], size: Int, variations: [CropVariation]? = nil) -> Tensor {
        var values: [Float] = []
        values.reserveCapacity(windows.count * size * size)
        for (k, window) in windows.enumerated() {
            appendCrop(window, size: size, variation: variations?[k] ?? CropVariation(), to: &values)
        }
        return Tensor(shape: [windows.count, 1, size, size], scalars: values)
    }
}
