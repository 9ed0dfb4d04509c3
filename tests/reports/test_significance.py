"""The tests' p-values against values computed independently (numerical integration of the
t and normal densities, by a separate script; 2 * pt(-2, 10) = 0.0734 is the textbook value)."""

import math

import pytest

from reports.significance import rating_change, share_change, t_two_sided_p, welch_test


@pytest.mark.parametrize(
    ("t", "df", "p"),
    [(2.0, 10, 0.07338805), (1.0, 5, 0.36321747), (3.5, 30, 0.00147681), (0.0, 7, 1.0)],
)
def test_student_t_two_sided_p_value(t, df, p):
    assert t_two_sided_p(t, df) == pytest.approx(p, rel=1e-5)


def test_welch_matches_the_textbook_example():
    # means 20 / 22, variances 4 / 9, n 20 / 25: Welch's t and degrees of freedom by hand
    p = welch_test(mean1=20.0, var1=4.0, n1=20, mean2=22.0, var2=9.0, n2=25)
    se = math.sqrt(4 / 20 + 9 / 25)
    df = (4 / 20 + 9 / 25) ** 2 / ((4 / 20) ** 2 / 19 + (9 / 25) ** 2 / 24)
    assert p == pytest.approx(t_two_sided_p(2.0 / se, df))
    assert 0.005 < p < 0.02


def test_twelve_reviews_of_noise_are_not_significant():
    before = {5: 4, 4: 1, 3: 1}  # 6 reviews, mean 4.5
    after = {5: 3, 4: 1, 3: 1, 2: 1}  # 6 reviews, mean 4.0

    change = rating_change(before, after)

    assert change.delta == pytest.approx(-0.5)
    assert not change.significant


def test_a_large_real_drop_is_significant():
    change = rating_change({5: 600, 4: 300, 3: 100}, {5: 400, 4: 300, 3: 200, 2: 100})

    assert change.delta == pytest.approx(-0.5)
    assert change.significant


def test_too_little_data_is_not_tested():
    assert rating_change({}, {5: 3}).p_value is None
    assert rating_change({5: 1}, {4: 1}).p_value is None


def test_two_proportion_z_test():
    # z = 3.43; the normal tail by numerical integration: 0.00060364
    change = share_change(part_before=30, n_before=300, part_after=60, n_after=300)

    assert change.p_value == pytest.approx(0.00060364, rel=1e-4)
    assert change.significant
    assert not share_change(part_before=1, n_before=10, part_after=2, n_after=10).significant
