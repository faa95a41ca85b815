/// EXIF orientation: cameras store pixels as the sensor saw them and record in the EXIF tag 0x0112 how to
/// turn them upright. Pillow's `ImageOps.exif_transpose` applies it, so the reference pipelines see
/// upright images, and so must we. The tag sits in IFD0 of the TIFF structure inside the APP1 "Exif"
/// segment; reading it needs a dozen bounds-checked loads, not an EXIF library.
extension Image {
    /// The EXIF orientation (1 to 8) of JPEG `bytes`; 1 when there is none or it cannot be read.
    static func exifOrientation(ofJPEG bytes: [UInt8]) -> Int {
        var at = 2
        while at + 4 <= bytes.count, bytes[at] == 0xFF {
            let marker = bytes[at + 1]
            switch marker {
            case 0xFF: at += 1  // fill byte before a marker
            case 0x01, 0xD0...0xD8: at += 2  // markers without a length
            case 0xD9, 0xDA: return 1  // end of image, start of scan: metadata comes before these
            default:
                let length = Int(bytes[at + 2]) << 8 | Int(bytes[at + 3])
                guard length >= 2, at + 2 + length <= bytes.count else { return 1 }
                if marker == 0xE1, let orientation = orientation(inAPP1: bytes[at + 4..<at + 2 + length]) {
                    return orientation
                }
                at += 2 + length
            }
        }
        return 1
    }

    /// The orientation in an APP1 payload, or nil when it is not EXIF or has no valid orientation tag.
    private static func orientation(inAPP1 payload: ArraySlice<UInt8>) -> Int? {
        guard payload.starts(with: Array("Exif\0\0".utf8)) else { return nil }
        let tiff = payload.startIndex + 6
        let bigEndian: Bool
        switch (payload.dropFirst(6).first, payload.dropFirst(7).first) {
        case (0x4D, 0x4D): bigEndian = true  // "MM", Motorola
        case (0x49, 0x49): bigEndian = false  // "II", Intel
        default: return nil
        }
        func integer(at offset: Int, size: Int) -> Int? {
            let start = tiff + offset
            guard offset >= 0, start + size <= payload.endIndex else { return nil }
            let bytes = payload[start..<start + size]
            return (bigEndian ? Array(bytes) : bytes.reversed()).reduce(0) { $0 << 8 | Int($1) }
        }
        guard integer(at: 2, size: 2) == 42, let ifd = integer(at: 4, size: 4),
              let entries = integer(at: ifd, size: 2) else { return nil }
        for entry in 0..<entries {
            let offset = ifd + 2 + 12 * entry
            guard let tag = integer(at: offset, size: 2) else { return nil }
            // Type 3 is SHORT: the value sits left-justified in the entry's 4-byte value field.
            if tag == 0x0112, integer(at: offset + 2, size: 2) == 3, let value = integer(at: offset + 8, size: 2) {
                return (1...8).contains(value) ? value : nil
            }
        }
        return nil
    }

    /// The image turned upright for EXIF `orientation` (1 to 8; anything else leaves it as is).
    ///
    /// Each orientation is a composition of an optional transpose followed by optional flips: output
    /// pixel (x, y) reads source pixel (a, b), where (a, b) is (x, y) or, transposed, (y, x), and each
    /// flipped axis is mirrored. 6 is a clockwise quarter turn, 8 a counter-clockwise one.
    func applyingOrientation(_ orientation: Int) -> Image {
        let (transpose, flipX, flipY): (Bool, Bool, Bool)
        switch orientation {
        case 2: (transpose, flipX, flipY) = (false, true, false)
        case 3: (transpose, flipX, flipY) = (false, true, true)
        case 4: (transpose, flipX, flipY) = (false, false, true)
        case 5: (transpose, flipX, flipY) = (true, false, false)
        case 6: (transpose, flipX, flipY) = (true, false, true)
        case 7: (transpose, flipX, flipY) = (true, true, true)
        case 8: (transpose, flipX, flipY) = (true, true, false)
        default: return self
        }
        let (outWidth, outHeight) = transpose ? (height, width) : (width, height)
        let count = width * height
        var result = [Float](repeating: 0, count: pixels.count)
        // Source index of output (x, y) is base + x * stepX + y * stepY.
        let (alongA, alongB) = (flipX ? -1 : 1, flipY ? -width : width)
        let base = (flipX ? width - 1 : 0) + (flipY ? (height - 1) * width : 0)
        let (stepX, stepY) = transpose ? (alongB, alongA) : (alongA, alongB)
        pixels.withUnsafeBufferPointer { source in
            result.withUnsafeMutableBufferPointer { output in
                for channel in 0..<channels {
                    let plane = channel * count
                    for y in 0..<outHeight {
                        var from = plane + base + y * stepY
                        for x in 0..<outWidth {
                            output[plane + y * outWidth + x] = source[from]
                            from += stepX
                        }
                    }
                }
            }
        }
        return Image(width: outWidth, height: outHeight, channels: channels, pixels: result)
    }
}
