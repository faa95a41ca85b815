/// Reading PNG and JPEG files.
///
/// Codecs: libjpeg-turbo and libpng (Debian `libjpeg62-turbo-dev`, `libpng-dev`), called through the
/// small setjmp-guarded C target `CImageCodecs`. They are small, on every system, and fast (libjpeg-turbo's
/// SIMD), and they are what Pillow itself is built on, so the pixels decoded here are the pixels the
/// PyTorch reference implementations see: identical for PNG, and identical for JPEG as long as both sides
/// use libjpeg-turbo's default accurate integer IDCT and fancy upsampling (tested against Pillow 13's
/// bundled libjpeg-turbo 3.x). libvips or ImageMagick would bring glib and dozens of libraries for
/// features we do not use.
///
/// Behaviour, following Pillow + `ImageOps.exif_transpose`:
/// - The format comes from the first bytes, never from the file name.
/// - JPEG: grayscale, YCbCr/RGB and CMYK (Adobe-inverted or not; converted to RGB as
///   `(1 - c)(1 - k)` like Pillow's `convert("RGB")`); the EXIF orientation is applied.
/// - PNG: gray, gray + alpha, RGB, RGBA, palettes (tRNS becomes an alpha channel), 1- to 16-bit.
///   Colour-management chunks (gAMA, iCCP) are ignored, as Pillow ignores them.
/// - Sizes beyond `Image.maximumSide` per side or `Image.maximumPixelCount` are refused from the header,
///   before anything is allocated; progressive JPEGs of more than `Image.maximumJPEGScans` scans (or
///   `Image.maximumJPEGScanPixels` pixels in all their scans) are refused when the first scan too many
///   starts. Only regular files of at most `Image.maximumFileSize` bytes are read.
import CImageCodecs
import Foundation
import ImpastoTensor

/// What an image file's header declares.
public struct ImageHeader: Sendable, Equatable {
    /// The size as the picture is shown (a JPEG's EXIF orientation applied).
    public let width: Int
    public let height: Int
    /// The channels a decode gives (1 gray, 2 gray + alpha, 3 RGB, 4 RGBA or CMYK).
    public let channels: Int
}

extension Image {
    /// The largest width or height accepted from a file: 32768, room for any panorama a camera stitches
    /// (the pixel count is what bounds memory).
    public static let maximumSide = 32_768
    /// The largest pixel count accepted from a file: 100 megapixels, the largest photos cameras take.
    /// Decoding one takes about 1.5 GB (8-bit samples, then float planes); a 2 KB file whose header
    /// claims 30000×16666 pixels would otherwise ask for 8 GB. A task-local, so a caller that knows better
    /// lowers it for its own work: a service for its uploads, the image fuzzer (where a 1 KB progressive JPEG
    /// claiming 10000×10000 pixels decodes in 1.9 s, but 21 s under AddressSanitizer).
    @TaskLocal public static var maximumPixelCount = 100_000_000
    /// The most scans a progressive JPEG may have. Encoders write about ten; every scan walks the whole
    /// image again, so a file of 25,000 empty scans keeps a decoder busy for hours.
    public static let maximumJPEGScans = 1000
    /// The most pixels a progressive JPEG's scans may cover together (scans × width × height): a hundred
    /// scans of a 100-megapixel image, about a second of decoding per colour component. Below 10
    /// megapixels `maximumJPEGScans` is the tighter limit.
    public static let maximumJPEGScanPixels: Int64 = 10_000_000_000
    /// The largest image file read: 1 GiB, more than a 100-megapixel 16-bit PNG stored uncompressed.
    public static let maximumFileSize = 1 << 30

    /// Decodes the PNG or JPEG file at `url`.
    ///
    /// - Throws: `ImpastoError.unreadableFile` when the file cannot be read, `ImpastoError.invalidFormat`
    ///   when it is empty, truncated, corrupt, too large, or neither PNG nor JPEG.
    public init(contentsOf url: URL) throws {
        let path = url.path
        try self.init(decoding: try readFile(at: path), path: path)
    }

    /// Decodes PNG or JPEG bytes (read from a pipe); `path` names them in errors.
    public init(decoding bytes: [UInt8], path: String) throws {
        let (format, info, raw) = try Self.decodeSamples(bytes, path: path)
        var image = Image(interleaved: raw, info: info)
        if format == .jpeg {
            // Four JPEG channels are always inks; only PNG has alpha.
            if image.channels == 4 { image = image.cmykToRGB(inverted: info.inverted_cmyk != 0) }
            image = image.applyingOrientation(Image.exifOrientation(ofJPEG: bytes))
        }
        self = image
    }

