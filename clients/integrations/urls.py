from django.urls import path

from clients.integrations import pages, views

urlpatterns = [
    path("hooks/pos/<uuid:key>/", views.pos_trigger, name="pos_trigger"),
    path(
        "clients/<int:pk>/locations/<int:location_pk>/pos/", pages.pos_trigger_page, name="pos_trigger_page"
    ),
]
