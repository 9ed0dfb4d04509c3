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

#: A report was emailed to its recipients. Argument: ``report``.
report_sent = Signal()

#: One attempt to deliver a webhook was made. Arguments: ``delivery``, ``ok`` (the endpoint answered
#: 2xx), ``status_code`` (None when it could not be reached).
webhook_attempted = Signal()

#: The operator's console measures an agency (the connection is in its schema). Each receiver
#: returns a dict of its layer's figures, any of: ``clients``, ``locations``, ``locations_failing``,
#: ``items``, ``syncs_24h``, ``sync_failures_24h``, ``oldest_success_at``, ``report_bytes``.
#: Argument: ``agency``.
usage_measured = Signal()

#: An agency's data is being exported (the connection is in its schema): each layer writes its
#: part into ``archive`` (agency.operator.archive.Archive: ``table()`` for CSV and JSON,
#: ``file()`` for documents). Arguments: ``agency``, ``archive``.
data_exported = Signal()
