from django.urls import path

from agency.webhooks import views

urlpatterns = [
    path("hooks/pos/<uuid:key>/", views.pos_trigger, name="pos_trigger"),
]
