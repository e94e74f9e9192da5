"""Hostile and oversized input files, written on demand for the reader's tests (issue "Hostile and oversized input").

Each function writes one file into ``folder`` and returns its path. Every file carries ``SECRET`` in its
content, so a test can check that no message echoes the file. Importing this module writes nothing.
"""

from __future__ import annotations

import random
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

import openpyxl

from workbook_lib.core.tables import column_letter

SECRET = "SECRET-7f3a-do-not-echo"  # in every file's content; must never appear in a message
HEADER = ["Risk ID", "Description", "Owner", "Likelihood", "Impact"]
_SHEET = "xl/worksheets/sheet1.xml"
_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_SHEET_HEAD = '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
_SHEET_TAIL = "</sheetData></worksheet>"


def _row(number: int, cells: list[str]) -> str:
    return f'<row r="{number}">' + "".join(
        f'<c r="{column_letter(i)}{number}" t="inlineStr"><is><t>{text}</t></is></c>' for i, text in enumerate(cells)
    ) + "</row>"


def _sheet_xml(rows: list[list[str]], prolog: str = _DECLARATION) -> str:
    """A worksheet part with inline strings; ``rows`` are escaped XML text already."""
    return prolog + _SHEET_HEAD + "".join(_row(n, cells) for n, cells in enumerate(rows, start=1)) + _SHEET_TAIL


