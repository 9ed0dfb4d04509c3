"""The zip of an agency's export: each table as CSV (opens in a spreadsheet: UTF-8 with a byte-order
mark, cells that could run as formulas quoted) and as JSON (the raw values), plus documents such as
report PDFs. Rows are streamed into the zip, so memory stays flat whatever the volume."""

import codecs
import csv
import io
import json
import zipfile

from django.core.serializers.json import DjangoJSONEncoder

from agency.spreadsheet import csv_cell


class Archive:
    """Written to by each layer (``agency.events.data_exported``); ``contents`` counts what went in."""

    def __init__(self, zf):
        self.zf = zf
        self.contents = {}

    def table(self, name, header, rows):
        """``name``.csv and ``name``.json from ``rows()``, a callable giving an iterable of tuples
        in ``header``'s order (called twice: once per file)."""
        count = 0
        with self.zf.open(f"{name}.csv", "w", force_zip64=True) as raw:
            raw.write(codecs.BOM_UTF8)
            text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
            writer = csv.writer(text)
            writer.writerow(header)
            for row in rows():
                writer.writerow([csv_cell(value) for value in row])
                count += 1
            text.flush()
            text.detach()
        with self.zf.open(f"{name}.json", "w", force_zip64=True) as raw:
            raw.write(b"[")
            for index, row in enumerate(rows()):
                line = json.dumps(
                    dict(zip(header, row, strict=True)), cls=DjangoJSONEncoder, ensure_ascii=False
                )
                raw.write((",\n" if index else "\n").encode() + line.encode())
            raw.write(b"\n]\n")
        self.contents[f"{name}.csv"] = count
        return count

    def file(self, name, source):
        """A document (bytes, or a file opened in binary mode) at ``name``."""
        with self.zf.open(name, "w", force_zip64=True) as raw:
            if isinstance(source, bytes):
                raw.write(source)
            else:
                for chunk in iter(lambda: source.read(1024 * 1024), b""):
                    raw.write(chunk)
        self.contents[name] = 1


def archive_open(path):
    return zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED)
