"""Build the Excel risk registers used as importer test inputs.

Nothing happens on import: call ``build(folder)`` to write the workbooks into ``folder``
(for example a pytest ``tmp_path``). The data are invented; see README.md in this folder
for the facts each workbook carries.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill(start_color="1F4E78", end_color="1F4E78", fill_type="solid")
SUB_FILL = PatternFill(start_color="BDD7EE", end_color="BDD7EE", fill_type="solid")
CENTRE = Alignment(horizontal="center", vertical="center", wrap_text=True)

LEVELS: tuple[str, ...] = ("VL", "L", "M", "H", "VH")

# Comune di Valdoro: (id, description, inherent L, inherent I, controls, residual L, residual I, owner)
VALDORO_RISKS: tuple[tuple[str, str, int, int, str, int, int, str], ...] = (
    (
        "VAL-01",
        "Allagamento del piano interrato del municipio durante piogge intense.",
        4,
        4,
        "Pompe di sollevamento e sensori di allagamento; archivio spostato al primo piano.",
        2,
        4,
        "Ufficio Tecnico",
    ),
    (
        "VAL-02",
        "Blocco del sito web comunale a causa di un attacco DDoS.",
        3,
        3,
        "Servizio di protezione DDoS incluso nel contratto di hosting.",
        2,
        3,
        "Sistemi Informativi",
    ),
    (
        "VAL-03",
        "Errore nel calcolo della TARI con rimborsi dovuti ai contribuenti.",
        3,
        4,
        "Doppio controllo sugli elenchi dei contribuenti; software aggiornato ogni anno.",
        2,
        3,
        "Ufficio Tributi",
    ),
    (
        "VAL-04",
        "Frana sulla strada provinciale che collega la frazione di Montecalvo.",
        2,
        5,
        "Monitoraggio del versante con inclinometri; piano comunale di protezione civile.",
        2,
        4,
        "Protezione Civile",
    ),
    (
        "VAL-05",
        "Mancato rispetto delle scadenze PNRR per il nuovo asilo nido.",
        4,
        5,
        "Cronoprogramma verificato ogni settimana; RUP dedicato al progetto.",
        3,
        4,
        "Lavori Pubblici",
    ),
    (
        "VAL-06",
        "Infortunio di un bambino nel parco giochi comunale.",
        2,
        4,
        "Ispezioni mensili delle attrezzature e pavimentazione antitrauma.",
        1,
        4,
        "Servizio Manutenzioni",
    ),
    (
        "VAL-07",
        "Carenza di personale all'anagrafe durante il periodo estivo.",
        5,
        2,
        "Turni programmati con anticipo; prenotazione degli appuntamenti online.",
        3,
        2,
        "Servizi Demografici",
    ),
    (
        "VAL-08",
        "Episodi di corruzione nell'assegnazione di appalti sotto soglia.",
        2,
        5,
        "Rotazione degli affidamenti; controlli previsti dal piano anticorruzione.",
        1,
        5,
        "Segretario Comunale",
    ),
)

# Library service: (id, description, likelihood, impact, owner)
LIBRARY_RISKS: tuple[tuple[str, str, int, int, str], ...] = (
    (
        "TR-01",
        "A roof leak at the central library damages stock and forces the building to close.",
        3,
        4,
        "Library Buildings Officer",
    ),
    ("TR-02", "The self-service kiosks fail and long queues form at the counter.", 3, 2, "Customer Services Lead"),
    (
        "TR-03",
        "Volunteer numbers fall below what is needed to keep the rural branches open.",
        4,
        3,
        "Volunteer Coordinator",
    ),
    ("TR-04", "A child goes missing during a storytime session.", 1, 5, "Children's Services Librarian"),
    ("TR-05", "A cyber attack on the library management system exposes borrower data.", 2, 4, "Systems Librarian"),
    ("TR-06", "Budget cuts force a reduction in opening hours across the service.", 4, 4, "Head of Libraries"),
)

# Regional airport: (id, description, probability level, impact level, owner)
AIRPORT_RISKS: tuple[tuple[str, str, str, str, str], ...] = (
    ("XA-01", "A bird strike during take-off damages an aircraft engine.", "M", "VH", "Airside Operations Manager"),
    ("XA-02", "The runway lighting fails during night operations.", "L", "H", "Airfield Engineering Lead"),
    ("XA-03", "The baggage handling system breaks down on a peak summer Saturday.", "H", "M", "Terminal Manager"),
    ("XA-04", "An air traffic control strike leads to cancelled flights.", "M", "H", "Commercial Director"),
    ("XA-05", "Contamination of the fuel supply grounds aircraft.", "VL", "VH", "Fuel Farm Supervisor"),
    ("XA-06", "The car park payment machines fail and parking revenue is lost.", "VH", "VL", "Car Parks Manager"),
)


# Lakeside District Council (second_sheet.xlsx, sum_row.xlsx): (id, risk, likelihood, impact, owner)
SECOND_SHEET_RISKS: tuple[tuple[str, str, int, int, str], ...] = (
    ("LDC-01", "Harbour wall fails in a winter storm", 3, 5, "Head of Coastal Services"),
    ("LDC-02", "Council tax collection falls", 4, 3, "Chief Finance Officer"),
    ("LDC-03", "Ransomware on the housing system", 3, 4, "Head of Digital"),
    ("LDC-04", "Care provider exits the market", 2, 4, "Director of Adult Care"),
)

# Stadtwerke Seetal (percent_cells.xlsx): (id, description, probability as a fraction, impact, owner)
PERCENT_RISKS: tuple[tuple[str, str, float, int, str], ...] = (
    ("SW-1", "Ausfall der Trinkwasserpumpe", 0.4, 4, "Leiter Wasser"),
    ("SW-2", "Cyberangriff auf die Leitstelle", 0.15, 5, "IT-Leitung"),
    ("SW-3", "Preisanstieg beim Gaseinkauf", 0.75, 3, "Einkauf"),
    ("SW-4", "Fachkräftemangel im Netzbetrieb", 0.05, 2, "Personal"),
)


def _style_header(ws: Worksheet, cell_range: str, fill: PatternFill = HEADER_FILL) -> None:
    for row in ws[cell_range]:
        for cell in row:
            cell.font = HEADER_FONT if fill is HEADER_FILL else Font(bold=True)
            cell.fill = fill
            cell.alignment = CENTRE


def _set_widths(ws: Worksheet, widths: dict[str, float]) -> None:
    for column, width in widths.items():
        ws.column_dimensions[column].width = width


def build_two_header_rows(path: Path) -> Path:
    """Title row, blank row, merged group headings on row 3, sub headings on row 4, risks on rows 5-12."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Register"
    ws["A1"] = "Comune di Valdoro - registro dei rischi 2025"
    ws["A1"].font = Font(bold=True, size=14)

    ws["A3"] = "Risk ID"
    ws["B3"] = "Description"
    ws["C3"] = "Inherent risk"
    ws["F3"] = "Controls"
    ws["G3"] = "Residual risk"
    ws["J3"] = "Owner"
    for column, label in zip("CDEGHI", ("Likelihood", "Impact", "Score") * 2, strict=True):
        ws[f"{column}4"] = label
    for merged in ("C3:E3", "G3:I3", "A3:A4", "B3:B4", "F3:F4", "J3:J4"):
        ws.merge_cells(merged)
    _style_header(ws, "A3:J3")
    _style_header(ws, "A4:J4", SUB_FILL)

    for offset, (rid, desc, il, ii, controls, rl, ri, owner) in enumerate(VALDORO_RISKS):
        row = 5 + offset
        values = (rid, desc, il, ii, il * ii, controls, rl, ri, rl * ri, owner)
        for column, value in zip("ABCDEFGHIJ", values, strict=True):
            ws[f"{column}{row}"] = value
            ws[f"{column}{row}"].alignment = Alignment(vertical="top", wrap_text=column in "BF")

    _set_widths(ws, {"A": 10, "B": 55, "C": 11, "D": 9, "E": 8, "F": 55, "G": 11, "H": 9, "I": 8, "J": 22})
    ws.freeze_panes = "C5"
    wb.save(path)
    return path


