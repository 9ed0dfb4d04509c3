"""Each client reads its report in its own language, and every script prints with real glyphs.

These tests also write the sample reports people look at (artifacts/report/): Lakeside
Hospitality's October in English and in French, and a hotel whose guests write in Japanese,
Chinese, Korean, Arabic, Hebrew, Greek and Russian.
"""

from datetime import date, timedelta

import pytest
import time_machine

from clients import stats
from clients.periods import Period
from reports.models import ClientReportSettings, Report, ReportTemplate
from reports.services import report_render
from tests.factories import LocationFactory, rollup
from tests.reports.pdfs import at, fonts_of_text, glyph_count, keep_pdf, make_items, pdf_text, word_positions

TODAY = at(date(2026, 11, 4), 9)
START, END = date(2026, 10, 1), date(2026, 10, 31)
THEMES = [["room", "breakfast"], ["check-in", "staff"], ["location"], ["breakfast"], ["wifi", "room"],
          ["staff"], ["noise", "room"], ["cleanliness"]]  # fmt: skip
SOURCES = ["widget", "pos_integration", "qr_code", "email", "toast_integration"]
STATUSES = ["resolved", "reviewed", "resolved", "new"]
NAMES = ["Anna K.", "Marc D.", "Sofia R.", "Jonas B.", "Claire M.", "Luca P.", "Emma W."]
PRAISE = {
    "Hotel Seeblick": [
        "Lovely lake view from the room, and the breakfast buffet was generous and fresh every morning.",
        "The staff at the front desk remembered our names and booked a boat trip for us. Thank you!",
        "Spotless room, quiet at night, and a short walk to the old town. We will come back next summer.",
    ],
    "Salon Lumière": [
        "Mira listened to exactly what I wanted and the colour came out better than in the picture.",
        "Booked online the same morning, no waiting, and a relaxing head massage with the wash.",
        "Friendly team, fair prices and they explained how to keep the curls at home. Perfect.",
    ],
}
CRITICISM = {
    "Hotel Seeblick": [
        "We waited forty minutes at check-in although the room was ready; nobody told us why.",
        "The wifi kept dropping in our room, impossible to work; the reception could not help.",
        "Noise from the bar until one in the morning, right under our window. Not what we paid for.",
    ],
    "Salon Lumière": [
        "My appointment started twenty minutes late and the cut was rushed to catch up the delay.",
        "The colour faded within a week and nobody called back when I asked about it.",
        "Too expensive for a simple trim, and the price list on the website was not up to date.",
    ],
}
COMMENTARY_FR = """En octobre, nous avons répondu à chaque avis négatif dans la journée et formé l'équipe
de la réception du soir à l'accueil des arrivées.

Nos recommandations pour novembre :

- demander un avis aux clients au départ, avec la carte QR ;
- réparer le wifi du deuxième étage avant la saison d'hiver."""
COMMENTARY = """In October we answered every negative review within a day and trained the evening
reception team on check-in.

What we recommend for November:

- ask guests at check-out for a review with the QR card,
- fix the wifi on the second floor before the winter season."""


def branded(agency):
    """The agency as a client sees it: its colours, contact and footer (the tenant the render reads)."""
    agency.brand_primary, agency.brand_accent = "#0b5c6b", "#d9480f"
    agency.contact_line = "Lena Hofer · +41 44 555 01 23 · lena@alpha-agency.example"
    agency.report_footer = "Confidential: prepared for our client"


