"""Cells of the CSV files people download: safe to open in a spreadsheet."""

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value):
    """Text for a CSV cell that spreadsheets will not run as a formula."""
    if value is None:
        return ""
    if isinstance(value, list):
        value = ", ".join(value)
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text
