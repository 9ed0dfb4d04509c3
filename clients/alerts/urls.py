from django.urls import path

from clients.alerts import views

urlpatterns = [
    path("alerts/", views.alert_list, name="alert_list"),
    path("alerts/<int:pk>/read/", views.alert_read, name="alert_read"),
    path("settings/alerts/", views.alert_rules, name="alert_rules"),
]
