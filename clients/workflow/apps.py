from django.apps import AppConfig


class WorkflowConfig(AppConfig):
    """The agency's own handling of feedback, beside PulseBack's read-only status: assignee, tags,
    internal notes with @mentions, and "handled by us"."""

    name = "clients.workflow"
    label = "workflow"

    def ready(self):
        from clients.workflow import receivers  # noqa: F401  (connects to agency.events)
