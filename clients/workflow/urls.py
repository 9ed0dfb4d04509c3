"""The workflow's pages: My queue, the feedback page's actions and bulk actions."""

from django.urls import path

from clients.workflow import views

urlpatterns = [
    path("my-queue/", views.my_queue, name="my_queue"),
    path("feedback/bulk/", views.feedback_bulk, name="feedback_bulk"),
    path("feedback/<int:pk>/assign/", views.feedback_assign, name="feedback_assign"),
    path("feedback/<int:pk>/tags/", views.feedback_tags, name="feedback_tags"),
    path("feedback/<int:pk>/handled/", views.feedback_handled, name="feedback_handled"),
    path("feedback/<int:pk>/notes/", views.feedback_note_add, name="feedback_note_add"),
]
