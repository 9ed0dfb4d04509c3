from django.apps import AppConfig


class TeamConfig(AppConfig):
    """People: an agency's users and invitations, in the agency's own schema.

    In the public schema the same tables hold the platform's own staff (admin site).
    """

    name = "agency.team"
    label = "team"
