// See include/CImageCodecs.h. Every function that calls into libjpeg or libpng holds the setjmp its
// error handler jumps back to; buffers that must survive the jump belong to the caller's frame.
#include "CImageCodecs.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>
#include <png.h>

static const char *truncated = "the file ends before the image data does";

// MARK: - Growable output buffer shared by both encoders

typedef struct {
    uint8_t *data;
    size_t size;
    size_t capacity;
} ic_buffer;

static int buffer_append(ic_buffer *buffer, const void *bytes, size_t count) {
    if (count > buffer->capacity - buffer->size) {
        size_t capacity = buffer->capacity ? buffer->capacity : 65536;
        while (count > capacity - buffer->size) capacity *= 2;
        uint8_t *grown = realloc(buffer->data, capacity);
        if (!grown) return 0;
        buffer->data = grown;
        buffer->capacity = capacity;
    }
    memcpy(buffer->data + buffer->size, bytes, count);
    buffer->size += count;
    return 1;
}

void ic_free(void *buffer) { free(buffer); }

// MARK: - JPEG

typedef struct {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    char *error;
} jpeg_guard;

static void jpeg_fail(j_common_ptr cinfo) {
    jpeg_guard *guard = (jpeg_guard *)cinfo->err;
    if (cinfo->err->msg_code == JWRN_JPEG_EOF) {
        snprintf(guard->error, IC_ERROR_SIZE, "%s", truncated);
    } else {
        char message[JMSG_LENGTH_MAX];
        cinfo->err->format_message(cinfo, message);
        snprintf(guard->error, IC_ERROR_SIZE, "%s", message);
    }
    longjmp(guard->jump, 1);
}

// Other warnings mean slightly corrupt but decodable data, which Pillow decodes too; a file that stops
// early, though, would come back padded with gray, where Pillow refuses it ("image file is truncated").
static void jpeg_message(j_common_ptr cinfo, int level) {
    if (level == -1 && cinfo->err->msg_code == JWRN_JPEG_EOF) jpeg_fail(cinfo);
}

static struct jpeg_error_mgr *jpeg_guard_init(jpeg_guard *guard, char *error) {
    jpeg_std_error(&guard->pub);
    guard->pub.error_exit = jpeg_fail;
    guard->pub.emit_message = jpeg_message;
    guard->error = error;
    return &guard->pub;
}

// Chooses the output colour space the way Pillow does (L, RGB, CMYK) and reports the layout.
static void jpeg_configure(j_decompress_ptr cinfo, ic_info *info) {
    switch (cinfo->jpeg_color_space) {
    case JCS_GRAYSCALE: cinfo->out_color_space = JCS_GRAYSCALE; break;
    case JCS_CMYK:
    case JCS_YCCK: cinfo->out_color_space = JCS_CMYK; break;
    default: cinfo->out_color_space = JCS_RGB; break;
    }
    jpeg_calc_output_dimensions(cinfo);
    info->width = (int)cinfo->output_width;
    info->height = (int)cinfo->output_height;
    info->channels = cinfo->output_components;
    info->bytes_per_sample = 1;
    info->inverted_cmyk = cinfo->out_color_space == JCS_CMYK && cinfo->saw_Adobe_marker;
}

// A progress monitor that stops a decode once it reaches scan `max_scans + 1`. libjpeg calls it
// between every row of every scan while it buffers a progressive image, so the check comes early.
typedef struct {
    struct jpeg_progress_mgr pub;
    int max_scans;
} jpeg_scan_limit;

static void jpeg_check_scans(j_common_ptr cinfo) {
    j_decompress_ptr dinfo = (j_decompress_ptr)cinfo;
    jpeg_scan_limit *limit = (jpeg_scan_limit *)cinfo->progress;
    if (dinfo->input_scan_number <= limit->max_scans) return;
    jpeg_guard *guard = (jpeg_guard *)cinfo->err;
    snprintf(guard->error, IC_ERROR_SIZE,
             "it has more than %d progressive scans, the most Impasto decodes for an image of %u×%u pixels",
             limit->max_scans, dinfo->image_width, dinfo->image_height);
    longjmp(guard->jump, 1);
}

// The scans allowed for the image `cinfo` describes: `max_scans`, fewer when together they would cover
// more than `max_scan_pixels`, and at least one.
static int jpeg_scans_allowed(j_decompress_ptr cinfo, int max_scans, int64_t max_scan_pixels) {
    int64_t pixels = (int64_t)cinfo->image_width * (int64_t)cinfo->image_height;
    int64_t by_pixels = pixels > 0 ? max_scan_pixels / pixels : max_scans;
    return by_pixels < 1 ? 1 : by_pixels < max_scans ? (int)by_pixels : max_scans;
}

