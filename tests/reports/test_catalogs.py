"""The reports' translations: every message translated, and the compiled catalogs (.mo, committed so
installing needs no gettext) say exactly what their sources (.po) say."""

import ast
import gettext
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parents[2] / "locale"
LANGUAGES = ("fr", "de", "es")


def po_entries(path):
    """{msgid: msgstr} of a .po file; plurals as msgid + NUL + msgid_plural: (forms...)."""
    entries, current, key = {}, {}, None
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if line.startswith("#"):
            continue
        if not line.strip():
            if current.get("msgid"):
                msgid = current["msgid"]
                if "msgid_plural" in current:
                    forms = tuple(current[k] for k in sorted(current) if k.startswith("msgstr["))
                    entries[msgid + "\x00" + current["msgid_plural"]] = forms
                else:
                    entries[msgid] = current["msgstr"]
            current, key = {}, None
            continue
        if line.startswith('"'):
            current[key] += ast.literal_eval(line)
            continue
        key, _space, value = line.partition(" ")
        current[key] = ast.literal_eval(value)
    return entries


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated(language):
    po = LOCALE / language / "LC_MESSAGES" / "django.po"

    entries = po_entries(po)

    assert len(entries) > 150
    untranslated = [
        msgid for msgid, text in entries.items() if not all(text if isinstance(text, tuple) else [text])
    ]
    assert untranslated == []
    assert "#, fuzzy" not in po.read_text(encoding="utf-8")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalog_matches_its_source(language):
    folder = LOCALE / language / "LC_MESSAGES"
    with (folder / "django.mo").open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)

    for msgid, text in po_entries(folder / "django.po").items():
        if "\x00" in msgid:
            singular, plural = msgid.split("\x00")
            assert compiled.ngettext(singular, plural, 1) == text[0], msgid
            assert compiled.ngettext(singular, plural, 5) == text[1], msgid
        else:
            assert compiled.gettext(msgid) == text, f"{msgid!r}: run msgfmt on {folder / 'django.po'}"
