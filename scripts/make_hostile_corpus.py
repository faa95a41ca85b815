#!/usr/bin/env python3
"""Writes the hostile corpus into Tests/Corpus/: malformed images, checkpoints, pickles and safetensors
files that HostileCorpusTests runs through the release binary (`impasto inspect FILE`).

    python3 scripts/make_hostile_corpus.py

Python 3 standard library only; deterministic (the same bytes on every run). Images are built from
scratch or from the committed media fixtures; pickles are assembled opcode by opcode, so nothing here
ever imports torch or loads a pickle.

- refused/   every file must end with exit status 1 and one sentence on stderr ("error: ... .") naming it
- accepted/  hostile-looking but legal files that must load (exit status 0, nothing on stderr)

Categories (the file names say which case each is):
- png-*, jpeg-*  empty, signature-only and truncated files, headers claiming 30000×16666, 65535×65535,
                 a 40000-pixel side or just over 100 megapixels, zero or 2³¹-wide sizes, bad CRCs, bit
                 depths, colour types, Huffman and quantization tables, missing chunks and scans,
                 progressive JPEGs of 25,000 or 1,001 scans (and 1,000, accepted), lying EXIF (accepted)
- ckpt-zip-*     torch.save archives with missing storages or data.pkl, negative, overflowing and
                 stride-0 shapes, strides and offsets, tensors beyond 8 GiB or 64 dimensions, globals
                 that run code, big-endian and deflated entries, corrupt ZIP directories, 30,000-deep
                 nesting and DAG bombs; numpy scalars and plain values beside tensors (accepted)
- legacy-*       pre-1.6 checkpoints with bad magic, lying storage sizes and views, os.system
- pickle-*       bare pickles: os.system and other globals, unknown opcodes and protocols, lying
                 lengths, 100,000-deep tuples and MARKs, a tuple DAG
- st-*           safetensors with lying header lengths, bad JSON, unknown dtypes, out-of-range,
                 overlapping, reversed and gapped offsets, overflowing shapes, 1000 dimensions

Files that have to be "huge" (30000×16666 pixels, a 2⁶²-element tensor) claim it in their headers only;
the whole corpus stays well under 1 MB. Special files (a FIFO, /dev/zero, a directory) cannot be
committed; the test makes them.
"""
import pathlib
import shutil
import struct
import zipfile
import zlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "Corpus"
MEDIA = ROOT / "Tests" / "ImpastoMediaTests" / "Fixtures"

corpus = {}


def add(kind, name, data):
    """Records one corpus file: kind is "refused" or "accepted"."""
    assert (kind, name) not in corpus, name
    corpus[(kind, name)] = bytes(data)


def refused(name, data):
    add("refused", name, data)


def accepted(name, data):
    add("accepted", name, data)


# MARK: - PNG


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def ihdr(width, height, depth=8, color=2, interlace=0):
    return png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, interlace))


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png(width, height, idat, depth=8, color=2, extra=b""):
    return PNG_SIGNATURE + ihdr(width, height, depth, color) + extra + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


def small_rgb_rows(width, height):
    return zlib.compress(b"".join(b"\x00" + bytes((x * 7 + y * 3) % 256 for x in range(3 * width)) for y in range(height)))