def minimal_xlsx(path: Path) -> Path:
    """A real workbook from openpyxl: a header and one risk."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(["R1", f"Supplier failure {SECRET}", "Ops", "3", "4"])
    book.save(path)
    return path


def rewrite(path: Path, parts: dict[str, str | bytes], sheet: Callable[[IO[bytes]], None] | None = None,
             zip64: bool = False) -> Path:
    """Rewrite the workbook at ``path`` with ``parts`` replaced or added, and the sheet part written by ``sheet``
    when given (zip entries cannot be edited in place)."""
    scratch = path.with_suffix(".orig")
    scratch.write_bytes(path.read_bytes())
    replaced = {*parts, _SHEET} if sheet else set(parts)
    with zipfile.ZipFile(scratch) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename not in replaced:
                target.writestr(info, source.read(info))
        for name, data in parts.items():
            target.writestr(name, data)
        if sheet:
            with target.open(_SHEET, "w", force_zip64=zip64) as stream:
                sheet(stream)
    scratch.unlink()
    return path


def zip_bomb_xlsx(folder: Path, inflated_mb: int = 256, name: str = "bomb.xlsx") -> Path:
    """A valid workbook whose sheet part is padded with ``inflated_mb`` MiB of blanks (about 1000 to 1 deflated).

    The padding is streamed into the zip entry in 4 MiB chunks: 256 MiB take about a second and make a file of
    about 256 KB. Without a guard, calamine inflates all of it.
    """
    chunk = b" " * (4 << 20)
    whole, rest = divmod(inflated_mb << 20, len(chunk))

    def pad(stream: IO[bytes]) -> None:
        stream.write((_DECLARATION + _SHEET_HEAD + _row(1, HEADER) + _row(2, ["R1", SECRET, "Ops", "3", "4"])).encode())
        for _ in range(whole):
            stream.write(chunk)
        stream.write(chunk[:rest] + _SHEET_TAIL.encode())

    return rewrite(minimal_xlsx(folder / name), {}, pad, zip64=inflated_mb >= 2048)  # zip64 past 2 GiB


def forged_size_xlsx(folder: Path, inflated_mb: int = 64, name: str = "forged.xlsx") -> Path:
    """A zip bomb whose local header and zip directory claim the sheet part inflates to 5000 bytes."""
    path = zip_bomb_xlsx(folder, inflated_mb, name)
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(_SHEET)
    data = bytearray(path.read_bytes())
    local = info.header_offset
    struct.pack_into("<I", data, local + 22, 5000)  # local file header: uncompressed size
    central = local + 30 + sum(struct.unpack_from("<HH", data, local + 26)) + info.compress_size
    while bytes(data[central + 46:central + 46 + len(_SHEET)]) != _SHEET.encode():
        central = data.index(b"PK\x01\x02", central + 4)  # the next entry in the zip directory
    struct.pack_into("<I", data, central + 24, 5000)  # its uncompressed size
    path.write_bytes(bytes(data))
    return path


def billion_laughs_xlsx(folder: Path, part: str = "sheet", name: str = "laughs.xlsx") -> Path:
    """A workbook whose sheet part (or sharedStrings part, ``part="sharedStrings"``) declares nested entities."""
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    ]
    prolog = f'<?xml version="1.0"?>\n<!DOCTYPE lolz [{"".join(entities)}]>\n'
    path = minimal_xlsx(folder / name)
    if part == "sheet":
        return rewrite(path, {_SHEET: _sheet_xml([HEADER, ["R1", f"{SECRET} &lol9;", "Ops", "3", "4"]],
                                                        prolog)})
    strings = (prolog + '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
               f'uniqueCount="1"><si><t>{SECRET} &lol9;</t></si></sst>')
    sheet = _SHEET_HEAD + _row(1, HEADER) + '<row r="2"><c r="A2" t="s"><v>0</v></c></row>' + _SHEET_TAIL
    return rewrite(path, {_SHEET: sheet, "xl/sharedStrings.xml": strings})


def nul_csv(folder: Path, name: str = "nul.csv") -> Path:
    """A register with a NUL in row 3 column C and a U+001B in row 6 column B (row 4 spans two lines and holds
    a tab: legitimate text)."""
    text = ("Risk ID,Description,Owner,Likelihood,Impact\r\n"
            f"R1,Supplier failure {SECRET},Ops,3,4\r\n"
            "R2,Data breach,Ops\x00IT,2,5\r\n"
            '"R3","Flood\tin the\r\nbasement",Estates,1,3\r\n'
            "R4,Fraud \x1b[31m,Finance,2,2\r\n")
    path = folder / name
    path.write_bytes(text.encode("utf-8"))
    return path


def control_char_xlsx(folder: Path, name: str = "control.xlsx", cells: int = 1) -> Path:
    """A workbook whose row 2 holds U+000B in column C (Excel writes it as _x000B_), plus ``cells`` - 1 more
    cells holding U+0001 in the rows below."""
    rows = [HEADER, ["R1", f"Supplier {SECRET}", "Ops_x000B_IT", "3", "4"]]
    rows += [[f"R{n}", f"Risk_x0001_{n}", "Ops", "3", "4"] for n in range(2, cells + 1)]
    return rewrite(minimal_xlsx(folder / name), {_SHEET: _sheet_xml(rows)})


def utf16_csv(folder: Path, bom: bool = True, name: str = "utf16.csv") -> Path:
    """A register saved as "Unicode text" CSV: UTF-16 little-endian, with or without its byte-order mark."""
    text = ("Risk ID,Description,Owner,Likelihood,Impact\r\n"
            f"R1,Défaillance fournisseur {SECRET},Ops,3,4\r\n"
            "R2,Data breach,IT,2,5\r\n")
    path = folder / name
    path.write_bytes(text.encode("utf-16") if bom else text.encode("utf-16-le"))
    return path


def ole2_xls(folder: Path, name: str = "legacy.xlsx") -> Path:
    """The start of an OLE2 compound file (Excel 97-2003, or any password-protected workbook)."""
    path = folder / name
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + SECRET.encode() + bytes(1024))
    return path


def renamed_text_xlsx(folder: Path, name: str = "renamed.xlsx") -> Path:
    """A text file named .xlsx."""
    path = folder / name
    path.write_text(f"Risk ID,Description\nR1,{SECRET}\n", encoding="utf-8")
    return path


def binary_csv(folder: Path, name: str = "binary.csv", zeros: bool = False) -> Path:
    """Binary data named .csv: seeded random bytes, or (``zeros``) mostly NUL bytes as in an executable."""
    rng = random.Random(7)
    body = bytes(4096) if zeros else rng.randbytes(4096)
    path = folder / name
    path.write_bytes(body + SECRET.encode() + rng.randbytes(512))
    return path


def symlinked_csv(folder: Path, name: str = "link.csv") -> Path:
    """A link to a CSV elsewhere whose first line is the secret (no header, so any echo would show it)."""
    target = folder / "elsewhere"
    target.mkdir(exist_ok=True)
    real = target / "private.csv"
    real.write_text(f"{SECRET},root:x:0:0\nmore,lines\n", encoding="utf-8")
    link = folder / name
    link.symlink_to(real)
    return link


def long_rows_csv(folder: Path, n: int, name: str = "long.csv") -> Path:
    """A header and ``n`` short data rows, written in blocks (3 million rows take about a second)."""
    path = folder / name
    block = 100_000
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write(f"Risk ID,Description\r\nR0,{SECRET}\r\n")
        for first in range(1, n, block):
            f.write("".join(f"R{i},x\r\n" for i in range(first, min(first + block, n))))
    return path


# ---- oversized by shape: a far cell, repeated shared strings, width (issue "Hostile and oversized input", 2 and 6) --

def far_cell_xlsx(folder: Path, ref: str = "XFD1048576", name: str = "far.xlsx") -> Path:
    """A 2 KB workbook: a header, one risk, and one more cell at ``ref``. Its used range runs from A1 to ``ref``:
    calamine lays that out as a dense grid (A1 and XFD1048576: 17 billion cells, 512 GiB) before a row is read."""
    row = int("".join(c for c in ref if c.isdigit()))
    far = f'<row r="{row}"><c r="{ref}" t="inlineStr"><is><t>{SECRET}</t></is></c></row>'
    sheet = _DECLARATION + _SHEET_HEAD + _row(1, HEADER) + _row(2, ["R1", SECRET, "Ops", "3", "4"]) + far + _SHEET_TAIL
    return rewrite(minimal_xlsx(folder / name), {_SHEET: sheet})


def shared_strings_xlsx(folder: Path, chars: int = 900_000, cells: int = 200, name: str = "shared.xlsx") -> Path:
    """A small workbook whose one shared string (``chars`` characters: under 1 MB, so no part is over the zip ratio
    floor) is used by ``cells`` cells: calamine and Python copy it into every one (900 KB x 200 = 180 MB)."""
    strings = ('<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
               f'<si><t>{SECRET}{"a" * chars}</t></si></sst>')
    rows = "".join(f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>R{n}</t></is></c><c r="B{n}" t="s"><v>0</v></c>'
                   f'</row>' for n in range(2, cells + 2))
    sheet = _DECLARATION + _SHEET_HEAD + _row(1, HEADER) + rows + _SHEET_TAIL
    return rewrite(minimal_xlsx(folder / name), {_SHEET: sheet, "xl/sharedStrings.xml": strings})


def wide_csv(folder: Path, columns: int, rows: int = 1, name: str = "wide.csv") -> Path:
    """A register with ``columns`` headings (the first five real) and ``rows`` data rows as wide."""
    path = folder / name
    heading = ",".join(HEADER + [f"Note {i}" for i in range(columns - len(HEADER))])
    row = ",".join(["R{}", SECRET, "Ops", "3", "4"] + ["x"] * (columns - len(HEADER)))
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write(heading + "\r\n")
        for first in range(0, rows, 10_000):
            f.write("".join(row.replace("R{}", f"R{i}", 1) + "\r\n" for i in range(first, min(first + 10_000, rows))))
    return path
