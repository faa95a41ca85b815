#!/usr/bin/env python3
"""Builds Tests/ImpastoMediaTests/Fixtures/: small images cut from astronaut.png in every layout the
decoder must handle, and media.json with what Pillow makes of them (decoded pixels after
ImageOps.exif_transpose, resize results, grayscale conversion), which ImpastoMediaTests compare against.

Usage: ${IMPASTO_PYTHON:-python3} scripts/make_media_fixtures.py [--images /work/shared/images]
Needs Pillow and numpy; the versions used are recorded in media.json. Re-running overwrites the fixtures.
"""
import argparse
import base64
import hashlib
import io
import json
import platform
import struct
import zlib
from pathlib import Path

import numpy as np
import PIL
from PIL import Image, ImageOps, features

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "ImpastoMediaTests" / "Fixtures"


def b64(array: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(array).tobytes()).decode()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def write_png(path: Path, pixels: np.ndarray, interlaced: bool = False) -> None:
    """Writes 8- or 16-bit pixels (height × width × channels) by hand, filter type 0 on every row: Pillow
    writes neither 16-bit RGB nor interlaced PNGs."""
    height, width, channels = pixels.shape
    color_type = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
    samples = pixels.astype(">u2" if pixels.dtype == np.uint16 else np.uint8)
    passes = ADAM7 if interlaced else [(0, 0, 1, 1)]
    raw = b"".join(b"\0" + row.tobytes()
                   for x0, y0, dx, dy in passes
                   for row in samples[y0::dy, x0::dx]
                   if row.size)
    ihdr = struct.pack(">IIBBBBB", width, height, samples.itemsize * 8, color_type, 0, 0, int(interlaced))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", zlib.compress(raw, 9))
                     + png_chunk(b"IEND", b""))


