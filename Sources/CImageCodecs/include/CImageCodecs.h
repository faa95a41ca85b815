// Thin setjmp-guarded wrappers over libjpeg-turbo and libpng for ImpastoMedia.
//
// Both libraries report errors by longjmp, which must not cross Swift frames, so every call into
// them happens here, under a setjmp. Each entry point returns 0 on success, or nonzero with one
// sentence fragment in `error` (NUL-terminated, at most IC_ERROR_SIZE bytes). Decisions about what
// to accept (size limits, channel layouts, file handling) belong to the Swift side.
#ifndef CIMAGECODECS_H
#define CIMAGECODECS_H

#include <stddef.h>
#include <stdint.h>

#define IC_ERROR_SIZE 256

/// What a decode call will write: `height` rows of `width` interleaved pixels, `channels` samples
/// each, every sample `bytes_per_sample` bytes (2 means big-endian 16-bit).
typedef struct {
    int width;
    int height;
    int channels;
    int bytes_per_sample;
    /// JPEG only: the samples are CMYK as Adobe writes them, each ink stored as 255 - ink.
    int inverted_cmyk;
} ic_info;

/// Reads a JPEG header. Grayscale decodes to 1 channel, YCbCr/RGB to 3 (RGB), CMYK/YCCK to 4 (CMYK).
int ic_jpeg_info(const uint8_t *data, size_t size, ic_info *info, char *error);
/// Decodes a JPEG into `pixels`, which must hold exactly the bytes `ic_jpeg_info` describes.
/// A file that ends early is an error, not a gray-filled image, and so is a progressive JPEG of more
/// than `max_scans` scans, or of scans that cover more than `max_scan_pixels` together (each scan walks
/// the whole image, so thousands of them take hours).
int ic_jpeg_decode(const uint8_t *data, size_t size, uint8_t *pixels, size_t pixels_size, int max_scans,
                   int64_t max_scan_pixels, char *error);

/// Reads a PNG header. Palettes expand to RGB, tRNS to an alpha channel, bit depths below 8 to 8;
/// 16-bit samples stay 16-bit. Channels: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA.
int ic_png_info(const uint8_t *data, size_t size, ic_info *info, char *error);
/// Decodes a PNG into `pixels`, which must hold exactly the bytes `ic_png_info` describes.
int ic_png_decode(const uint8_t *data, size_t size, uint8_t *pixels, size_t pixels_size, char *error);

/// Encodes 8-bit interleaved pixels (1 gray or 3 RGB channels) as a JPEG of the given quality (1-100).
/// On success `*out` holds `*out_size` bytes the caller releases with `ic_free`.
int ic_jpeg_encode(const uint8_t *pixels, int width, int height, int channels, int quality,
                   uint8_t **out, size_t *out_size, char *error);

/// One PNG text chunk: written as tEXt when `utf8` is 0 (key and text are Latin-1), else as iTXt.
typedef struct {
    const char *key;
    const char *text;
    int utf8;
} ic_text;

/// Encodes 8-bit interleaved pixels (1 to 4 channels: gray, gray+alpha, RGB, RGBA) as a PNG with the
/// given text chunks. On success `*out` holds `*out_size` bytes the caller releases with `ic_free`.
int ic_png_encode(const uint8_t *pixels, int width, int height, int channels,
                  const ic_text *texts, int text_count, uint8_t **out, size_t *out_size, char *error);

/// Releases a buffer returned by an encoder.
void ic_free(void *buffer);

#endif
