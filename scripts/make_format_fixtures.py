#!/usr/bin/env python3
"""Writes the ImpastoFormats test fixtures into Tests/ImpastoFormatsTests/Fixtures/.

Run with the dev venv (torch, safetensors, numpy; facenet-pytorch 2.6.0 optional):
    ${IMPASTO_PYTHON:-/root/.cache/impasto-dev/venv/bin/python} scripts/make_format_fixtures.py

Fixtures were generated with torch 2.15.0+cu132, safetensors 0.8.0, numpy 2.4.6, Python 3.11
(expected.json records the versions of the run that wrote it).

Files:
- checkpoint.pt            torch.save zip format, default pickle protocol (2)
- checkpoint-protocol4.pt  torch.save zip format, pickle protocol 4 (FRAME, MEMOIZE, STACK_GLOBAL, ...)
- checkpoint-legacy.pt     torch.save(_use_new_zipfile_serialization=False), the pre-1.6 format
- checkpoint-zip64.pt      checkpoint.pt rewritten with every size and offset in ZIP64 extra fields, as
                           torch writes them for entries past 4 GiB (torch.load reads it too)
- tensors.safetensors      the same tensors, flattened, via safetensors.torch.save_file
- expected.json            the flattened tensors' shapes and float32 values
- malicious.pkl            a bare protocol-2 pickle whose load would call os.system
- malicious.pt             a zip checkpoint whose data.pkl would call os.system (protocol 4, STACK_GLOBAL)
- facenet-expected.json    shapes, first values and sums of facenet-pytorch's pnet/rnet/onet.pt
                           (only when facenet_pytorch is importable)
Nothing here ever loads the malicious files.
"""
import json
import os
import pathlib
import platform
import struct
import sys
import zipfile

import numpy
import safetensors
import safetensors.torch
import torch

OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests" / "ImpastoFormatsTests" / "Fixtures"


def tensors():
    g = torch.Generator().manual_seed(20240611)
    base = torch.randn(4, 6, generator=g)
    param = torch.nn.Parameter(torch.randn(3, generator=g))
    return {
        "state_dict": {
            "conv.weight": torch.randn(2, 3, 3, 3, generator=g),
            "conv.bias": torch.randn(2, generator=g),
            # A transposed slice: strides (1, 6) and storage offset 1 into `base`'s storage.
            "view": base.t()[1:3],
            "base": base,
            "half": torch.randn(5, generator=g).half(),
            "bfloat": torch.randn(2, 2, generator=g).bfloat16(),
            "double": torch.randn(3, generator=g).double(),
            "bn.num_batches_tracked": torch.tensor(7),
            "int32": torch.tensor([-3, 0, 70000], dtype=torch.int32),
            "uint8": torch.tensor([0, 7, 255], dtype=torch.uint8),
            "param": param,
            "empty": torch.zeros(0, 3),
            "block": {"inner": {"w": torch.arange(6, dtype=torch.float32).reshape(2, 3)}},
        },
        "epoch": 3,
        "name": "fixture",
    }


def flatten(value, prefix=""):
    out = {}
    for key, item in value.items():
        if isinstance(item, dict):
            out.update(flatten(item, prefix + key + "."))
        elif isinstance(item, torch.Tensor):
            out[prefix + key] = item
    return out


class RunsShellCommand:
    """Pickles as a call to os.system; loading it with pickle.load would run the command."""

    def __reduce__(self):
        return (os.system, ("echo impasto-pwned",))


def malicious_pickle():
    # Hand-assembled so that the global reads exactly 'os system' whatever platform runs this.
    body = b"\x80\x02cos\nsystem\nq\x00X\x12\x00\x00\x00echo impasto-pwnedq\x01\x85q\x02Rq\x03."
    return body


