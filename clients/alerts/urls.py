from django.urls import path

from clients.alerts import views

channel = "settings/alerts/channels/<int:pk>"

urlpatterns = [
    path("alerts/", views.alert_list, name="alert_list"),
    path("alerts/<int:pk>/read/", views.alert_read, name="alert_read"),
    path("settings/alerts/", views.alert_rules, name="alert_rules"),
    path("settings/alerts/test/", views.alert_rule_test, name="alert_rule_test"),
    path("settings/alerts/channels/", views.alert_channels, name="alert_channels"),
    path(f"{channel}/test/", views.alert_channel_test, name="alert_channel_test"),
    path(f"{channel}/remove/", views.alert_channel_remove, name="alert_channel_remove"),
]