    /// What the header of PNG or JPEG `bytes` declares, read without decoding a pixel (no pixel limit applies:
    /// the caller compares the size with its own). Throws as `init(decoding:)` does for bytes that are not an
    /// image, or whose header is cut short or corrupt.
    public static func header(of bytes: [UInt8], path: String) throws -> ImageHeader {
        let (format, info) = try readHeader(bytes, path: path)
        let (width, height) = (Int(info.width), Int(info.height))
        // EXIF orientations 5 to 8 turn the picture a quarter: its width is the stored height.
        let turned = format == .jpeg && Image.exifOrientation(ofJPEG: bytes) >= 5
        return ImageHeader(width: turned ? height : width, height: turned ? width : height, channels: Int(info.channels))
    }

    /// Decodes every sample of `bytes` and drops them: the whole file is checked (cut short, corrupt or over the
    /// limits is refused as `init(decoding:)` refuses it) in the decoder's 8-bit samples alone, a fifth of the
    /// memory of a decode to float planes. Returns the header.
    public static func verify(_ bytes: [UInt8], path: String) throws -> ImageHeader {
        _ = try decodeSamples(bytes, path: path)
        return try header(of: bytes, path: path)
    }

    /// The format and header of `bytes`.
    private static func readHeader(_ bytes: [UInt8], path: String) throws -> (Codec, ic_info) {
        let invalid = { (reason: String) in ImpastoError.invalidFormat(path: path, reason: reason) }
        guard !bytes.isEmpty else { throw invalid("the file is empty") }
        guard let format = Codec(signature: bytes) else {
            throw invalid(Codec.describeUnsupported(bytes))
        }
        var message = [CChar](repeating: 0, count: Int(IC_ERROR_SIZE))
        var info = ic_info()
        let status = bytes.withUnsafeBufferPointer { file in
            format == .jpeg
                ? ic_jpeg_info(file.baseAddress, file.count, &info, &message)
                : ic_png_info(file.baseAddress, file.count, &info, &message)
        }
        guard status == 0 else { throw invalid(String(cString: message)) }
        return (format, info)
    }

    /// The decoder's interleaved samples, after the header has been held to the size limits.
    private static func decodeSamples(_ bytes: [UInt8], path: String) throws -> (Codec, ic_info, [UInt8]) {
        let invalid = { (reason: String) in ImpastoError.invalidFormat(path: path, reason: reason) }
        let (format, info) = try readHeader(bytes, path: path)
        let (width, height) = (Int(info.width), Int(info.height))
        guard width <= Image.maximumSide, height <= Image.maximumSide,
              width * height <= Image.maximumPixelCount else {
            throw invalid("its header declares \(width)×\(height) pixels, more than the "
                + "\(Image.maximumSide)-pixel side or \(Image.maximumPixelCount / 1_000_000)-megapixel limit")
        }
        var message = [CChar](repeating: 0, count: Int(IC_ERROR_SIZE))
        let size = width * height * Int(info.channels) * Int(info.bytes_per_sample)
        let raw = try bytes.withUnsafeBufferPointer { file in
            try [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
                let status = format == .jpeg
                    ? ic_jpeg_decode(file.baseAddress, file.count, buffer.baseAddress, size,
                                     Int32(Image.maximumJPEGScans), Image.maximumJPEGScanPixels, &message)
                    : ic_png_decode(file.baseAddress, file.count, buffer.baseAddress, size, &message)
                guard status == 0 else { throw invalid(String(cString: message)) }
                count = size
            }
        }
        return (format, info, raw)
    }

    /// Planar float samples from a decoder's interleaved 8- or 16-bit output.
    private init(interleaved raw: [UInt8], info: ic_info) {
        let (width, height, channels) = (Int(info.width), Int(info.height), Int(info.channels))
        let count = width * height
        var pixels = [Float](repeating: 0, count: channels * count)
        pixels.withUnsafeMutableBufferPointer { planar in
            raw.withUnsafeBufferPointer { raw in
                if info.bytes_per_sample == 2 {
                    for channel in 0..<channels {
                        for i in 0..<count {
                            let at = 2 * (i * channels + channel)
                            planar[channel * count + i] = Float(UInt16(raw[at]) << 8 | UInt16(raw[at + 1])) / 65535
                        }
                    }
                } else {
                    let levels = (0..<256).map { Float($0) / 255 }
                    for channel in 0..<channels {
                        for i in 0..<count { planar[channel * count + i] = levels[Int(raw[i * channels + channel])] }
                    }
                }
            }
        }
        self.init(width: width, height: height, channels: channels, pixels: pixels)
    }

    /// CMYK samples (ink amounts, or `1 - ink` when `inverted`) as RGB: each colour is what its ink and
    /// the black ink let through, `(1 - ink)(1 - k)`, the formula of Pillow's CMYK to RGB conversion.
    private func cmykToRGB(inverted: Bool) -> Image {
        let count = width * height
        var rgb = [Float](repeating: 0, count: 3 * count)
        let black = plane(3)
        for channel in 0..<3 {
            let ink = plane(channel)
            for i in 0..<count {
                let (c, k) = (ink[ink.startIndex + i], black[black.startIndex + i])
                rgb[channel * count + i] = inverted ? c * k : (1 - c) * (1 - k)
            }
        }
        return Image(width: width, height: height, channels: 3, pixels: rgb)
    }
}

