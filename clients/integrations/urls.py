from django.urls import path

from clients.integrations import pages, views, webhook_pages

urlpatterns = [
    path("hooks/pos/<uuid:key>/", views.pos_trigger, name="pos_trigger"),
    path(
        "clients/<int:pk>/locations/<int:location_pk>/pos/", pages.pos_trigger_page, name="pos_trigger_page"
    ),
    path("settings/webhooks/", webhook_pages.webhook_list, name="webhook_list"),
    path("settings/webhooks/<int:pk>/", webhook_pages.webhook_detail, name="webhook_detail"),
    path("settings/webhooks/<int:pk>/test/", webhook_pages.webhook_test, name="webhook_test"),
    path("settings/webhooks/<int:pk>/enable/", webhook_pages.webhook_enable, name="webhook_enable"),
    path("settings/webhooks/<int:pk>/remove/", webhook_pages.webhook_remove, name="webhook_remove"),
]
