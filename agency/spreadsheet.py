"""Cells of the CSV files people download: safe to open in a spreadsheet.

Every field is quoted (``CSV_QUOTING`` for the writer). A cell that a spreadsheet could read as a
formula is neutralised with an apostrophe, which spreadsheets show as text:

* a cell starting with one of OWASP's formula prefixes (``= + - @``, tab, carriage return), a line
  feed or NUL, their full-width forms, or a field separator of some locale (``;`` ``|``), which a
  spreadsheet splitting the cell again would leave in front;
* inside a cell, a formula prefix right after a separator (``, ; |`` or tab) or a line break, for
  spreadsheets that split cells or lines again.
"""

import csv
import re

CSV_QUOTING = csv.QUOTE_ALL
FORMULA_PREFIXES = "=+-@\uff1d\uff0b\uff0d\uff20"
_LEADING = re.compile(rf"^[ ]*[{re.escape(FORMULA_PREFIXES)}\t\r\n\0;|]")
_INSIDE = re.compile(rf"(?<=[,;|\t\r\n])([ ]*)(?=[{re.escape(FORMULA_PREFIXES)}])")


def csv_cell(value):
    """Text for a CSV cell that spreadsheets will not run as a formula."""
    if value is None:
        return ""
    if isinstance(value, list):
        value = ", ".join(str(item) for item in value)
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    text = _INSIDE.sub(r"\1'", text)
    return "'" + text if _LEADING.match(text) else text
