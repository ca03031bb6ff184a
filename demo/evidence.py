"""Tiny but well-formed evidence files (PDF, PNG, text), built in memory.

Real offices upload scans and photos; the demo only needs files that open in a viewer and
pass the upload checks, which judge the type by the file name's extension.
"""

from __future__ import annotations

import random
import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile

_PDF_NAMES = ("整改台账.pdf", "入户核实记录.pdf", "整改情况报告.pdf", "专题会议纪要.pdf")
_PNG_NAMES = ("整改前后对比照片.png", "现场照片.png", "公示照片.png")
_TXT_NAMES = ("整改情况说明.txt", "工作推进记录.txt")


def evidence_file(rng: random.Random, label: str, text: str) -> SimpleUploadedFile:
    """One evidence file; ``label`` (ASCII) makes its content, and so its checksum, unique."""
    kind = rng.choices(("pdf", "png", "txt"), weights=(5, 3, 2))[0]
    if kind == "pdf":
        return SimpleUploadedFile(rng.choice(_PDF_NAMES), tiny_pdf(f"Evidence {label}"), "application/pdf")
    if kind == "png":
        return SimpleUploadedFile(rng.choice(_PNG_NAMES), tiny_png(rng, label), "image/png")
    return SimpleUploadedFile(rng.choice(_TXT_NAMES), f"{text}\n（{label}）\n".encode(), "text/plain")


def tiny_pdf(line: str) -> bytes:
    """A one-page PDF showing one line of ASCII text, with a correct cross-reference table."""
    safe = line.encode("ascii", "replace").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    content = b"BT /F1 14 Tf 72 770 Td (" + safe + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(content)).encode() + b" >>\nstream\n" + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def tiny_png(rng: random.Random, label: str, width: int = 32, height: int = 24) -> bytes:
    """A small flat-coloured RGB PNG with ``label`` in a text chunk."""
    colour = bytes(rng.randint(60, 220) for _ in range(3))
    rows = b"".join(b"\x00" + colour * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"tEXt", b"Comment\x00" + label.encode("ascii", "replace"))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
