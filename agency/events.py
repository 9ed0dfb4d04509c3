"""What happened, announced by the layer that did it.

Lower layers never import upward: the sync, the reports and the point-of-sale trigger announce
what happened here, and features such as outbound webhooks and alerts subscribe. These are plain
Django signals (the well-kept mechanism every Django developer knows); this module is their one
documented list.

Receivers run synchronously, inside the sender's transaction: an exception rolls the sender's
work back, so a receiver that writes stays consistent with it. A receiver with effects outside
the database (email, HTTP, Celery) defers them with ``transaction.on_commit``. Receivers connect
in their app's ``AppConfig.ready()`` and accept ``**kwargs`` for arguments added later.
"""

from django.dispatch import Signal

#: A sync wrote one batch of a location's feedback. Arguments: ``location``, ``run`` (the SyncRun),
#: ``written_at`` (the batch's timestamp), ``result`` (counts: created, updated, status_changes).
feedback_batch_written = Signal()

#: A sync run ended. Arguments: ``run``, ``location``. Its outcome is ``run.state``.
sync_finished = Signal()

#: A sync run failed. Arguments: ``run``, ``location``, ``message`` (safe to show).
sync_failed = Signal()

#: A location's connection state changed. Arguments: ``location``, ``old``, ``new`` (ConnectionState).
location_state_changed = Signal()

#: A report was generated: ready to send, or waiting for approval. Argument: ``report``.
report_ready = Signal()

#: Someone accepted an invitation and became a member. Arguments: ``user``, ``invitation``.
#: A receiver may raise ``ValidationError`` to refuse it (the whole acceptance is rolled back).
member_joined = Signal()
