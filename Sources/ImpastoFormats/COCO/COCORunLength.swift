// COCO's run-length masks (cocodataset.org/#format-data; pycocotools' common/maskApi.c): counts of alternating
// 0s and 1s, starting with 0s, over the pixels in column-major order (x·h + y); "compressed" counts are those
// numbers as 6-bit characters, LEB128-like, each past the second stored as the difference from the one two
// before. Polygons become runs exactly as pycocotools' rleFrPoly makes them, so masks agree with COCO's tools
// pixel for pixel.

/// A binary mask as COCO stores it: `height` × `width` pixels, run lengths over column-major order.
public struct COCORunLength: Sendable, Equatable {
    public let height: Int
    public let width: Int
    /// Alternating runs of 0s and 1s (the first may be 0 long); they add up to `height · width`.
    public let counts: [Int]

    /// Runs that must cover exactly `height · width` pixels.
    ///
    /// - Throws: `FormatError.malformed` for negative runs or a wrong total.
    init(height: Int, width: Int, counts: [Int]) throws {
        guard height >= 0, width >= 0, height <= 1 << 16, width <= 1 << 16 else {
            throw FormatError.malformed("a mask of \(height)×\(width) pixels is outside 0…65536 a side")
        }
        guard counts.allSatisfy({ $0 >= 0 }) else { throw FormatError.malformed("a mask has a negative run") }
        var total = 0
        for count in counts {
            total += count
            guard total <= height * width else { break }
        }
        guard total == height * width else {
            throw FormatError.malformed("a \(height)×\(width) mask's runs cover \(total) pixels, not \(height * width)")
        }
        self.height = height
        self.width = width
        self.counts = counts
    }

    /// pycocotools' compressed string form.
    ///
    /// - Throws: `FormatError.malformed` for characters outside '0'…'o', a number that does not end, or runs
    ///   that do not cover the mask.
    init(height: Int, width: Int, compressed: String) throws {
        var counts: [Int] = []
        var bytes = Array(compressed.utf8)[...]
        while !bytes.isEmpty {
            var value = 0, shift = 0, more = true
            while more {
                guard let byte = bytes.popFirst(), (48...111).contains(byte), shift < 60 else {
                    throw FormatError.malformed("a compressed mask holds a character or number COCO's format does not allow")
                }
                let chunk = Int(byte - 48)
                value |= (chunk & 0x1F) << shift
                more = chunk & 0x20 != 0
                shift += 5
                if !more && chunk & 0x10 != 0 { value |= -1 << shift }
            }
            if counts.count > 2 { value += counts[counts.count - 2] }
            counts.append(value)
        }
        try self.init(height: height, width: width, counts: counts)
    }

    /// The union of polygons (flat x, y lists in pixels), rasterized as pycocotools' `frPyObjects` + `merge`.
    ///
    /// - Throws: `FormatError.malformed` for a polygon with fewer than three points, an odd coordinate count,
    ///   or coordinates that are not finite numbers within a million pixels.
    public init(polygons: [[Double]], height: Int, width: Int) throws {
        var merged: COCORunLength?
        for polygon in polygons {
            let part = try Self.rasterize(polygon, height: height, width: width)
            merged = merged.map { $0.union(part) } ?? part
        }
        self = try merged ?? COCORunLength(height: height, width: width, counts: [height * width])
    }

    /// The mask row-major, 1 inside and 0 outside.
    public func decoded() -> [UInt8] {
        var mask = [UInt8](repeating: 0, count: height * width)
        var position = 0, value: UInt8 = 0
        for count in counts {
            if value == 1 {
                for index in position..<position + count { mask[(index % height) * width + index / height] = 1 }
            }
            position += count
            value ^= 1
        }
        return mask
    }

    /// Pixels inside.
    public var area: Int { stride(from: 1, to: counts.count, by: 2).reduce(0) { $0 + counts[$1] } }

    /// The pixels inside either mask (same size).
    public func union(_ other: COCORunLength) -> COCORunLength {
        precondition(height == other.height && width == other.width, "union of masks of different sizes")
        var result: [Int] = []
        var (a, b) = (counts[...], other.counts[...])
        var (remainingA, remainingB) = (a.popFirst() ?? 0, b.popFirst() ?? 0)
        var (valueA, valueB) = (false, false)
        var current = false, run = 0, covered = 0
        let total = height * width
        while covered < total {
            while remainingA == 0, let next = a.popFirst() { remainingA = next; valueA.toggle() }
            while remainingB == 0, let next = b.popFirst() { remainingB = next; valueB.toggle() }
            let step = min(remainingA, remainingB)
            let inside = valueA || valueB
            if inside != current {
                result.append(run)
                run = 0
                current = inside
            }
            run += step
            covered += step
            remainingA -= step
            remainingB -= step
        }
        result.append(run)
        return try! COCORunLength(height: height, width: width, counts: result)
    }

