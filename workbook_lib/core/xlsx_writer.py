"""A fast .xlsx writer for large tables: the sheet XML built a column at a time (each distinct value turned into its
cell once), streamed into the zip in blocks of rows.

``core.outputs.write_excel`` uses it for a workbook of more than ``LARGE_CELLS`` cells, where openpyxl's write-only
mode (a Python object per cell) took most of a large register's run: 250,000 risks, about 11 million cells, took
minutes. The file reads back exactly as openpyxl's does (tests/test_xlsx_writer.py compares the two cell by cell):
the same sheet names, a bold header, numbers as numbers, booleans, dates and date-times with openpyxl's formats,
empty cells where a value is missing, and text made safe by the caller's ``cell`` function (neutralised, characters
Excel cannot hold replaced). Text is written as inline strings; a value of a type openpyxl would refuse raises
``Unsupported`` (the caller then lets openpyxl write the workbook).
"""

from __future__ import annotations

import datetime as dt
import decimal
import numbers
import re
import zipfile
from collections.abc import Callable
from typing import IO, Any

import numpy as np
import pandas as pd

from workbook_lib.core.tables import column_letter

LARGE_CELLS = 100_000  # a workbook with more cells than this is written here
ROWS_PER_BLOCK = 20_000  # rows built and compressed at a time: bounded memory whatever the table's length
COMPRESSION = 1  # zlib level: the XML compresses 10-20 to 1 at level 1, at several times the speed of level 6

# styles: 0 default, 1 bold (the header), 2 a date, 3 a date-time (openpyxl's formats for them)
DATE, DATETIME = 2, 3
STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="2">\
<numFmt numFmtId="164" formatCode="yyyy-mm-dd"/><numFmt numFmtId="165" formatCode="yyyy-mm-dd h:mm:ss"/>\
</numFmts><fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/>\
<name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill>\
<patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/>\
<diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>\
</cellStyleXfs><cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>\
<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>\
<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>\
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>"""
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"


class Unsupported(TypeError):
    """A value the writer does not know how to write (openpyxl is asked instead)."""


def _xml_text(text: str) -> str:
    """Text as XML element content, as openpyxl writes it with lxml (a carriage return kept as a reference, so it
    reads back as itself rather than as a line feed)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def _inline(text: str) -> str:
    return f' t="inlineStr"><is><t xml:space="preserve">{_xml_text(text)}</t></is></c>'


def _excel_serial(value: dt.date | dt.datetime) -> float:
    from openpyxl.utils.datetime import to_excel  # lazy: openpyxl only when a workbook is written

    return to_excel(value)


def _number(value: Any) -> str:
    """A number as openpyxl writes it (``safe_string``): 16 significant digits."""
    return format(float(value), ".16g")  # as "%.16g" % value: the value as a float


def _fragment(value: Any, cell: Callable[[Any], Any]) -> str:
    """A cell's XML: one value of any type openpyxl writes. Cells carry no reference: a row's cells are in column
    order, a missing value an empty ``<c/>`` (the reference is optional in SpreadsheetML; building one per cell was
    most of the writing)."""
    return "<c" + _value_xml(value, cell)


def _value_xml(value: Any, cell: Callable[[Any], Any]) -> str:
    if isinstance(value, str):
        return _inline(cell(value))
    if isinstance(value, (bool, np.bool_)):
        return f' t="b"><v>{int(bool(value))}</v></c>'
    if isinstance(value, dt.datetime):  # before date: a datetime is a date
        if value.tzinfo is not None:
            raise Unsupported("a date-time with a time zone")
        return f' s="{DATETIME}"><v>{_number(_excel_serial(value))}</v></c>'
    if isinstance(value, dt.date):
        return f' s="{DATE}"><v>{_number(_excel_serial(value))}</v></c>'
    if isinstance(value, (numbers.Integral, float, np.floating, decimal.Decimal)):
        if isinstance(value, (float, np.floating, decimal.Decimal)) and not np.isfinite(float(value)):
            return "></c>"  # openpyxl writes an infinite number empty
        return f"><v>{_number(value)}</v></c>"
    raise Unsupported(f"a value of type {type(value).__name__}")


EMPTY = "<c/>"


INLINE_OPEN, INLINE_CLOSE = '<c t="inlineStr"><is><t xml:space="preserve">', "</t></is></c>"


def _text_cells(texts: np.ndarray, cell: Callable[[Any], Any], changed: re.Pattern | None) -> np.ndarray:
    """The cells of distinct texts: those ``cell`` leaves as they are and that hold no markup (most) built with one
    concatenation each, the others one by one."""
    if changed is None:
        return np.array([_fragment(t, cell) for t in texts], dtype=object)
    special = pd.Series(texts, dtype=object).str.contains(re.compile(f"(?:{changed.pattern})|[&<>\r]")).to_numpy()
    out = np.empty(len(texts), dtype=object)
    out[~special] = INLINE_OPEN + texts[~special] + INLINE_CLOSE
    out[special] = [_fragment(t, cell) for t in texts[special]]
    return out