def lakeside(language):
    """Lakeside Hospitality: a hotel and a salon, two months of feedback, a few quiet days."""
    hotel = LocationFactory(client__name="Lakeside Hospitality", client__timezone="Europe/Zurich",
                            name="Hotel Seeblick")  # fmt: skip
    salon = LocationFactory(client=hotel.client, name="Salon Lumière")
    ClientReportSettings.objects.create(
        client=hotel.client, language=language, own_template=language == "fr",
        sections=["summary", "commentary", "kpis", "ratings", "themes", "locations", "sources", "comments",
                  "drivers"],
        introduction="Voici comment vos clients ont vu Lakeside Hospitality ce mois-ci.",
        closing="Une question sur ce rapport ? Écrivez à **Léna**, votre chargée de compte.",
    )  # fmt: skip
    quiet = {date(2026, 10, d) for d in (7, 8, 9, 10, 11, 12, 13)}  # a closed week
    for loc, ratings in (
        (hotel, [5, 4, 5, 3, 5, 4, 2, 5, 4, 5, 4, 1]),
        (salon, [4, 3, 5, 2, 4, 3, 5, 4, 3, 2]),
    ):
        for first, shift in ((START - timedelta(days=31), -1), (START, 0)):
            for i, base in enumerate(ratings * 7):
                day = first + timedelta(days=(i * 5) % 31)
                if day in quiet:
                    continue
                rating = max(1, min(5, base + (shift if i % 4 == 0 else 0)))
                comments = (PRAISE if rating >= 4 else CRITICISM)[loc.name]
                comment = comments[i % 3] if i % 5 == 0 and rating != 3 else None
                make_items(loc, day, [rating], days=1, themes=THEMES[i % len(THEMES)],
                           source=SOURCES[i % len(SOURCES)], comment=comment, status=STATUSES[i % 4],
                           sentiment_score=(rating - 3) / 2, customer_name=NAMES[i % len(NAMES)])  # fmt: skip
    rollup(hotel.client)
    ReportTemplate.objects.create(
        sections=["summary", "commentary", "kpis", "ratings", "themes", "locations", "sources", "comments",
                  "drivers"],
        introduction="Here is how your guests saw Lakeside Hospitality this month.",
        closing="Questions about this report? Write to **Lena**, your account manager.",
    )  # fmt: skip
    return hotel.client


def render(client, commentary=""):
    language = client.report_settings.language
    with time_machine.travel(TODAY, tick=False):
        report = Report(
            client=client, start=START, end=END, sections=[], language=language, commentary=commentary
        )
        return report_render(report=report)


def test_the_english_sample(agency):
    branded(agency)
    client = lakeside("en")

    pdf = render(client, COMMENTARY)

    pages = keep_pdf("sample-report-en", pdf)
    text = pdf_text(pdf)
    assert pages >= 4
    assert "October 1 – 31, 2026" in text
    assert "Locations compared" in text and "What drove the change" in text
    assert "answered every negative review within a day" in text


def test_a_french_report_reads_french(agency):
    branded(agency)
    client = lakeside("fr")

    pdf = render(client, COMMENTARY_FR)

    keep_pdf("sample-report-fr", pdf)
    text = pdf_text(pdf)
    for title in ("Synthèse", "Chiffres clés", "Notes et volume dans le temps", "Commentaires marquants",
                  "Ce qui a fait évoluer la note"):  # fmt: skip
        assert title in text, title
    assert "1 – 31 octobre 2026" in text
    assert "8 oct." in text and "15 oct." in text  # the time axis
    period = Period("custom", START, END + timedelta(days=1))
    start, end = period.bounds(client.timezone)
    average = stats.period_stats(client_id=client.pk, start=start, end=end)["average_rating"]
    assert f"{average:.2f}".replace(".", ",") + " ★" in text  # a decimal comma
    assert "Executive summary" not in text and "Key figures" not in text and "October" not in text
    assert "Voici comment vos clients" in text and "Léna" in text  # the client's own template


def test_the_email_is_in_the_report_s_language(agency, django_capture_on_commit_callbacks):
    from django.core import mail

    from reports.models import ReportState
    from reports.services import report_generate, report_send

    client = lakeside("de")
    client.report_recipients = ["inhaber@lakeside.example"]
    client.save()
    report = Report.objects.create(client=client, start=START, end=END, language="de", send_when_ready=True)
    with time_machine.travel(TODAY, tick=False), django_capture_on_commit_callbacks():
        report_generate(report_id=report.pk)
    report.refresh_from_db()
    assert report.state == ReportState.READY

    report_send(report_id=report.pk)

    (message,) = mail.outbox
    assert message.subject.startswith("Lakeside Hospitality: Ihr Reputationsbericht")
    assert "Oktober 2026" in message.subject
    assert "Anbei der Reputationsbericht von Lakeside Hospitality" in message.body
    assert message.attachments[0][2] == "application/pdf"