    /// One polygon's runs, step for step as pycocotools' rleFrPoly: the outline is traced on a 5× finer grid,
    /// its crossings of pixel columns become the boundaries of vertical runs.
    static func rasterize(_ xy: [Double], height h: Int, width w: Int) throws -> COCORunLength {
        guard xy.count >= 6, xy.count % 2 == 0 else {
            throw FormatError.malformed("a polygon has \(xy.count) coordinates; it needs an even number, at least 6")
        }
        guard xy.allSatisfy({ $0.isFinite && abs($0) <= 1e6 }) else {
            throw FormatError.malformed("a polygon has a coordinate that is not a finite number within a million pixels")
        }
        let scale = 5.0, k = xy.count / 2
        // C's (int)(v + .5) truncates toward zero.
        var x = (0..<k).map { Int(scale * xy[2 * $0] + 0.5) }, y = (0..<k).map { Int(scale * xy[2 * $0 + 1] + 0.5) }
        x.append(x[0])
        y.append(y[0])
        // The outline is traced point by point on the fine grid: bound its length before allocating it.
        var points = 0
        for j in 0..<k {
            let dx: Int = abs(x[j] - x[j + 1]), dy: Int = abs(y[j] - y[j + 1])
            points += max(dx, dy) + 1
        }
        guard points <= 10_000_000 else {
            throw FormatError.malformed("a polygon's outline is \(points / 5) pixels long, more than COCO's images hold")
        }
        var u: [Int] = [], v: [Int] = []
        u.reserveCapacity(points)
        v.reserveCapacity(points)
        for j in 0..<k {
            var (xs, xe, ys, ye) = (x[j], x[j + 1], y[j], y[j + 1])
            let dx = abs(xe - xs), dy = abs(ys - ye)
            let flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye)
            if flip { swap(&xs, &xe); swap(&ys, &ye) }
            // A repeated vertex (dx = dy = 0) gives C's 0/0: its one point lies between two of the same column,
            // so its row is never read, and 0 stands in for the NaN that Int(_:) would trap on.
            let s = dx == 0 && dy == 0 ? 0 : dx >= dy ? Double(ye - ys) / Double(dx) : Double(xe - xs) / Double(dy)
            if dx >= dy {
                for d in 0...dx {
                    let t = flip ? dx - d : d
                    u.append(t + xs)
                    v.append(Int(Double(ys) + s * Double(t) + 0.5))
                }
            } else {
                for d in 0...dy {
                    let t = flip ? dy - d : d
                    v.append(t + ys)
                    u.append(Int(Double(xs) + s * Double(t) + 0.5))
                }
            }
        }
        // Points where the outline crosses a pixel column's centre line, downsampled.
        var boundaries: [Int] = []
        for j in 1..<u.count where u[j] != u[j - 1] {
            var xd = Double(u[j] < u[j - 1] ? u[j] : u[j] - 1)
            xd = (xd + 0.5) / scale - 0.5
            if xd.rounded(.down) != xd || xd < 0 || xd > Double(w - 1) { continue }
            var yd = Double(min(v[j], v[j - 1]))
            yd = (yd + 0.5) / scale - 0.5
            yd = yd < 0 ? 0 : yd > Double(h) ? Double(h) : yd
            boundaries.append(Int(xd) * h + Int(yd.rounded(.up)))
        }
        boundaries.append(h * w)
        boundaries.sort()
        var previous = 0
        for index in boundaries.indices {
            let value = boundaries[index]
            boundaries[index] -= previous
            previous = value
        }
        // Empty runs between two boundaries merge their neighbours.
        var counts = [boundaries[0]]
        var j = 1
        while j < boundaries.count {
            if boundaries[j] > 0 {
                counts.append(boundaries[j])
                j += 1
            } else {
                j += 1
                if j < boundaries.count { counts[counts.count - 1] += boundaries[j]; j += 1 }
            }
        }
        return try COCORunLength(height: h, width: w, counts: counts)
    }
}
