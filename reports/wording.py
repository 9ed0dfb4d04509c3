"""The executive summary: what went up, what went down, in plain words, honest about noise.

Every sentence goes through translation, with the numbers and dates in the reader's formats.
"""

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from reports import i18n


def significance(change):
    if change.p_value is None:
        return _("too few reviews to tell whether this is a real change")
    if change.significant:
        return _("a statistically significant change")
    return _("within normal variation (not statistically significant)")


def _reviews(n):
    return ngettext("%(n)s review", "%(n)s reviews", n) % {"n": i18n.number(n)}


def _no_feedback(data):
    period, before = data["period"], data["before"]["count"]
    first = _("No feedback was received between %(start)s and %(end)s.") % {
        "start": i18n.date_text(period.first_day), "end": i18n.date_text(period.last_day)}  # fmt: skip
    if before:
        return [first, _("The previous period had %(reviews)s.") % {"reviews": _reviews(before)}]
    return [first, _("There was none in the previous period either.")]


def _rating_sentence(rating, count):
    if rating.before is None:
        return _("The average rating was %(rating)s over %(reviews)s.") % {
            "rating": i18n.number(rating.after, 2), "reviews": _reviews(count)}  # fmt: skip
    values = {
        "before": i18n.number(rating.before, 2), "after": i18n.number(rating.after, 2),
        "delta": i18n.signed(rating.delta, 2), "n_after": i18n.number(rating.n_after),
        "n_before": i18n.number(rating.n_before), "significance": significance(rating),
    }  # fmt: skip
    if rating.delta > 0.005:
        text = _("The average rating rose from %(before)s to %(after)s (%(delta)s, %(n_after)s reviews "
                 "against %(n_before)s): %(significance)s.")  # fmt: skip
    elif rating.delta < -0.005:
        text = _("The average rating fell from %(before)s to %(after)s (%(delta)s, %(n_after)s reviews "
                 "against %(n_before)s): %(significance)s.")  # fmt: skip
    else:
        text = _("The average rating held steady at %(after)s (%(n_after)s reviews against %(n_before)s).")
    return text % values


def _volume_sentence(count, diff):
    values = {"reviews": _reviews(count), "diff": i18n.number(abs(diff))}
    if diff > 0:
        return _("%(reviews)s came in, %(diff)s more than the previous period.") % values
    if diff < 0:
        return _("%(reviews)s came in, %(diff)s fewer than the previous period.") % values
    return _("%(reviews)s came in, as many as the previous period.") % values


def _driver_sentence(drivers, rating):
    """The largest named driver, or why none is named."""
    if not drivers or rating.p_value is None:
        return None
    named = [row for key in ("locations", "sources", "themes") for row in drivers.get(key, [])]
    top = max(named, key=lambda row: abs(row["contribution"]), default=None)
    if top is None or abs(top["contribution"]) < 0.01:
        if any(drivers.get(f"{key}_unnamed") for key in ("locations", "sources", "themes")):
            return _("There was too little feedback to say what drove the change (each location, "
                     "source and theme needs at least %(n)s reviews in both periods).") % {
                "n": drivers["min_sample"]}  # fmt: skip
        return None
    text = _("The largest single driver: %(name)s (%(contribution)s, %(n)s reviews against %(n_before)s).")
    return text % {
        "name": top["label"], "contribution": i18n.signed(top["contribution"], 2),
        "n": i18n.number(top["count"]), "n_before": i18n.number(top["count_before"]),
    }  # fmt: skip


def summary_sentences(data):
    now = data["now"]
    if not now["count"]:
        return _no_feedback(data)
    rating = data["vs_previous"]["average_rating"]
    sentences = [
        _rating_sentence(rating, now["count"]),
        _volume_sentence(now["count"], data["vs_previous"]["count"]),
    ]
    negative = data["vs_previous"]["negative_share"]
    if negative.after is not None and negative.before is not None:
        sentences.append(_("%(share)s of the feedback was negative, %(points)s: %(significance)s.") % {
            "share": i18n.percent(negative.after), "points": i18n.points(negative.after - negative.before),
            "significance": significance(negative)})  # fmt: skip
    elif negative.after is not None:
        sentences.append(
            _("%(share)s of the feedback was negative.") % {"share": i18n.percent(negative.after)}
        )
    driver = _driver_sentence(data.get("drivers"), rating)
    if driver:
        sentences.append(driver)
    if now["backlog_new"]:
        sentences.append(ngettext(
            "%(n)s item from the period is still new (not yet handled).",
            "%(n)s items from the period are still new (not yet handled).", now["backlog_new"],
        ) % {"n": i18n.number(now["backlog_new"])})  # fmt: skip
    return sentences
