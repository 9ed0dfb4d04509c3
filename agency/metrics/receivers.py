"""Domain counts, from the signals the layers send (agency.events): nothing imports metrics to count."""

from agency import events, metrics


def _sync_finished(run, **kwargs):
    metrics.SYNC_RUNS.labels(outcome="succeeded", kind=run.kind).inc()


def _sync_failed(run, **kwargs):
    metrics.SYNC_RUNS.labels(outcome="failed", kind=run.kind).inc()


def _batch_written(result, **kwargs):
    metrics.ITEMS_SYNCED.labels(change="created").inc(result.created)
    metrics.ITEMS_SYNCED.labels(change="updated").inc(result.updated)


def _report_ready(report, **kwargs):
    metrics.REPORT_RENDERS.labels(state=report.state).inc()


def _report_sent(**kwargs):
    metrics.REPORT_SENDS.inc()


def _webhook_attempted(ok, status_code, **kwargs):
    result = "delivered" if ok else ("unreachable" if status_code is None else "http_error")
    metrics.WEBHOOK_DELIVERIES.labels(result=result).inc()


def connect():
    events.sync_finished.connect(_sync_finished, dispatch_uid="metrics.sync_finished")
    events.sync_failed.connect(_sync_failed, dispatch_uid="metrics.sync_failed")
    events.feedback_batch_written.connect(_batch_written, dispatch_uid="metrics.batch_written")
    events.report_ready.connect(_report_ready, dispatch_uid="metrics.report_ready")
    events.report_sent.connect(_report_sent, dispatch_uid="metrics.report_sent")
    events.webhook_attempted.connect(_webhook_attempted, dispatch_uid="metrics.webhook_attempted")