/// The two formats read here, told apart by their first bytes.
enum Codec {
    case png, jpeg

    init?(signature bytes: [UInt8]) {
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
            self = .png
        } else if bytes.starts(with: [0xFF, 0xD8, 0xFF]) {
            self = .jpeg
        } else {
            return nil
        }
    }

    /// Why `bytes` cannot be read, naming the format when it is a common one.
    static func describeUnsupported(_ bytes: [UInt8]) -> String {
        let ascii = { (offset: Int, text: String) in bytes.dropFirst(offset).starts(with: Array(text.utf8)) }
        let known: String? = if ascii(0, "GIF8") { "GIF" }
            else if ascii(0, "RIFF") && ascii(8, "WEBP") { "WebP" }
            else if ascii(0, "II*\0") || ascii(0, "MM\0*") { "TIFF" }
            else if ascii(4, "ftyp") { "HEIF/AVIF" }
            else if ascii(0, "BM") && bytes.count > 26 { "BMP" }
            else { nil }
        if let known { return "it is a \(known) image; only PNG and JPEG are supported" }
        return "it is neither a PNG nor a JPEG image"
    }
}

extension Image {
    /// Whether the file at `url` starts like a PNG or JPEG image (how `inspect` tells images from weights).
    ///
    /// - Throws: `ImpastoError.unreadableFile` when it is not a regular file or cannot be read.
    public static func hasImageSignature(at url: URL) throws -> Bool {
        let path = url.path
        let (descriptor, _) = try openRegularFile(path)
        defer { close(descriptor) }
        var head = [UInt8](repeating: 0, count: 8)
        let count = try readFully(descriptor, into: &head, path: path)
        return Codec(signature: Array(head.prefix(count))) != nil
    }
}

/// The whole file at `path`, read with POSIX calls so that errors carry the system's reason. Only a
/// regular file of at most `Image.maximumFileSize` bytes is read; the limit holds while reading too,
/// since a file can grow after its size was taken.
func readFile(at path: String) throws -> [UInt8] {
    let (descriptor, size) = try openRegularFile(path)
    defer { close(descriptor) }
    let limit = Image.maximumFileSize
    let tooLarge = ImpastoError.invalidFormat(path: path, reason: "it is larger than the \(limit >> 30) GiB Impasto reads as an image")
    guard size <= limit else { throw tooLarge }
    // One byte more than expected, so that the end of the file is seen without growing the buffer.
    var bytes = [UInt8](repeating: 0, count: min(size, limit) + 1)
    var filled = 0
    while true {
        filled += try readFully(descriptor, into: &bytes, from: filled, path: path)
        guard filled <= limit else { throw tooLarge }
        if filled < bytes.count { return Array(bytes.prefix(filled)) }
        bytes += repeatElement(0, count: min(bytes.count, limit + 1 - bytes.count))
    }
}

/// Reads into `buffer` from `start` until it is full or the file ends; returns the bytes read.
private func readFully(_ descriptor: Int32, into buffer: inout [UInt8], from start: Int = 0, path: String) throws -> Int {
    var filled = start
    while filled < buffer.count {
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + filled, $0.count - filled) }
        if count < 0 && errno == EINTR { continue }
        guard count >= 0 else { throw ImpastoError.unreadableFile(path: path, reason: String(cString: strerror(errno))) }
        if count == 0 { break }
        filled += count
    }
    return filled - start
}

/// Opens `path` for reading if it is a regular file; returns the descriptor and the file's size.
/// Anything else is refused before a byte is read: a directory, a device such as /dev/zero (which
/// never ends), a FIFO or socket (which may never deliver); `O_NONBLOCK` keeps `open` itself from
/// waiting for a FIFO's writer, and changes nothing for regular files.
private func openRegularFile(_ path: String) throws -> (descriptor: Int32, size: Int) {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
    guard descriptor >= 0 else {
        throw ImpastoError.unreadableFile(path: path, reason: String(cString: strerror(errno)))
    }
    var status = stat()
    let statusRead = fstat(descriptor, &status) == 0
    let reason = String(cString: strerror(errno))
    let kind = status.st_mode & S_IFMT
    guard statusRead, kind == S_IFREG else {
        close(descriptor)
        throw ImpastoError.unreadableFile(path: path, reason: !statusRead ? reason : kind == S_IFDIR
            ? String(cString: strerror(EISDIR)) : "it is not a regular file (a device, FIFO or socket)")
    }
    return (descriptor, Int(status.st_size))
}
