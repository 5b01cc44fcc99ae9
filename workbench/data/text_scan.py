"""One pass over the bytes of a text file: its encoding, and how many lines it has.

Encodings, per file:

- a byte-order mark says it: UTF-8 (``utf-8-sig``), UTF-16 or UTF-32 (either byte order);
- otherwise UTF-8 when every byte sequence is valid UTF-8;
- a file that is UTF-8 in places (it holds valid multi-byte sequences) but has bytes that are
  not is refused, naming the byte offset and the line of the first bad byte: reading it as
  cp1252 would turn every "é" of the valid part into "Ã©" without anyone noticing;
- a file without a single valid multi-byte UTF-8 sequence is read as cp1252 (latin-1 when
  it holds one of the five bytes cp1252 leaves undefined), and says so in a note that the
  reconciliation and ``workbench validate`` show.

The line count (physical lines, a last line without its newline included) lets the readers
tell whether records and lines match one to one, or a quoted field spans lines.
"""

from __future__ import annotations

import codecs
import gzip
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["TextScan", "scan_text"]

_BOMS = (  # longest first: the UTF-32-LE mark begins with the UTF-16-LE one
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)
_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_CP1252_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")
_CHUNK = 1 << 22


@dataclass(frozen=True)
class TextScan:
    encoding: str
    #: Physical lines (a last line without a newline counts).
    lines: int
    #: What a person should know about the reading (cp1252), shown with the reconciliation.
    note: str | None = None


def _open_bytes(path: Path):
    return gzip.open(path, "rb") if path.name.lower().endswith(".gz") else path.open("rb")


def scan_text(path: Path, *, encoding: str | None, error: type[Exception]) -> TextScan:
    """Encoding (detected unless given) and line count of `path`; `error` for a refused file."""
    with _open_bytes(path) as fh:
        head = fh.read(4)
    bom = next((name for mark, name in _BOMS if head.startswith(mark)), None)
    if encoding is None and bom is not None and bom != "utf-8-sig":
        return TextScan(bom, _count_decoded_lines(path, bom))
    decoder = codecs.getincrementaldecoder("utf-8")() if encoding is None else None
    lines, last, offset, bad = 0, b"\n", 0, None
    with _open_bytes(path) as fh:
        while chunk := fh.read(_CHUNK):
            if decoder is not None and bad is None:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    bad = (offset + exc.start, lines + chunk.count(b"\n", 0, exc.start) + 1, exc.reason)
            lines += chunk.count(b"\n")
            offset += len(chunk)
            last = chunk[-1:]
    if decoder is not None and bad is None:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            bad = (offset - 1, lines + 1, exc.reason)
    lines += 0 if last == b"\n" else 1
    if encoding is not None:
        return TextScan(encoding, lines)
    if bad is None:
        return TextScan("utf-8-sig", lines)
    multibyte, undefined = _search(path, _MULTIBYTE), _search(path, _CP1252_UNDEFINED)  # only files with bad bytes
    if multibyte:
        raise error(f"{path.name}: mostly UTF-8, but byte {bad[0]:,} (line {bad[1]:,}) is not valid "
                    f"UTF-8 ({bad[2]}); the file mixes encodings. Fix that line (re-export the file as "
                    "UTF-8), or name the file's encoding in a mapping (encoding: cp1252)")
    enc = "latin-1" if undefined else "cp1252"
    return TextScan(enc, lines, f"{path.name}: not UTF-8 (byte {bad[0]:,}, line {bad[1]:,}): read as {enc}; "
                                "check accented letters, or name the encoding in a mapping")


def _search(path: Path, pattern: re.Pattern) -> bool:
    """Whether `pattern` occurs in the file (a second pass, paid only by files that are not UTF-8)."""
    tail = b""
    with _open_bytes(path) as fh:
        while chunk := fh.read(_CHUNK):
            if pattern.search(tail + chunk):
                return True
            tail = chunk[-3:]
    return False


def _count_decoded_lines(path: Path, encoding: str) -> int:
    lines, last = 0, "\n"
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rt", encoding=encoding, newline="") as fh:
        while chunk := fh.read(_CHUNK):
            lines += chunk.count("\n")
            last = chunk[-1:]
    return lines + (0 if last == "\n" else 1)