def with_big_endian_exif(jpeg: bytes, orientation: int) -> bytes:
    """Inserts an APP1 segment with a Motorola-order (big-endian) TIFF header; Pillow writes Intel order."""
    ifd = struct.pack(">H", 1) + struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0) + struct.pack(">I", 0)
    payload = b"Exif\0\0" + b"MM\0\x2a" + struct.pack(">I", 8) + ifd
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=Path, default=Path("/work/shared/images"))
    args = parser.parse_args()
    source_path = args.images / "astronaut.png"
    astronaut = Image.open(source_path).convert("RGB")
    OUT.mkdir(parents=True, exist_ok=True)

    # 48×32 (wider than tall, so a missed transpose changes the shape) around the face and helmet edge.
    face = astronaut.crop((180, 70, 228, 102))
    small = astronaut.crop((150, 40, 190, 70))  # 40×30
    rgb = np.asarray(face)
    ramp = np.linspace(0, 255, face.width, dtype=np.float64)
    alpha = np.broadcast_to((ramp[None, :] * np.linspace(0.2, 1, face.height)[:, None]).round().astype(np.uint8),
                            (face.height, face.width))

    decoded = []

    def expect(name: str, image: Image.Image, note: str) -> None:
        array = np.asarray(image)
        if array.ndim == 2:
            array = array[:, :, None]
        decoded.append({"file": name, "width": image.width, "height": image.height, "channels": array.shape[2],
                        "bitsPerSample": 8, "pixels": b64(array), "note": note})

    def save(name: str, image: Image.Image, **options) -> Path:
        path = OUT / name
        image.save(path, **options)
        return path

    def pillow_decoded(path: Path, mode: str | None = None) -> Image.Image:
        image = ImageOps.exif_transpose(Image.open(path))
        return image.convert(mode) if mode else image

    # PNG: every colour type Pillow writes, plus a hand-made 16-bit RGB and 16-bit gray.
    expect("gray.png", pillow_decoded(save("gray.png", small.convert("L"))), "8-bit gray")
    la = Image.merge("LA", (face.convert("L"), Image.fromarray(alpha)))
    expect("gray_alpha.png", pillow_decoded(save("gray_alpha.png", la)), "8-bit gray + alpha")
    expect("rgb.png", pillow_decoded(save("rgb.png", face)), "8-bit RGB; also the resize source")
    rgba = Image.fromarray(np.dstack([rgb, alpha]), "RGBA")
    expect("rgba.png", pillow_decoded(save("rgba.png", rgba)), "8-bit RGBA, straight alpha")
    bilevel = small.convert("1")
    expect("bilevel.png", pillow_decoded(save("bilevel.png", bilevel), "L"), "1-bit gray, expanded to 0/255")
    palette = face.quantize(colors=16, dither=Image.Dither.NONE)
    expect("palette.png", pillow_decoded(save("palette.png", palette), "RGB"), "4-bit palette, no tRNS")
    transparency = bytes([0, 64, 128, 192] + [255] * 12)
    expect("palette_trns.png", pillow_decoded(save("palette_trns.png", palette, transparency=transparency), "RGBA"),
           "palette with a tRNS chunk: alpha per palette entry")

    generator = np.random.default_rng(0)
    rgb16 = rgb.astype(np.uint16) * 257 + generator.integers(0, 257, rgb.shape, dtype=np.uint16)
    write_png(OUT / "rgb16.png", rgb16)
    gray16 = rgb16[:, :, 1:2]
    write_png(OUT / "gray16.png", gray16)
    with Image.open(OUT / "gray16.png") as check:  # Pillow reads 16-bit gray exactly ("I;16")
        assert (np.asarray(check).astype(np.uint16) == gray16[:, :, 0]).all()
    for name, array in [("rgb16.png", rgb16), ("gray16.png", gray16)]:
        decoded.append({"file": name, "width": array.shape[1], "height": array.shape[0], "channels": array.shape[2],
                        "bitsPerSample": 16, "pixels": b64(array.astype(">u2")),
                        "note": "16-bit, written by this script; the expected samples are the ones written "
                                "(Pillow itself reduces 16-bit RGB to 8 bits)"})

    write_png(OUT / "interlaced.png", rgba_array := np.asarray(rgba), interlaced=True)
    with Image.open(OUT / "interlaced.png") as check:
        assert check.info.get("interlace") and (np.asarray(check) == rgba_array).all()
    expect("interlaced.png", Image.fromarray(rgba_array, "RGBA"), "Adam7-interlaced RGBA, written by this script")

    # JPEG: baseline 4:2:0, 4:4:4, progressive, gray, CMYK, and every EXIF orientation.
    expect("rgb.jpg", pillow_decoded(save("rgb.jpg", face, quality=90)), "baseline, 4:2:0 chroma")
    expect("rgb444.jpg", pillow_decoded(save("rgb444.jpg", face, quality=90, subsampling=0)), "baseline, 4:4:4")
    expect("progressive.jpg", pillow_decoded(save("progressive.jpg", face, quality=85, progressive=True)),
           "progressive")
    expect("gray.jpg", pillow_decoded(save("gray.jpg", face.convert("L"), quality=90)), "grayscale")
    expect("cmyk.jpg", pillow_decoded(save("cmyk.jpg", face.convert("CMYK"), quality=95), "RGB"),
           "CMYK with an Adobe marker (inverted inks), converted to RGB by Pillow")
    for orientation in range(1, 9):
        exif = Image.Exif()
        exif[0x0112] = orientation
        name = f"orientation{orientation}.jpg"
        expect(name, pillow_decoded(save(name, face, quality=90, exif=exif.tobytes())),
               f"EXIF orientation {orientation} (Intel byte order), after exif_transpose")
    buffer = io.BytesIO()
    face.save(buffer, "JPEG", quality=90)
    (OUT / "orientation6_motorola.jpg").write_bytes(with_big_endian_exif(buffer.getvalue(), 6))
    expect("orientation6_motorola.jpg", pillow_decoded(OUT / "orientation6_motorola.jpg"),
           "EXIF orientation 6 in Motorola byte order")

    resized = []
    for filter_name, method in [("bilinear", Image.BILINEAR), ("bicubic", Image.BICUBIC),
                                ("lanczos", Image.LANCZOS)]:
        for size in [(20, 13), (61, 45), (17, 40)]:
            result = face.resize(size, method)
            resized.append({"source": "rgb.png", "filter": filter_name, "width": size[0], "height": size[1],
                            "pixels": b64(np.asarray(result))})

    # The example images at full size: a position-weighted byte sum of Pillow's decoded RGB, cheap to
    # compute in Swift and numpy alike.
    examples = []
    for path in sorted((ROOT / "Examples" / "images").glob("*.[jp][pn]g")):
        array = np.asarray(ImageOps.exif_transpose(Image.open(path)).convert("RGB"))
        flat = array.reshape(-1).astype(np.int64)
        weights = np.arange(flat.size, dtype=np.int64) % 251 + 1
        examples.append({"file": path.name, "width": array.shape[1], "height": array.shape[0],
                         "checksum": int((flat * weights).sum())})

    fixture = {
        "generator": "scripts/make_media_fixtures.py",
        "source": {"file": source_path.name, "sha256": hashlib.sha256(source_path.read_bytes()).hexdigest()},
        "versions": {"python": platform.python_version(), "pillow": PIL.__version__, "numpy": np.__version__,
                     "libjpeg_turbo": features.version("libjpeg_turbo"), "zlib": features.version("zlib")},
        "layout": "pixels: base64 of interleaved rows (height × width × channels), 16-bit samples big-endian",
        "decoded": decoded,
        "resized": resized,
        "grayscale": {"source": "rgb.png", "pixels": b64(np.asarray(face.convert("L")))},
        "examples": examples,
        "examplesChecksum": "sum over interleaved RGB bytes b[i] of b[i] * (i % 251 + 1)",
    }
    (OUT / "media.json").write_text(json.dumps(fixture, indent=1) + "\n")
    total = sum(path.stat().st_size for path in OUT.iterdir())
    print(f"wrote {len(decoded)} decoded, {len(resized)} resized expectations; fixtures total {total} bytes")


if __name__ == "__main__":
    main()
