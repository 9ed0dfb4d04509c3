from django.apps import AppConfig


class TeamConfig(AppConfig):
    """People: an agency's users and invitations, in the agency's own schema.

    In the public schema the same tables hold the platform's own staff (admin site).
    """

    name = "agency.team"
    label = "team"

    def ready(self):
        from axes.signals import user_locked_out
        from django.contrib import admin
        from django.contrib.auth.signals import user_logged_in, user_login_failed
        from django_otp.admin import OTPAdminSite

        from agency.team import signin

        user_logged_in.connect(signin.on_logged_in, dispatch_uid="team.logged_in")
        user_login_failed.connect(signin.on_login_failed, dispatch_uid="team.login_failed")
        user_locked_out.connect(signin.on_locked_out, dispatch_uid="team.locked_out")
        # The platform admin: only for staff who passed their second factor (django-otp's site).
        admin.site.__class__ = OTPAdminSite
