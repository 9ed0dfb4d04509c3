"""Sortable tables of the portal pages: the sort a visitor asked for, its column headers, the sorted rows."""

PERIODS = {"7": "Last 7 days", "30": "Last 30 days", "90": "Last 90 days"}


def period_param(params, default="30"):
    """The period (a key of PERIODS) asked for in ``params``, else ``default``."""
    period = params.get("period")
    return period if period in PERIODS else default


def sort_param(params, columns, default):
    """The sort asked for in ``params``: a key of ``columns``, "-" first for descending."""
    sort = params.get("sort", default)
    return sort if sort.lstrip("-") in columns else default


def sort_headers(columns, sort):
    """(key, label, the sort its link asks for, whether it is the current one) per column: a click on
    the current column reverses it."""
    return [
        (key, label, f"-{key}" if sort == key else key, sort.lstrip("-") == key)
        for key, label in columns.items()
    ]


def rows_sorted(rows, sort, keys, name):
    """``rows`` sorted by ``keys[sort]`` (a row key; "-" first for descending) then by ``name`` (a
    function of a row). Rows without that figure come last whatever the direction."""
    descending = sort.startswith("-")
    key = keys.get(sort.lstrip("-"))
    rows = sorted(rows, key=name)
    if key is None:
        return rows[::-1] if descending else rows
    present = [row for row in rows if row[key] is not None]
    missing = [row for row in rows if row[key] is None]
    present.sort(key=lambda row: row[key], reverse=descending)
    return present + missing