def _fragments(values: pd.Series, cell: Callable[[Any], Any],
               changed: re.Pattern | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(codes, fragments): each row's code into the cells of its column's distinct values, the last an empty cell
    (where a value is missing). ``changed``: a pattern found in every text ``cell`` changes (None: any may change).

    Distinct values are found by ``pd.factorize``, which takes True for 1 (they are equal in Python): a column of
    objects holding booleans or numbers is keyed by type and value instead."""
    objects = values.astype(object)
    missing = objects.isna().to_numpy()
    mixed = False
    if values.dtype == object:  # a column of typed values (numbers, dates, booleans) holds one type
        kinds = set(map(type, objects[~missing]))
        mixed = len(kinds) > 1 and any(issubclass(k, (bool, np.bool_, numbers.Number)) for k in kinds)
    try:
        if mixed:
            keys = pd.Series([None if gone else (type(v).__name__, v) for v, gone in zip(objects, missing,
                                                                                         strict=True)], dtype=object)
            codes, uniques = pd.factorize(keys, use_na_sentinel=True)
            uniques = [k[1] for k in uniques]
        else:
            codes, uniques = pd.factorize(objects, use_na_sentinel=True)
    except TypeError as exc:  # an unhashable value (a list, a dict): openpyxl refuses it too
        raise Unsupported(str(exc)) from None
    if not mixed and pd.api.types.infer_dtype(uniques, skipna=False) == "string":
        frags = np.append(_text_cells(np.asarray(uniques, dtype=object), cell, changed), EMPTY)
    else:
        frags = np.array([*(_fragment(u, cell) for u in uniques), EMPTY], dtype=object)  # the last: a missing value
    codes = np.asarray(codes, dtype=np.int32)
    codes[missing] = len(frags) - 1
    return codes, frags


WRITTEN = (str, bool, np.bool_, dt.date, numbers.Integral, float, np.floating, decimal.Decimal)


def check(frame: pd.DataFrame) -> None:
    """Raise ``Unsupported`` for a value the writer does not write (a list, a time zone, ...), before anything is
    written: each object column's types are looked at once."""
    for j in range(frame.shape[1]):
        values = frame.iloc[:, j]
        if isinstance(values.dtype, pd.DatetimeTZDtype):
            raise Unsupported("a date-time with a time zone")
        if values.dtype != object:
            continue
        present = values[values.notna()]
        kinds = set(map(type, present))
        odd = [k for k in kinds if not issubclass(k, WRITTEN)]
        if odd:
            raise Unsupported(f"a value of type {odd[0].__name__}")
        if any(issubclass(k, dt.datetime) for k in kinds) and any(
                getattr(v, "tzinfo", None) is not None for v in present if isinstance(v, dt.datetime)):
            raise Unsupported("a date-time with a time zone")


class _Sheet:
    """A table ready to write: each column's codes and distinct cells."""

    def __init__(self, frame: pd.DataFrame, cell: Callable[[Any], Any], changed: re.Pattern | None):
        self.rows, width = frame.shape
        self.letters = [column_letter(j) for j in range(width)]
        self.header = "".join(f'<c r="{self.letters[j]}1" s="1"' + _inline(cell(str(c)))
                              for j, c in enumerate(frame.columns))
        # by position: a heading may repeat
        self.columns = [_fragments(frame.iloc[:, j], cell, changed) for j in range(width)]

    def write(self, out: IO[bytes]) -> None:
        n, letters = self.rows, self.letters
        last = f"{letters[-1]}{n + 1}" if letters else "A1"
        out.write((f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{MAIN}">'
                   f'<dimension ref="A1:{last}"/><sheetData><row r="1">{self.header}</row>').encode())
        for start in range(0, n, ROWS_PER_BLOCK):
            stop = min(start + ROWS_PER_BLOCK, n)
            numbers_ = np.arange(start + 2, stop + 2).astype(str).astype(object)
            block = np.empty((stop - start, len(letters) + 2), dtype=object)
            block[:, 0] = '<row r="' + numbers_ + '">'
            for j, (codes, frags) in enumerate(self.columns):
                block[:, j + 1] = frags[codes[start:stop]]
            block[:, -1] = "</row>"
            out.write("".join(block.ravel().tolist()).encode("utf-8"))
        out.write(b"</sheetData></worksheet>")


def write(tables: dict[str, pd.DataFrame], names: list[str], target: str | IO[bytes],
          cell: Callable[[Any], Any], changed: re.Pattern | None = None) -> None:
    """Write ``tables`` (one sheet each, named ``names``) as a workbook to ``target`` (a path or a binary file), each
    text cell as ``cell`` gives it (``changed``: a pattern found in every text it changes; None: any text may change).
    Raises ``Unsupported`` before anything is written if a value is of a type it does not write (``check``); one
    sheet's cells are held at a time."""
    for frame in tables.values():
        check(frame)
    sheets = "".join(f'<sheet name="{_xml_text(name).replace(chr(34), "&quot;")}" sheetId="{k}" r:id="rId{k}"/>'
                     for k, name in enumerate(names, 1))
    rels = "".join(f'<Relationship Id="rId{k}" Type="{REL}/worksheet" Target="worksheets/sheet{k}.xml"/>'
                   for k in range(1, len(names) + 1))
    overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{k}.xml" ContentType="{SHEET_TYPE}"/>'
                        for k in range(1, len(names) + 1))
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    parts = {
        "[Content_Types].xml": f'{head}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        f"{overrides}</Types>",
        "_rels/.rels": f'{head}<Relationships xmlns="{PACKAGE_REL}"><Relationship Id="rId1" '
        f'Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'{head}<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>{sheets}</sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'{head}<Relationships xmlns="{PACKAGE_REL}">{rels}<Relationship '
        f'Id="rId{len(names) + 1}" Type="{REL}/styles" Target="styles.xml"/></Relationships>',
        "xl/styles.xml": STYLES,
    }
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=COMPRESSION) as book:
        for name, text in parts.items():
            book.writestr(name, text)
        for k, frame in enumerate(tables.values(), 1):  # one sheet's cells in memory at a time
            sheet = _Sheet(frame, cell, changed)
            with book.open(f"xl/worksheets/sheet{k}.xml", "w", force_zip64=True) as out:
                sheet.write(out)
            del sheet
