"""The executive summary: what went up, what went down, in plain words, honest about noise."""


def _date(day):
    return f"{day:%B} {day.day}, {day.year}"


def _significance(change):
    if change.p_value is None:
        return "too few reviews to tell whether this is a real change"
    if change.significant:
        return "a statistically significant change"
    return "within normal variation (not statistically significant)"


def summary_sentences(data):
    now, before = data["now"], data["before"]
    period = data["period"]
    if not now["count"]:
        return [
            f"No feedback was received between {_date(period.first_day)} and {_date(period.last_day)}.",
            f"The previous period had {before['count']} review{'s' * (before['count'] != 1)}."
            if before["count"]
            else "There was none in the previous period either.",
        ]
    sentences = []
    rating = data["vs_previous"]["average_rating"]
    if rating.before is None:
        sentences.append(f"The average rating was {rating.after:.2f} over {now['count']} reviews.")
    else:
        verb = "rose" if rating.delta > 0.005 else "fell" if rating.delta < -0.005 else "held steady"
        sentences.append(
            f"The average rating {verb} from {rating.before:.2f} to {rating.after:.2f} "
            f"({rating.delta:+.2f}, {rating.n_after} reviews against {rating.n_before}): "
            f"{_significance(rating)}."
        )
    diff = data["vs_previous"]["count"]
    trend = "more than" if diff > 0 else "fewer than" if diff < 0 else "as many as"
    amount = f"{abs(diff)} " if diff else ""
    sentences.append(f"{now['count']} reviews came in, {amount}{trend} the previous period.")
    negative = data["vs_previous"]["negative_share"]
    if negative.after is not None:
        text = f"{negative.after:.0%} of the feedback was negative"
        if negative.before is not None:
            text += f", {(negative.after - negative.before) * 100:+.0f} points: {_significance(negative)}"
        sentences.append(text + ".")
    drivers = data.get("drivers")
    if drivers and rating.p_value is not None:
        top = max(
            (
                row | {"dimension": dim}
                for dim in ("themes", "locations", "sources")
                for row in drivers.get(dim, [])
            ),
            key=lambda row: abs(row["contribution"]),
            default=None,
        )
        if top and abs(top["contribution"]) >= 0.01:
            sentences.append(f"The largest single driver: {top['name']} ({top['contribution']:+.2f}).")
    if now["backlog_new"]:
        sentences.append(f"{now['backlog_new']} items from the period are still new (not yet handled).")
    return sentences