def make_png():
    good = png(16, 16, small_rgb_rows(16, 16))
    tiny_idat = zlib.compress(b"\x00" * 64)
    refused("png-empty.png", b"")
    refused("png-signature-only.png", PNG_SIGNATURE)
    refused("png-cut-in-ihdr.png", good[:20])
    refused("png-cut-in-idat.png", good[: len(good) - 40])
    refused("png-cut-fixture-rgb.png", (MEDIA / "rgb.png").read_bytes()[:3000])
    refused("png-cut-fixture-interlaced.png", (MEDIA / "interlaced.png").read_bytes()[:4000])
    refused("png-cut-fixture-rgb16.png", (MEDIA / "rgb16.png").read_bytes()[:5000])
    # The case: a 2 KB file whose header claims 30000×16666 pixels (8 GB as float RGB).
    refused("png-header-30000x16666.png", png(30000, 16666, tiny_idat))
    refused("png-header-65535x65535.png", png(65535, 65535, tiny_idat))
    refused("png-header-side-40000x10.png", png(40000, 10, tiny_idat))
    refused("png-header-10001x10000.png", png(10001, 10000, tiny_idat))
    refused("png-header-width-2147483647.png", png(0x7FFFFFFF, 1, tiny_idat))
    refused("png-header-width-zero.png", png(0, 16, tiny_idat))
    # Plausible size, lying data: 64 megapixels declared, 100 bytes of pixels.
    refused("png-lying-8000x8000.png", png(8000, 8000, tiny_idat))
    bad_crc = bytearray(good)
    bad_crc[29] ^= 0xFF
    refused("png-ihdr-bad-crc.png", bad_crc)
    refused("png-bit-depth-3.png", png(16, 16, small_rgb_rows(16, 16), depth=3))
    refused("png-color-type-5.png", png(16, 16, small_rgb_rows(16, 16), color=5))
    refused("png-palette-without-plte.png", png(16, 16, zlib.compress(b"\x00" * 17 * 16), color=3))
    refused("png-idat-not-zlib.png", png(16, 16, b"this is not a zlib stream at all"))
    refused("png-no-idat.png", PNG_SIGNATURE + ihdr(16, 16) + png_chunk(b"IEND", b""))
    refused("png-chunk-length-2gib.png", PNG_SIGNATURE + ihdr(16, 16) + struct.pack(">I", 0x7FFFFFF0) + b"IDAT" + b"\x78\x9c")
    refused("png-too-few-rows.png", png(16, 16, small_rgb_rows(16, 3)))


# MARK: - JPEG


def jpeg_segments(data):
    """(marker, payload) pairs up to and including the first SOS, then the rest as one blob."""
    at, segments = 2, []
    while True:
        assert data[at] == 0xFF
        marker = data[at + 1]
        length = struct.unpack(">H", data[at + 2 : at + 4])[0]
        segments.append((marker, data[at + 4 : at + 2 + length]))
        at += 2 + length
        if marker == 0xDA:
            return segments, data[at:]


def jpeg_join(segments, rest=b""):
    out = b"\xff\xd8"
    for marker, payload in segments:
        out += bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload
    return out + rest


def with_frame(data, width, height, precision=None, components=None):
    """`data` with its SOF0/SOF2 header declaring another size (and optionally precision)."""
    segments, rest = jpeg_segments(data)
    patched = []
    for marker, payload in segments:
        if marker in (0xC0, 0xC2):
            payload = bytearray(payload)
            payload[1:5] = struct.pack(">HH", height, width)
            if precision is not None:
                payload[0] = precision
            if components is not None:
                payload = payload[:5] + bytes([components])
        patched.append((marker, bytes(payload)))
    return jpeg_join(patched, rest)


def progressive_scans(width, height, scans, data=b"", end=b"\xff\xd9"):
    """A one-component progressive JPEG of `scans` DC scans, each followed by `data`. Without data a
    scan still walks every block of the image (decoders fill in gray), which is what makes thousands
    of them hang a decoder. One byte, 0x7F, codes the DC of a single 8×8 block: a valid file."""
    out = b"\xff\xd8"
    out += b"\xff\xdb\x00\x43\x00" + b"\x01" * 64
    out += b"\xff\xc2\x00\x0b\x08" + struct.pack(">HH", height, width) + b"\x01\x01\x11\x00"
    out += b"\xff\xc4\x00\x14\x00" + bytes([1] + [0] * 15) + b"\x00"
    out += (b"\xff\xda\x00\x08\x01\x01\x00\x00\x00\x00" + data) * scans
    return out + end


