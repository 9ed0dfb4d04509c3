from django.urls import path

from clients.portfolio import views

urlpatterns = [
    path("locations/", views.location_leaderboard, name="location_leaderboard"),
    path("locations/export.csv", views.location_leaderboard_export, name="location_leaderboard_export"),
    path("groups/", views.group_list, name="group_list"),
    path("groups/<int:pk>/", views.group_edit, name="group_edit"),
    path("groups/<int:pk>/remove/", views.group_remove, name="group_remove"),
]
