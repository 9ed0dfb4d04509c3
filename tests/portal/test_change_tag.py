"""The change of a figure against the previous period, as the dashboards, the overview and the
leaderboard show it."""

import pytest
from django.template import Context, Template
from django.utils import translation

CHANGE = Template("{% load portal %}{% change value digits suffix=suffix inverse=inverse %}")


def shown(value, digits=2, suffix="", inverse=False):
    return CHANGE.render(Context({"value": value, "digits": digits, "suffix": suffix, "inverse": inverse}))


@pytest.mark.parametrize(
    ("value", "kwargs", "expected"),
    [
        (0.25, {}, '<span class="change up" title="Up against the previous period">▲ 0.25</span>'),
        (-1.5, {}, '<span class="change down" title="Down against the previous period">▼ 1.50</span>'),
        (0.004, {}, '<span class="change">±0</span>'),  # what rounds to nothing shows no direction
        (-0.4, {"digits": 0}, '<span class="change">±0</span>'),
        (12, {"digits": 0}, '<span class="change up" title="Up against the previous period">▲ 12</span>'),
        (None, {}, '<span class="change">—</span>'),
        (0, {"suffix": " pts"}, '<span class="change">±0 pts</span>'),
        (3.2, {"digits": 0, "suffix": " pts", "inverse": True},
         '<span class="change up bad" title="Up against the previous period">▲ 3 pts</span>'),
        (-3.2, {"digits": 0, "suffix": " pts", "inverse": True},
         '<span class="change down good" title="Down against the previous period">▼ 3 pts</span>'),
    ],
)  # fmt: skip
def test_a_change_reads_up_down_even_or_none(value, kwargs, expected):
    assert shown(value, **kwargs) == expected


def test_the_suffix_is_escaped_and_the_number_localized():
    assert shown(1, suffix="<b>").endswith("1.00&lt;b&gt;</span>")
    with translation.override("de"):
        assert "▲ 0,25" in shown(0.25)