// Decodes into `pixels` when it is non-null, else only fills `info`.
static int jpeg_read_into(const uint8_t *data, size_t size, ic_info *info, uint8_t *pixels, size_t pixels_size,
                          int max_scans, int64_t max_scan_pixels, char *error) {
    struct jpeg_decompress_struct cinfo;
    jpeg_guard guard;
    jpeg_scan_limit limit = {.pub = {.progress_monitor = jpeg_check_scans}, .max_scans = max_scans};
    cinfo.err = jpeg_guard_init(&guard, error);
    if (setjmp(guard.jump)) {
        jpeg_destroy_decompress(&cinfo);
        return 1;
    }
    jpeg_create_decompress(&cinfo);
    cinfo.progress = &limit.pub;
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    jpeg_configure(&cinfo, info);
    limit.max_scans = jpeg_scans_allowed(&cinfo, max_scans, max_scan_pixels);
    if (pixels) {
        size_t stride = (size_t)info->width * (size_t)info->channels;
        if (stride * (size_t)info->height != pixels_size) ERREXIT(&cinfo, JERR_BUFFER_SIZE);
        jpeg_start_decompress(&cinfo);
        while (cinfo.output_scanline < cinfo.output_height) {
            JSAMPROW row = pixels + (size_t)cinfo.output_scanline * stride;
            jpeg_read_scanlines(&cinfo, &row, 1);
        }
        // No jpeg_finish_decompress: every pixel is in, and a missing EOI marker after them is harmless.
    }
    jpeg_destroy_decompress(&cinfo);
    return 0;
}

int ic_jpeg_info(const uint8_t *data, size_t size, ic_info *info, char *error) {
    return jpeg_read_into(data, size, info, NULL, 0, 1, 1, error);
}

int ic_jpeg_decode(const uint8_t *data, size_t size, uint8_t *pixels, size_t pixels_size, int max_scans,
                   int64_t max_scan_pixels, char *error) {
    ic_info info;
    return jpeg_read_into(data, size, &info, pixels, pixels_size, max_scans, max_scan_pixels, error);
}

typedef struct {
    struct jpeg_destination_mgr pub;
    ic_buffer *buffer;
    JOCTET chunk[16384];
} jpeg_sink;

static void jpeg_sink_init(j_compress_ptr cinfo) {
    jpeg_sink *sink = (jpeg_sink *)cinfo->dest;
    sink->pub.next_output_byte = sink->chunk;
    sink->pub.free_in_buffer = sizeof sink->chunk;
}

static boolean jpeg_sink_empty(j_compress_ptr cinfo) {
    jpeg_sink *sink = (jpeg_sink *)cinfo->dest;
    if (!buffer_append(sink->buffer, sink->chunk, sizeof sink->chunk)) ERREXIT1(cinfo, JERR_OUT_OF_MEMORY, 0);
    jpeg_sink_init(cinfo);
    return TRUE;
}

static void jpeg_sink_term(j_compress_ptr cinfo) {
    jpeg_sink *sink = (jpeg_sink *)cinfo->dest;
    size_t used = sizeof sink->chunk - sink->pub.free_in_buffer;
    if (!buffer_append(sink->buffer, sink->chunk, used)) ERREXIT1(cinfo, JERR_OUT_OF_MEMORY, 0);
}

static int jpeg_encode_into(ic_buffer *buffer, const uint8_t *pixels, int width, int height, int channels,
                            int quality, char *error) {
    struct jpeg_compress_struct cinfo;
    jpeg_guard guard;
    jpeg_sink sink = {.pub = {.init_destination = jpeg_sink_init, .empty_output_buffer = jpeg_sink_empty,
                              .term_destination = jpeg_sink_term},
                      .buffer = buffer};
    cinfo.err = jpeg_guard_init(&guard, error);
    if (setjmp(guard.jump)) {
        jpeg_destroy_compress(&cinfo);
        return 1;
    }
    jpeg_create_compress(&cinfo);
    cinfo.dest = &sink.pub;
    cinfo.image_width = (JDIMENSION)width;
    cinfo.image_height = (JDIMENSION)height;
    cinfo.input_components = channels;
    cinfo.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    size_t stride = (size_t)width * (size_t)channels;
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = (JSAMPROW)(pixels + (size_t)cinfo.next_scanline * stride);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    return 0;
}

int ic_jpeg_encode(const uint8_t *pixels, int width, int height, int channels, int quality,
                   uint8_t **out, size_t *out_size, char *error) {
    ic_buffer buffer = {0};
    if (jpeg_encode_into(&buffer, pixels, width, height, channels, quality, error)) {
        free(buffer.data);
        return 1;
    }
    *out = buffer.data;
    *out_size = buffer.size;
    return 0;
}

// MARK: - PNG

typedef struct {
    const uint8_t *data;
    size_t size;
    size_t position;
} png_source;

static void png_fail(png_structp png, png_const_charp message) {
    snprintf(png_get_error_ptr(png), IC_ERROR_SIZE, "%s", message);
    png_longjmp(png, 1);
}

