"""The front door: each member's security page, two-factor set-up, "confirm it's you", the
second sign-in step, and the first sign-in of a new agency's owner."""

from tests.access import OWN, PUBLIC

PAGES = {
    "account_security": (OWN, {}),
    "two_factor_setup": (OWN, {}),
    "reauth": (OWN, {}),
    "login_code": (PUBLIC, {}),  # signed in without a second factor: straight on; anonymous: to log in
}
# POST-only actions, or links that carry a one-time token: tested in tests/security/.
TESTED_ELSEWHERE = {
    "recovery_codes_renew", "two_factor_off", "two_factor_policy", "logout_everywhere",
    "member_two_factor_reset", "welcome",
}  # fmt: skip
