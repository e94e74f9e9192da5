"""Reading a 100k-row .xlsx register: openpyxl against calamine (python-calamine).

    .venv/bin/python bench/xlsx_read.py [--rows 100000] [--smoke]

Both read every cell of the first sheet as the register reader needs it (raw rows); the values are
checked to be the same (text, numbers, dates), so the faster reader is safe to use (the run ends with status
1 when they differ, or when either reads a different number of rows). workbook_lib.tables reads .xlsx with
calamine. ``--smoke``: 50 rows.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import arguments, check, machine  # noqa: E402

HEADER = ["Risk No.", "Risk description", "Category", "Likelihood", "Impact", "Control effectiveness", "Due date",
          "Progress", "Owner", "Residual score"]


def write(path: Path, rows: int) -> float:
    """A register with a title row, text, integers, labels, dates and floats (openpyxl write-only mode)."""
    from openpyxl import Workbook

    start = time.perf_counter()
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Register")
    sheet.append(["Risk register (synthetic)"])
    sheet.append(HEADER)
    base = dt.date(2025, 1, 1)
    for i in range(rows):
        sheet.append([f"R{i + 1}", f"Risk number {i + 1}, with a comma", ["Financial", "Compliance"][i % 2],
                      i % 5 + 1, ["Minor", "Major", "Critical"][i % 3], "Partially effective",
                      base + dt.timedelta(days=i % 365), "=1+1" if i % 1000 == 0 else "In progress",
                      f"Owner {i % 40}", (i % 25) * 0.4])
    book.save(path)
    return time.perf_counter() - start


def read_openpyxl(path: Path) -> list[tuple]:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        return [tuple(row) for row in book.worksheets[0].iter_rows(values_only=True)]
    finally:
        book.close()


def read_calamine(path: Path) -> list[tuple]:
    from python_calamine import CalamineWorkbook

    return [tuple(row) for row in CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
            .to_python(skip_empty_area=False)]


def normalised(rows: list[tuple]) -> list[tuple]:
    """Cells as the register reader sees them: '' for empty, dates as dates, 3.0 as 3."""
    def cell(v):
        if v is None:
            return ""
        if isinstance(v, dt.datetime) and v.time() == dt.time():
            return v.date()
        if isinstance(v, float) and v.is_integer():
            return int(v)
        return v

    out = [tuple(cell(v) for v in row) for row in rows]
    width = max(len(r) for r in out)
    return [r + ("",) * (width - len(r)) for r in out]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    args = arguments(ap, smoke={"rows": 50})
    print(machine())
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "register.xlsx"
        wrote = write(path, args.rows)
        timings = {}
        data = {}
        for name, reader in (("openpyxl", read_openpyxl), ("calamine", read_calamine)):
            start = time.perf_counter()
            data[name] = reader(path)
            timings[name] = time.perf_counter() - start
    same = normalised(data["openpyxl"]) == normalised(data["calamine"])
    print(f"{args.rows:,} rows ({path.name} written in {wrote:.1f} s): openpyxl {timings['openpyxl']:.2f} s, "
          f"calamine {timings['calamine']:.2f} s: {timings['openpyxl'] / timings['calamine']:.1f}x; "
          f"same values: {same}")
    for name, rows in data.items():  # the title, the header, then every risk
        check(len(rows) == args.rows + 2, f"{name} read {len(rows)} rows, {args.rows + 2} written")
    check(same, "openpyxl and calamine read different values")


if __name__ == "__main__":
    main()