// Warnings concern ancillary chunks that libpng then skips; Pillow reads those files too.
static void png_ignore(png_structp png, png_const_charp message) {
    (void)png;
    (void)message;
}

static void png_read_source(png_structp png, png_bytep out, size_t count) {
    png_source *source = png_get_io_ptr(png);
    if (count > source->size - source->position) png_error(png, truncated);
    memcpy(out, source->data + source->position, count);
    source->position += count;
}

// Asks libpng for 8- or 16-bit gray, gray+alpha, RGB or RGBA and returns the number of interlace passes.
static int png_configure(png_structp png, png_infop png_info, ic_info *info) {
    png_read_info(png, png_info);
    png_set_expand(png);
    int passes = png_set_interlace_handling(png);
    png_read_update_info(png, png_info);
    info->width = (int)png_get_image_width(png, png_info);
    info->height = (int)png_get_image_height(png, png_info);
    info->channels = png_get_channels(png, png_info);
    info->bytes_per_sample = png_get_bit_depth(png, png_info) == 16 ? 2 : 1;
    info->inverted_cmyk = 0;
    return passes;
}

// Decodes into `pixels` when it is non-null, else only fills `info`.
static int png_read_into(const uint8_t *data, size_t size, ic_info *info, uint8_t *pixels, size_t pixels_size,
                         char *error) {
    png_source source = {data, size, 0};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, error, png_fail, png_ignore);
    png_infop png_info = png ? png_create_info_struct(png) : NULL;
    if (!png_info) {
        snprintf(error, IC_ERROR_SIZE, "out of memory");
        png_destroy_read_struct(&png, NULL, NULL);
        return 1;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &png_info, NULL);
        return 1;
    }
    png_set_read_fn(png, &source, png_read_source);
    int passes = png_configure(png, png_info, info);
    if (pixels) {
        size_t stride = (size_t)info->width * (size_t)info->channels * (size_t)info->bytes_per_sample;
        if (stride * (size_t)info->height != pixels_size) png_error(png, "buffer size does not match the image");
        for (int pass = 0; pass < passes; pass++) {
            for (int y = 0; y < info->height; y++) png_read_row(png, pixels + (size_t)y * stride, NULL);
        }
    }
    png_destroy_read_struct(&png, &png_info, NULL);
    return 0;
}

int ic_png_info(const uint8_t *data, size_t size, ic_info *info, char *error) {
    return png_read_into(data, size, info, NULL, 0, error);
}

int ic_png_decode(const uint8_t *data, size_t size, uint8_t *pixels, size_t pixels_size, char *error) {
    ic_info info;
    return png_read_into(data, size, &info, pixels, pixels_size, error);
}

static void png_write_sink(png_structp png, png_bytep bytes, size_t count) {
    if (!buffer_append(png_get_io_ptr(png), bytes, count)) png_error(png, "out of memory");
}

static void png_flush_sink(png_structp png) { (void)png; }

static int png_encode_into(ic_buffer *buffer, const uint8_t *pixels, int width, int height, int channels,
                           const ic_text *texts, int text_count, char *error) {
    static const int color_types[] = {PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_COLOR_TYPE_RGB,
                                      PNG_COLOR_TYPE_RGB_ALPHA};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, error, png_fail, png_ignore);
    png_infop png_info = png ? png_create_info_struct(png) : NULL;
    if (!png_info) {
        snprintf(error, IC_ERROR_SIZE, "out of memory");
        png_destroy_write_struct(&png, NULL);
        return 1;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &png_info);
        return 1;
    }
    png_set_write_fn(png, buffer, png_write_sink, png_flush_sink);
    png_set_IHDR(png, png_info, (png_uint_32)width, (png_uint_32)height, 8, color_types[channels - 1],
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    for (int i = 0; i < text_count; i++) {
        png_text text = {0};
        text.compression = texts[i].utf8 ? PNG_ITXT_COMPRESSION_NONE : PNG_TEXT_COMPRESSION_NONE;
        text.key = (png_charp)texts[i].key;
        text.text = (png_charp)texts[i].text;
        png_set_text(png, png_info, &text, 1);
    }
    png_write_info(png, png_info);
    size_t stride = (size_t)width * (size_t)channels;
    for (int y = 0; y < height; y++) png_write_row(png, pixels + (size_t)y * stride);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &png_info);
    return 0;
}

int ic_png_encode(const uint8_t *pixels, int width, int height, int channels, const ic_text *texts,
                  int text_count, uint8_t **out, size_t *out_size, char *error) {
    ic_buffer buffer = {0};
    if (png_encode_into(&buffer, pixels, width, height, channels, texts, text_count, error)) {
        free(buffer.data);
        return 1;
    }
    *out = buffer.data;
    *out_size = buffer.size;
    return 0;
}