def make_jpeg():
    rgb = (MEDIA / "rgb.jpg").read_bytes()
    progressive = (MEDIA / "progressive.jpg").read_bytes()
    refused("jpeg-empty.jpg", b"")
    refused("jpeg-soi-only.jpg", b"\xff\xd8\xff")
    refused("jpeg-cut-in-header.jpg", rgb[:100])
    refused("jpeg-cut-in-scan.jpg", rgb[: len(rgb) * 2 // 3])
    refused("jpeg-cut-fixture-progressive.jpg", progressive[: len(progressive) * 2 // 3])
    refused("jpeg-cut-fixture-cmyk.jpg", (MEDIA / "cmyk.jpg").read_bytes()[:1500])
    refused("jpeg-header-30000x16666.jpg", with_frame(rgb, 30000, 16666))
    refused("jpeg-header-65535x65535.jpg", with_frame(rgb, 65535, 65535))
    refused("jpeg-header-side-40000x8.jpg", with_frame(rgb, 40000, 8))
    refused("jpeg-header-10001x10000.jpg", with_frame(rgb, 10001, 10000))
    refused("jpeg-header-height-zero.jpg", with_frame(rgb, 64, 0))
    refused("jpeg-header-12-bit.jpg", with_frame(rgb, 64, 48, precision=12))
    refused("jpeg-header-zero-components.jpg", with_frame(rgb, 64, 48, components=0))
    # Plausible size, lying data: 12 megapixels declared, a 48×64 image's scans. Pillow fills in the
    # missing blocks with gray when the data ends in a marker rather than at the end of the file.
    accepted("jpeg-lying-4000x3000.jpg", with_frame(rgb, 4000, 3000))
    accepted("jpeg-progressive-lying-4000x3000.jpg", with_frame(progressive, 4000, 3000))
    # The hang: 25,000 empty scans of a 4096×4096 frame, each walking its 262,144 blocks.
    refused("jpeg-progressive-25000-scans.jpg", progressive_scans(4096, 4096, 25000))
    refused("jpeg-progressive-1001-scans.jpg", progressive_scans(8, 8, 1001, data=b"\x7f"))
    # Few scans, but of the largest image allowed: 101 of them cover more pixels than decoding allows.
    refused("jpeg-progressive-101-scans-10000x10000.jpg", progressive_scans(10000, 10000, 101))
    accepted("jpeg-progressive-1000-scans.jpg", progressive_scans(8, 8, 1000, data=b"\x7f"))
    segments, rest = jpeg_segments(rgb)
    no_tables = [(m, p) for m, p in segments if m != 0xDB]
    refused("jpeg-undefined-quantization-table.jpg", jpeg_join(no_tables, rest))
    bad_huffman = [(m, p[:1] + bytes([255] * 16) + p[17:] if m == 0xC4 else p) for m, p in segments]
    refused("jpeg-bad-huffman-table.jpg", jpeg_join(bad_huffman, rest))
    before_scan = [(m, p) for m, p in segments if m != 0xDA]
    refused("jpeg-no-scan.jpg", jpeg_join(before_scan, b"\xff\xd9"))
    refused("jpeg-garbage-after-soi.jpg", b"\xff\xd8\xff" + bytes(range(256)) * 4)

    # EXIF whose IFD offset and entry count point far outside the segment: the orientation is ignored.
    exif = b"Exif\x00\x00MM\x00\x2a\xff\xff\xff\xf0" + b"\xff" * 16
    accepted("jpeg-exif-offsets-outside.jpg", rgb[:2] + b"\xff\xe1" + struct.pack(">H", len(exif) + 2) + exif + rgb[2:])
    exif = b"Exif\x00\x00II\x2a\x00\x08\x00\x00\x00\xff\xff" + b"\x12\x01\x03\x00" * 4
    accepted("jpeg-exif-65535-entries.jpg", rgb[:2] + b"\xff\xe1" + struct.pack(">H", len(exif) + 2) + exif + rgb[2:])


# MARK: - Pickles


def long1(value):
    """LONG1: any integer, as little-endian two's complement."""
    size = (value.bit_length() + 8) // 8 if value else 0
    return b"\x8a" + bytes([size]) + value.to_bytes(size, "little", signed=True)


def text(value):
    data = value.encode()
    return b"X" + struct.pack("<I", len(data)) + data


def glob(module, name):
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def ints(values):
    return b"(" + b"".join(long1(v) for v in values) + b"t"


def storage_id(key, count, kind="FloatStorage", legacy=False):
    fields = text("storage") + glob("torch", kind) + text(key) + text("cpu") + long1(count)
    if legacy:
        fields += b"N"
    return b"(" + fields + b"tQ"


def tensor(key, count, offset, shape, strides, kind="FloatStorage", legacy=False):
    return (glob("torch._utils", "_rebuild_tensor_v2") + b"(" + storage_id(key, count, kind, legacy)
            + long1(offset) + ints(shape) + ints(strides) + b"\x89"
            + glob("collections", "OrderedDict") + b")R" + b"tR")


def pickle_dict(items):
    """A protocol-2 pickle of a dict; `items` are (key, opcodes) pairs."""
    return b"\x80\x02}(" + b"".join(text(k) + v for k, v in items) + b"u."


def numpy_scalar(dtype, raw, module="numpy._core.multiarray"):
    """What pickle writes for numpy.float64(x) and friends (numpy >= 1.x, protocol 2)."""
    dtype_object = (glob("numpy", "dtype") + text(dtype) + b"\x89\x88\x87R"
                    + b"(" + long1(3) + text("<") + b"NNN" + long1(-1) + long1(-1) + long1(0) + b"tb")
    encoded = glob("_codecs", "encode") + text(raw.decode("latin1")) + text("latin1") + b"\x86R"
    return glob(module, "scalar") + dtype_object + encoded + b"\x86R"


def calls(module, name, argument):
    return glob(module, name) + b"(" + text(argument) + b"tR"


# MARK: - Checkpoints (ZIP)


def checkpoint(pickle, storages=None, byteorder=b"little", compress_pickle=False):
    """A torch.save ZIP archive: archive/data.pkl, archive/byteorder, archive/data/<key>."""
    import io

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        method = zipfile.ZIP_DEFLATED if compress_pickle else zipfile.ZIP_STORED
        archive.writestr(zipfile.ZipInfo("archive/data.pkl", (1980, 1, 1, 0, 0, 0)), pickle, compress_type=method)
        if byteorder is not None:
            archive.writestr(zipfile.ZipInfo("archive/byteorder", (1980, 1, 1, 0, 0, 0)), byteorder)
        for key, data in (storages or {}).items():
            archive.writestr(zipfile.ZipInfo("archive/data/" + key, (1980, 1, 1, 0, 0, 0)), data)
    return buffer.getvalue()


FLOATS = struct.pack("<4f", 1, 2, 3, 4)


def one_tensor(shape, strides, offset=0, count=4, key="0", kind="FloatStorage", data=FLOATS):
    return checkpoint(pickle_dict([("w", tensor(key, count, offset, shape, strides, kind))]), {key: data})


def make_zip_checkpoints():
    refused("ckpt-zip-missing-storage.pt", checkpoint(pickle_dict([("w", tensor("0", 4, 0, [4], [1]))])))
    refused("ckpt-zip-no-data-pkl.pt", zip_without_pickle())
    refused("ckpt-zip-negative-shape.pt", one_tensor([-4], [1]))
    refused("ckpt-zip-negative-stride.pt", one_tensor([4], [-1], offset=3))
    refused("ckpt-zip-negative-offset.pt", one_tensor([4], [1], offset=-1))
    refused("ckpt-zip-shape-overflows-int.pt", one_tensor([1 << 62, 8], [0, 0]))
    # The heap overflow: stride 0 and a shape whose float32 size wraps 64 bits.
    refused("ckpt-zip-stride0-wrapping-bytes.pt", one_tensor([1 << 31, 1 << 31], [0, 0]))
    refused("ckpt-zip-stride0-64gib.pt", one_tensor([1 << 34], [0]))
    refused("ckpt-zip-stride0-1gib-from-16-bytes.pt", one_tensor([1 << 28], [0]))
    refused("ckpt-zip-stride-overflows.pt", one_tensor([4, 4], [1 << 62, 1]))
    refused("ckpt-zip-offset-past-end.pt", one_tensor([1], [1], offset=4))
    refused("ckpt-zip-offset-int-max.pt", one_tensor([1], [1], offset=(1 << 63) - 1))
    refused("ckpt-zip-view-past-end.pt", one_tensor([2, 2], [3, 1]))
    refused("ckpt-zip-zero-size-huge-dims.pt", one_tensor([0, 1 << 40, 1 << 40], [1, 1, 1]))
    refused("ckpt-zip-1000-dims.pt", one_tensor([1] * 1000, [1] * 1000))
    refused("ckpt-zip-shape-stride-lengths-differ.pt", one_tensor([2, 2], [2]))
    refused("ckpt-zip-storage-smaller-than-declared.pt", one_tensor([4], [1], count=1000))
    refused("ckpt-zip-storage-count-huge.pt", one_tensor([4], [1], count=1 << 62))
    refused("ckpt-zip-complex-storage.pt", one_tensor([2], [1], kind="ComplexFloatStorage"))
    refused("ckpt-zip-posix-system.pt", checkpoint(pickle_dict([("w", calls("posix", "system", "touch /tmp/impasto-pwned"))])))
    refused("ckpt-zip-builtins-eval.pt", checkpoint(pickle_dict([("w", calls("builtins", "eval", "__import__('os')"))])))
    refused("ckpt-zip-big-endian.pt", checkpoint(pickle_dict([("w", tensor("0", 4, 0, [4], [1]))]), {"0": FLOATS}, byteorder=b"big"))
    refused("ckpt-zip-deflated-pickle.pt", checkpoint(pickle_dict([("w", tensor("0", 4, 0, [4], [1]))]), {"0": FLOATS}, compress_pickle=True))
    good = checkpoint(pickle_dict([("w", tensor("0", 4, 0, [4], [1]))]), {"0": FLOATS})
    refused("ckpt-zip-cut-in-half.pt", good[: len(good) // 2])
    refused("ckpt-zip-directory-entries-65535.pt", patch_end_record(good, entries=0xFFFF))
    refused("ckpt-zip-directory-offset-past-end.pt", patch_end_record(good, offset=0x7FFFFFFF))
    refused("ckpt-zip-local-header-offset-past-end.pt", patch_directory(good, 42, struct.pack("<I", 0x7FFFFFF0)))
    refused("ckpt-zip-entry-size-4gib.pt", patch_directory(good, 20, struct.pack("<I", 0xFFFFFFF0)))
    refused("ckpt-zip-rebuild-wrong-arguments.pt", checkpoint(pickle_dict([("w", glob("torch._utils", "_rebuild_tensor_v2") + b"(" + text("x") + b"tR")])))
    refused("ckpt-zip-persistent-id-wrong-form.pt", checkpoint(pickle_dict([("w", b"(" + text("storage") + b"tQ")])))
    refused("ckpt-zip-root-not-dict.pt", checkpoint(b"\x80\x02" + long1(7) + b"."))
    # 30,000 dicts nested in one another (each the value of the one before).
    depth = 30000
    refused("ckpt-zip-nested-dicts-30000.pt", checkpoint(b"\x80\x02}" + b"N}" * (depth - 1) + b"s" * (depth - 1) + b"."))
    # A DAG bomb: 64 levels, each a dict holding the level below under two keys; walking it by keys
    # would visit 2^64 entries.
    refused("ckpt-zip-dag-dicts-64.pt", checkpoint(dag_dicts(64, b"K\x01")))
    # The same with a 16-byte tensor at the bottom: 2^24 copies of it, 256 MB, from a 1 KB file.
    refused("ckpt-zip-dag-tensors-24.pt", checkpoint(dag_dicts(24, tensor("0", 4, 0, [4], [1])), {"0": FLOATS}))

    # Plain Python values and numpy scalars beside the tensors, as training scripts save them: loaded,
    # and skipped because they are not tensors.
    extras = [
        ("model", b"}(" + text("w") + tensor("0", 4, 0, [2, 2], [2, 1]) + text("b") + tensor("0", 4, 2, [2], [1]) + b"u"),
        ("epoch", long1(12)), ("lr", b"G" + struct.pack(">d", 1e-3)), ("name", text("candy")),
        ("flags", b"\x88\x89N\x87"), ("milestones", b"](" + long1(30) + long1(60) + b"e"),
        ("best_acc", numpy_scalar("f8", struct.pack("<d", 0.875))),
        ("step", numpy_scalar("i8", struct.pack("<q", 4000))),
        ("loss", numpy_scalar("f4", struct.pack("<f", 0.5))),
        ("payload", glob("_codecs", "encode") + text("\u00e9t\u00e9") + text("latin1") + b"\x86R"),
        ("big", long1(1 << 80)), ("blob", b"C\x03abc"),
    ]
    accepted("ckpt-zip-numpy-scalars-and-python-values.pt", checkpoint(pickle_dict(extras), {"0": FLOATS}))
    accepted("ckpt-zip-numpy1-scalar.pt", checkpoint(pickle_dict([
        ("w", tensor("0", 4, 0, [4], [1])),
        ("acc", numpy_scalar("f8", struct.pack("<d", 0.5), module="numpy.core.multiarray")),
    ]), {"0": FLOATS}))
    # A broadcast view (stride 0) of reasonable size and tied weights: legal, and loaded.
    accepted("ckpt-zip-stride0-and-tied.pt", checkpoint(pickle_dict([
        ("expanded", tensor("0", 4, 1, [256, 4], [0, 0])),
        ("tied.a", tensor("0", 4, 0, [4], [1])), ("tied.b", tensor("0", 4, 0, [2, 2], [2, 1])),
    ]), {"0": FLOATS}))


def dag_dicts(levels, leaf):
    """A dict whose values are the dict of the level below, twice, through the memo."""
    out = b"\x80\x02" + leaf + b"q\x00"
    for level in range(levels):
        out += b"}(" + text("a") + b"h\x00" + text("b") + b"h\x00" + b"u" + b"q\x00"
    return out + b"."


def zip_without_pickle():
    import io

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr(zipfile.ZipInfo("archive/data/0", (1980, 1, 1, 0, 0, 0)), FLOATS)
    return buffer.getvalue()


def patch_end_record(data, entries=None, offset=None):
    data = bytearray(data)
    end = data.rfind(b"PK\x05\x06")
    if entries is not None:
        data[end + 8 : end + 12] = struct.pack("<HH", entries, entries)
    if offset is not None:
        data[end + 16 : end + 20] = struct.pack("<I", offset)
    return bytes(data)


def patch_directory(data, field, value):
    """Overwrites `field` (a byte offset into the central directory header) of every entry."""
    data = bytearray(data)
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        data[at + field : at + field + len(value)] = value
        at = data.find(b"PK\x01\x02", at + 4)
    return bytes(data)


# MARK: - Legacy checkpoints and bare pickles

LEGACY_MAGIC = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19."
LEGACY_HEADER = (LEGACY_MAGIC + b"\x80\x02" + long1(1001) + b"."
                 + b"\x80\x02}(" + text("protocol_version") + long1(1001) + text("little_endian") + b"\x88u.")


def legacy(objects, keys, data):
    return LEGACY_HEADER + b"\x80\x02" + objects + b"." + b"\x80\x02](" + b"".join(text(k) for k in keys) + b"e." + data


def legacy_tensor(key, count, offset, shape, strides, view=None):
    fields = text("storage") + glob("torch", "FloatStorage") + text(key) + text("cpu") + long1(count)
    fields += view if view is not None else b"N"
    return (glob("torch._utils", "_rebuild_tensor_v2") + b"(" + b"(" + fields + b"tQ" + long1(offset)
            + ints(shape) + ints(strides) + b"tR")


def legacy_dict(items):
    return b"}(" + b"".join(text(k) + v for k, v in items) + b"u"


def make_legacy_and_pickles():
    w = legacy_tensor("1", 4, 0, [4], [1])
    stored = struct.pack("<q", 4) + FLOATS
    refused("legacy-bad-magic.pt", b"\x80\x02" + long1(12345) + b"." + LEGACY_HEADER[len(LEGACY_MAGIC):])
    refused("legacy-cut-after-magic.pt", LEGACY_MAGIC)
    refused("legacy-storage-count-mismatch.pt", legacy(legacy_dict([("w", w)]), ["1"], struct.pack("<q", 5) + FLOATS))
    refused("legacy-storage-count-huge.pt", legacy(legacy_dict([("w", legacy_tensor("1", 1 << 60, 0, [4], [1]))]), ["1"], struct.pack("<q", 1 << 60) + FLOATS))
    refused("legacy-data-cut.pt", legacy(legacy_dict([("w", w)]), ["1"], stored[:10]))
    refused("legacy-unknown-storage-key.pt", legacy(legacy_dict([("w", w)]), ["2"], stored))
    refused("legacy-keys-not-a-list.pt", LEGACY_HEADER + b"\x80\x02" + legacy_dict([("w", w)]) + b"." + b"\x80\x02N." + stored)
    refused("legacy-view-outside-storage.pt", legacy(legacy_dict([("w", legacy_tensor("1", 4, 0, [4], [1], view=b"(" + text("1") + long1(3) + long1(4) + b"t"))]), ["1"], stored))
    refused("legacy-storage-declared-twice.pt", legacy(legacy_dict([("w", w), ("v", legacy_tensor("1", 8, 0, [4], [1]))]), ["1"], stored))
    refused("legacy-os-system.pt", legacy(legacy_dict([("w", calls("os", "system", "id"))]), [], b""))
    refused("legacy-negative-stride-shape.pt", legacy(legacy_dict([("w", legacy_tensor("1", 4, 0, [-1, 4], [4, -1]))]), ["1"], stored))

    refused("pickle-os-system.pkl", b"\x80\x02" + calls("os", "system", "touch /tmp/impasto-pwned") + b".")
    refused("pickle-subprocess-popen.pkl", b"\x80\x02" + calls("subprocess", "Popen", "id") + b".")
    refused("pickle-numpy-load.pkl", b"\x80\x02" + calls("numpy", "load", "/etc/passwd") + b".")
    refused("pickle-codecs-rot13.pkl", b"\x80\x02" + glob("_codecs", "encode") + text("abc") + text("rot13") + b"\x86R.")
    refused("pickle-protocol-9.pkl", b"\x80\x09N.")
    refused("pickle-opcode-inst.pkl", b"\x80\x02(ios\nsystem\n.")
    refused("pickle-empty-stack-reduce.pkl", b"\x80\x02R.")
    refused("pickle-unset-memo.pkl", b"\x80\x02h\x07.")
    refused("pickle-unicode-4gib-length.pkl", b"\x80\x02X\xff\xff\xff\xffabc.")
    refused("pickle-bytes8-huge-length.pkl", b"\x80\x02\x8e" + struct.pack("<Q", 1 << 63) + b"abc.")
    refused("pickle-long4-negative-length.pkl", b"\x80\x02\x8b\xff\xff\xff\xff.")
    refused("pickle-invalid-utf8.pkl", b"\x80\x02X\x02\x00\x00\x00\xc3\x28.")
    refused("pickle-no-stop.pkl", b"\x80\x02}(" + text("a") + long1(1))
    # 100,000 tuples, each holding the one before: freed recursively, this overflows the stack.
    refused("pickle-nested-tuples-100000.pkl", b"\x80\x02)" + b"\x85" * 100000 + b".")
    # 100,000 open MARKs.
    refused("pickle-marks-100000.pkl", b"\x80\x02" + b"(" * 100000 + b".")
    # A tuple DAG 2,000 levels deep: each level is (previous, previous) through the memo.
    refused("pickle-dag-tuples-2000.pkl", b"\x80\x02)q\x00" + b"h\x00h\x00\x86q\x00" * 2000 + b".")


# MARK: - safetensors


def safetensors(header, data=b"", length=None):
    header = header.encode() if isinstance(header, str) else header
    return struct.pack("<Q", len(header) if length is None else length) + header + data


def entry(name, dtype, shape, begin, end):
    return '"%s":{"dtype":"%s","shape":[%s],"data_offsets":[%s,%s]}' % (
        name, dtype, ",".join(str(s) for s in shape), begin, end)


def make_safetensors():
    one = "{" + entry("w", "F32", [4], 0, 16) + "}"
    refused("st-empty.safetensors", b"")
    refused("st-cut-in-length.safetensors", b"\x10\x00\x00")
    refused("st-header-length-huge.safetensors", safetensors(one, FLOATS, length=1 << 63))
    refused("st-header-length-past-end.safetensors", safetensors(one, FLOATS, length=4096))
    refused("st-header-length-lies-short.safetensors", safetensors(one, FLOATS, length=len(one) - 5))
    refused("st-header-not-json.safetensors", safetensors("{this is not json}    ", FLOATS))
    refused("st-header-array.safetensors", safetensors("[1, 2, 3]", FLOATS))
    refused("st-header-nested-10000.safetensors", safetensors('{"w":' + "[" * 10000 + "]" * 10000 + "}"))
    refused("st-unknown-dtype.safetensors", safetensors("{" + entry("w", "F8_E4M3", [16], 0, 16) + "}", FLOATS))
    refused("st-dtype-complex.safetensors", safetensors("{" + entry("w", "C64", [2], 0, 16) + "}", FLOATS))
    refused("st-offsets-past-end.safetensors", safetensors("{" + entry("w", "F32", [8], 0, 32) + "}", FLOATS))
    refused("st-offsets-overlap.safetensors", safetensors("{" + entry("a", "F32", [3], 0, 12) + "," + entry("b", "F32", [3], 4, 16) + "}", FLOATS))
    refused("st-offsets-same-range.safetensors", safetensors("{" + entry("a", "F32", [4], 0, 16) + "," + entry("b", "F32", [4], 0, 16) + "}", FLOATS))
    refused("st-offsets-reversed.safetensors", safetensors("{" + entry("w", "F32", [0], 16, 0) + "}", FLOATS))
    refused("st-offsets-negative.safetensors", safetensors("{" + entry("w", "F32", [4], -16, 0) + "}", FLOATS))
    refused("st-offsets-int-max.safetensors", safetensors("{" + entry("w", "F32", [4], 9223372036854775791, 9223372036854775807) + "}", FLOATS))
    refused("st-offsets-beyond-int64.safetensors", safetensors("{" + entry("w", "F32", [4], 0, 18446744073709551616) + "}", FLOATS))
    refused("st-offsets-float.safetensors", safetensors("{" + entry("w", "F32", [4], 0.5, 16) + "}", FLOATS))
    refused("st-offsets-gap.safetensors", safetensors("{" + entry("w", "F32", [3], 4, 16) + "}", FLOATS))
    refused("st-trailing-bytes.safetensors", safetensors(one, FLOATS + b"junk"))
    refused("st-shape-negative.safetensors", safetensors("{" + entry("w", "F32", [-4], 0, 16) + "}", FLOATS))
    refused("st-shape-overflows-int.safetensors", safetensors("{" + entry("w", "F32", [1 << 62, 8], 0, 16) + "}", FLOATS))
    refused("st-shape-bytes-wrap.safetensors", safetensors("{" + entry("w", "F32", [1 << 62], 0, 0) + "}"))
    refused("st-shape-mismatch.safetensors", safetensors("{" + entry("w", "F32", [5], 0, 16) + "}", FLOATS))
    refused("st-zero-size-huge-dims.safetensors", safetensors("{" + entry("w", "F32", [0, 1 << 40, 1 << 40], 0, 0) + "}"))
    refused("st-1000-dims.safetensors", safetensors("{" + entry("w", "F32", [1] * 1000, 0, 4) + "}", FLOATS[:4]))
    refused("st-metadata-not-strings.safetensors", safetensors('{"__metadata__":{"epoch":3},' + one[1:], FLOATS))
    refused("st-entry-not-object.safetensors", safetensors('{"w":"F32"}'))
    refused("st-missing-offsets.safetensors", safetensors('{"w":{"dtype":"F32","shape":[4]}}', FLOATS))
    refused("st-invalid-utf8-key.safetensors", safetensors(b'{"\xc3\x28":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}', FLOATS))


def main():
    make_png()
    make_jpeg()
    make_zip_checkpoints()
    make_legacy_and_pickles()
    make_safetensors()
    for kind in ("refused", "accepted"):
        shutil.rmtree(OUT / kind, ignore_errors=True)
        (OUT / kind).mkdir(parents=True)
    for (kind, name), data in sorted(corpus.items()):
        (OUT / kind / name).write_bytes(data)
    sizes = sum(len(d) for d in corpus.values())
    kinds = {k: sum(1 for kind, _ in corpus if kind == k) for k in ("refused", "accepted")}
    print(f"{kinds['refused']} refused and {kinds['accepted']} accepted files, {sizes} bytes in all")
    assert sizes < 1_000_000


if __name__ == "__main__":
    main()