def build_totals_row(path: Path) -> Path:
    """Header on row 1, six risks on rows 2-7, a TOTAL row with a SUM formula on row 8, a note on row 10."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Risks"
    ws.append(["Risk ID", "Description", "Likelihood", "Impact", "Score", "Owner"])
    _style_header(ws, "A1:F1")
    for rid, desc, lk, im, owner in LIBRARY_RISKS:
        ws.append([rid, desc, lk, im, lk * im, owner])
    ws["B8"] = "TOTAL"
    ws["B8"].font = Font(bold=True)
    ws["E8"] = "=SUM(E2:E7)"
    ws["E8"].font = Font(bold=True)
    ws["A10"] = "Source: risk workshop, 3 February 2025"
    ws["A10"].font = Font(italic=True)
    _set_widths(ws, {"A": 10, "B": 70, "C": 11, "D": 9, "E": 8, "F": 30})
    wb.save(path)
    return path


def build_xmarks(path: Path) -> Path:
    """Merged 'Probability' and 'Impact' groups on row 1, VL..VH sub headings on row 2, one 'x' per group."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Risk matrix"
    ws.append(
        ["Risk ID", "Description", "Probability", None, None, None, None, "Impact", None, None, None, None, "Owner"]
    )
    ws.append([None, None, *LEVELS, *LEVELS, None])
    ws.merge_cells("C1:G1")
    ws.merge_cells("H1:L1")
    _style_header(ws, "A1:M1")
    _style_header(ws, "A2:M2", SUB_FILL)
    for rid, desc, prob, impact, owner in AIRPORT_RISKS:
        probs = ["x" if level == prob else None for level in LEVELS]
        impacts = ["x" if level == impact else None for level in LEVELS]
        ws.append([rid, desc, *probs, *impacts, owner])
    _set_widths(ws, {"A": 10, "B": 60, "M": 28})
    wb.save(path)
    return path


