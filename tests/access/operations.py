"""The platform operations pages on an agency's domain: its owner's data export (owners only, tested
in tests/operator/test_exports.py with every kind of visitor)."""

PAGES = {}
TESTED_ELSEWHERE = {"data_export", "data_export_download"}
