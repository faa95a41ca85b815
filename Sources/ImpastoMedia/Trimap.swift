import Foundation

// The trimap rembg builds for pymatting (rembg's `alpha_matting_cutout`): pixels of the mask above the
// foreground threshold, eroded by a square, are certain foreground; pixels below the background threshold,
// eroded likewise (the image's outside counting as background), are certain background; the band left
// between them is for the matting solver. rembg's defaults are 240, 10 and 10 on 8-bit masks.

/// Which pixels a matting solver must decide.
public enum Trimap {
    /// Foreground 1, background 0, unknown 0.5, from a mask in [0, 1] (row-major, `width × height`).
    /// `erosion` is the side of the square structuring element (0 or 1: no erosion).
    public static func from(mask: [Float], width: Int, height: Int, foreground: Float, background: Float,
                            erosion: Int) -> [Float] {
        let sure = eroded(mask.map { $0 > foreground }, width: width, height: height, side: erosion, outside: false)
        let never = eroded(mask.map { $0 < background }, width: width, height: height, side: erosion, outside: true)
        return (0..<mask.count).map { sure[$0] ? 1 : never[$0] ? 0 : 0.5 }
    }

    /// Binary erosion by a `side` × `side` square (offsets −side/2 … side − 1 − side/2, SciPy's
    /// `binary_erosion` placement), as a minimum along rows then columns; pixels outside the image count
    /// as `outside`.
    static func eroded(_ set: [Bool], width: Int, height: Int, side: Int, outside: Bool) -> [Bool] {
        guard side > 1 else { return set }
        let (low, high) = (-(side / 2), side - 1 - side / 2)
        let all = { (count: Int, value: (Int) -> Bool, centre: Int) -> Bool in
            (low...high).allSatisfy { let i = centre + $0; return (0..<count).contains(i) ? value(i) : outside }
        }
        var rows = set
        for y in 0..<height {
            for x in 0..<width { rows[y * width + x] = all(width, { set[y * width + $0] }, x) }
        }
        var result = rows
        for y in 0..<height {
            for x in 0..<width { result[y * width + x] = all(height, { rows[$0 * width + x] }, y) }
        }
        return result
    }
}