def build_second_sheet(path: Path) -> Path:
    """Sheet 1 'Instructions' (notes and a small Gantt-like grid), sheet 2 'Register' with a title row above
    the header on row 3 and four risks on rows 4-7."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Instructions"
    ws["A1"] = "How to fill in this register"
    ws["A3"] = "1. One row per risk; rate likelihood and impact 1-5."
    ws["A4"] = "2. Review every quarter with the risk owner."
    ws.append([])
    ws.append(["Task", "Jan", "Feb", "Mar"])
    ws.append(["Workshop", "x", None, None])
    ws.append(["Review", None, None, "x"])
    reg = wb.create_sheet("Register")
    reg["A1"] = "Lakeside District Council - strategic risks 2025"
    reg.append([])
    reg.append(["Risk ID", "Risk", "Likelihood", "Impact", "Owner"])
    _style_header(reg, "A3:E3")
    for row in SECOND_SHEET_RISKS:
        reg.append(list(row))
    wb.save(path)
    return path


def build_sum_row(path: Path) -> Path:
    """Header on row 1, four risks on rows 2-5 with a score, row 6 holding only a SUM formula (no label)."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Risks"
    ws.append(["Risk ID", "Risk", "Likelihood", "Impact", "Score", "Owner"])
    for rid, desc, lk, im, owner in SECOND_SHEET_RISKS:
        ws.append([rid, desc, lk, im, lk * im, owner])
    ws["E6"] = "=SUM(E2:E5)"
    ws["C6"] = "=AVERAGE(C2:C5)"
    wb.save(path)
    return path


def build_percent_cells(path: Path) -> Path:
    """German headings; likelihood as cells formatted 0 % (0.4 shown as 40 %), four risks on rows 2-5."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Risiken"
    ws.append(["Risiko-ID", "Risikobeschreibung", "Wahrscheinlichkeit in %", "Auswirkung", "Risikoeigner"])
    for rid, desc, p, im, owner in PERCENT_RISKS:
        ws.append([rid, desc, p, im, owner])
        ws.cell(ws.max_row, 3).number_format = "0%"
    wb.save(path)
    return path


def build(folder: Path) -> dict[str, Path]:
    """Write the workbooks into ``folder`` and return file name (e.g. ``"xmarks.xlsx"``) -> path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    builders = {
        "two_header_rows.xlsx": build_two_header_rows,
        "totals_row.xlsx": build_totals_row,
        "xmarks.xlsx": build_xmarks,
        "second_sheet.xlsx": build_second_sheet,
        "sum_row.xlsx": build_sum_row,
        "percent_cells.xlsx": build_percent_cells,
    }
    return {name: builder(folder / name) for name, builder in builders.items()}
