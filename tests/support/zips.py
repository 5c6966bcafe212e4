"""A real zip bomb from a real .docx: its document.xml padded with a gibibyte of spaces, in about a megabyte.

Deflating a gibibyte takes zipfile about 20 s on a small CPU, so the padding is compressed once as a
self-contained block (Z_FULL_FLUSH resets the window) and that block is repeated; the archive is then written
by hand (local headers, central directory), as any zip tool would.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path

_BLOCK = 16 << 20  # bytes of padding per repeated deflate block


def _deflate(data: bytes) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def _write_zip(path: Path, members: list[tuple[str, bytes, int, int]]) -> None:
    """members: (name, raw deflate data, crc32, uncompressed size)."""
    out = bytearray()
    central = bytearray()
    for name, data, crc, size in members:
        encoded = name.encode()
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(data), size, len(encoded), 0)
        out += encoded + data
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc, len(data), size, len(encoded), 0, 0, 0, 0, 0,
            offset,
        )  # fmt: skip
        central += encoded
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), len(out), 0)
    path.write_bytes(bytes(out + central + end))


def make_docx_bomb(source_docx: Path, path: Path, inflated_bytes: int = 1 << 30) -> Path:
    """`source_docx` with `inflated_bytes` of whitespace inside word/document.xml (valid XML when inflated)."""
    members = []
    with zipfile.ZipFile(source_docx) as archive:
        for info in archive.infolist():
            raw = archive.read(info)
            if info.filename != "word/document.xml":
                members.append((info.filename, _deflate(raw), zlib.crc32(raw), len(raw)))
                continue
            head, tail = raw.split(b"</w:body>")
            c = zlib.compressobj(9, zlib.DEFLATED, -15)
            head_data = c.compress(head) + c.flush(zlib.Z_FULL_FLUSH)
            block = b" " * _BLOCK
            pad = zlib.compressobj(9, zlib.DEFLATED, -15)
            pad_data = pad.compress(block) + pad.flush(zlib.Z_FULL_FLUSH)
            repeats = inflated_bytes // _BLOCK
            end = b"</w:body>" + tail
            crc = zlib.crc32(head)
            for _ in range(repeats):
                crc = zlib.crc32(block, crc)
            crc = zlib.crc32(end, crc)
            last = zlib.compressobj(9, zlib.DEFLATED, -15)
            data = head_data + pad_data * repeats + last.compress(end) + last.flush()
            members.append((info.filename, data, crc, len(head) + _BLOCK * repeats + len(end)))
    _write_zip(path, members)
    return path