def rewrite_as_zip64(source, destination):
    """Copies a stored ZIP archive, moving every entry's sizes and offset into ZIP64 extra fields."""
    out = bytearray()
    directory = bytearray()
    with zipfile.ZipFile(source) as archive:
        entries = archive.infolist()
        for info in entries:
            data = archive.read(info)
            name = info.filename.encode()
            offset = len(out)
            extra = struct.pack("<HHQQ", 1, 16, len(data), len(data))
            out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 0, 0, 0, info.CRC, 0xFFFFFFFF, 0xFFFFFFFF,
                               len(name), len(extra)) + name + extra + data
            extra = struct.pack("<HHQQQ", 1, 24, len(data), len(data), offset)
            directory += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, 0, 0, 0, info.CRC,
                                     0xFFFFFFFF, 0xFFFFFFFF, len(name), len(extra), 0, 0, 0, 0,
                                     0xFFFFFFFF) + name + extra
    directory_offset = len(out)
    out += directory
    zip64_end = len(out)
    out += struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, len(entries), len(entries),
                       len(directory), directory_offset)
    out += struct.pack("<IIQI", 0x07064B50, 0, zip64_end, 1)
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    destination.write_bytes(bytes(out))


def deflated_zip(path):
    """deflated.zip: a ZIP as wheels and .npz files are made, `stored.txt` stored and `pattern.bin` deflated
    (10 000 bytes, byte i = i * 7 mod 251), fixed timestamps so the file is the same on every run."""
    import zipfile
    with zipfile.ZipFile(path, "w") as archive:
        for name, data, method in [("stored.txt", b"hello, wheel\n", zipfile.ZIP_STORED),
                                   ("pattern.bin", bytes(i * 7 % 251 for i in range(10_000)), zipfile.ZIP_DEFLATED)]:
            info = zipfile.ZipInfo(name, date_time=(2026, 11, 29, 0, 0, 0))
            info.compress_type = method
            archive.writestr(info, data)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    data = tensors()
    torch.save(data, OUT / "checkpoint.pt")
    torch.save(data, OUT / "checkpoint-protocol4.pt", pickle_protocol=4)
    torch.save(data, OUT / "checkpoint-legacy.pt", _use_new_zipfile_serialization=False)
    rewrite_as_zip64(OUT / "checkpoint.pt", OUT / "checkpoint-zip64.pt")
    reloaded = torch.load(OUT / "checkpoint-zip64.pt", weights_only=True)
    assert torch.equal(reloaded["state_dict"]["view"], data["state_dict"]["view"])

    flat = flatten(data)
    safetensors.torch.save_file({k: v.detach().contiguous() for k, v in flat.items()},
                                OUT / "tensors.safetensors",
                                metadata={"format": "pt", "source": "make_format_fixtures.py"})
    expected = {
        "versions": {"python": platform.python_version(), "torch": torch.__version__,
                     "safetensors": safetensors.__version__, "numpy": numpy.__version__},
        "tensors": {k: {"shape": list(v.shape),
                        "values": [float(x) for x in v.detach().float().flatten().tolist()]}
                    for k, v in flat.items()},
    }
    (OUT / "expected.json").write_text(json.dumps(expected, indent=1, sort_keys=True) + "\n")

    (OUT / "malicious.pkl").write_bytes(malicious_pickle())
    deflated_zip(OUT / "deflated.zip")
    torch.save({"state_dict": RunsShellCommand()}, OUT / "malicious.pt", pickle_protocol=4)

    try:
        import facenet_pytorch
        data_dir = pathlib.Path(facenet_pytorch.__file__).parent / "data"
        facenet = {}
        for name in ["pnet", "rnet", "onet"]:
            sd = torch.load(data_dir / f"{name}.pt", weights_only=True)
            facenet[name] = [{"key": k, "shape": list(v.shape), "first": [float(x) for x in v.flatten()[:4]],
                              "sum": float(v.double().sum())} for k, v in sd.items()]
        (OUT / "facenet-expected.json").write_text(json.dumps(
            {"versions": {"torch": torch.__version__, "facenet-pytorch": "2.6.0"}, "files": facenet},
            indent=1) + "\n")
    except ImportError:
        print("facenet_pytorch not importable; facenet-expected.json left as it is", file=sys.stderr)


if __name__ == "__main__":
    main()
