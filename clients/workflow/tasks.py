"""Celery tasks of the workflow: ids only, calling clients.workflow.services. A mail server that
fails is retried with backoff."""

from smtplib import SMTPException

from celery import shared_task

from clients.workflow import services

_RETRY = {"autoretry_for": (SMTPException, OSError), "retry_backoff": 30, "retry_jitter": True,
          "max_retries": 6, "acks_late": True}  # fmt: skip


@shared_task(**_RETRY)
def note_mentions_email_task(note_id):
    services.note_mentions_email(note_id=note_id)


@shared_task(**_RETRY)
def assignment_email_task(assignee_id, actor_label, feedback_id, count):
    services.assignment_email(
        assignee_id=assignee_id, actor_label=actor_label, feedback_id=feedback_id, count=count
    )