SCRIPTS = {
    "Japanese": "朝食がとても美味しくて、スタッフの皆さんも親切でした。"
    "湖の景色も素晴らしく、また泊まりたいです。",
    "Chinese": "房间非常干净，早餐种类丰富，前台服务热情周到。湖景很美，下次还会再来入住这家酒店。",
    "Korean": "호수 전망이 정말 아름다웠고 직원분들이 아주 친절했어요. 조식도 맛있었습니다. 다시 올게요!",
    "Arabic": "كانت الغرفة متسخة والانتظار عند تسجيل الوصول طويلا جدا، ولم يعتذر أحد من الموظفين.",
    "Hebrew": "החדר היה רועש מאוד בלילה והמזגן לא עבד, קבלת הפנים לא עזרה לנו בכלל לצערי.",
    "Greek and Russian": "Πολύ θόρυβος τη νύχτα, κακό wifi. Очень шумно ночью, а завтрак был холодным.",
}


@pytest.fixture
def international(agency):
    hotel = LocationFactory(client__name="Hotel Seeblick", client__timezone="Europe/Zurich", name="Seeblick")
    make_items(hotel, START, [5, 4, 5, 4, 3, 2, 5, 4] * 4, themes=["breakfast"])
    for i, (script, comment) in enumerate(SCRIPTS.items()):
        rating = 5 if script in ("Japanese", "Chinese", "Korean") else 1
        score = 0.9 if rating == 5 else -0.9
        make_items(hotel, START + timedelta(days=i), [rating], comment=comment, themes=["room", "staff"],
                   sentiment_score=score, customer_name=f"Guest ({script})")  # fmt: skip
    rollup(hotel.client)
    ClientReportSettings.objects.create(client=hotel.client, language="en")
    return hotel.client


def test_every_script_prints_with_real_glyphs_from_embedded_fonts(international):
    pdf = render(international)

    keep_pdf("sample-report-ja-comments", pdf)
    for script, comment in SCRIPTS.items():
        sample = comment[:8]
        fonts = fonts_of_text(pdf, sample)
        for char, (name, embedded, data) in zip(sample, fonts, strict=True):
            if char.isspace():
                continue
            assert embedded, (script, char, name)
            assert "Noto" in name, (script, char, name)
            assert glyph_count(data) > 1, (script, char, name)  # more than the "missing glyph" box


def test_a_japanese_comment_s_glyphs_are_in_the_embedded_cjk_font(international):
    pdf = render(international)

    comment = SCRIPTS["Japanese"]
    fonts = fonts_of_text(pdf, comment)
    names = {name for name, _embedded, _data in fonts if name}  # a line break has no font
    assert all("notosanscjkjp" in name.replace("-", "").lower() for name in names), names
    (data,) = {d for name, _e, d in fonts if "CJK" in name}
    assert glyph_count(data) >= len(set(comment)) - 1  # every distinct character has its glyph
    assert "".join(pdf_text(pdf).split()).count(comment) == 1  # and reads back as the guest wrote it
    assert len(pdf) < 600_000  # subset: a few hundred glyphs, not the 60,000 of the font


def test_arabic_and_hebrew_run_right_to_left(international):
    pdf = render(international)

    for script in ("Arabic", "Hebrew"):
        words = SCRIPTS[script].split()
        (_page, first_x), *_ = word_positions(pdf, words[0])
        (_page, second_x), *_ = word_positions(pdf, words[1])
        assert first_x > second_x, script  # the first word is the rightmost
