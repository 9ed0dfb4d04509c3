"""The agency's handling of feedback under ``/api/v1/``."""

from django.urls import path

from clients.workflow import api

item = "locations/<id:location>/feedback/<str:feedback_id>"

urlpatterns = [
    path("workflow/members", api.MembersView.as_view(), name="api-workflow-members"),
    path("workflow/feedback", api.HandlingListView.as_view(), name="api-workflow-feedback"),
    path("workflow/bulk", api.BulkView.as_view(), name="api-workflow-bulk"),
    path(f"{item}/workflow", api.HandlingView.as_view(), name="api-feedback-workflow"),
    path(f"{item}/notes", api.NotesView.as_view(), name="api-feedback-notes"),
]
