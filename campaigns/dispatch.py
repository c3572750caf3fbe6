"""Queue a Celery task by its name, from the services below the tasks.

The tasks call the services; a service that must queue work (an operation, an import)
does it through here, by name, so it never imports the task modules above it. The names
are the ones every task declares (`@shared_task(name="campaigns.tasks.<name>")`).
"""

from __future__ import annotations

from celery import current_app

RUN_OPERATION = "campaigns.tasks.run_operation"
RUN_IMPORT = "campaigns.tasks.run_import"
DEMO_LAUNCH = "campaigns.tasks.demo_launch"
REFRESH_SDR_INBOX = "campaigns.tasks.refresh_sdr_inbox"
POLL_STATS_BATCH = "campaigns.tasks.poll_stats_batch"


def send(name: str, *args, countdown: float | None = None) -> None:
    """Publish one message for task `name`, or raise if the broker does not take it.

    No publish retries (kombu would retry the connection for seconds): a web request must
    not hang on a dead broker. Callers decide what a refusal means (the outbox's sweeper
    sends a queued row later; an import says so on its page).
    """
    with current_app.connection_for_write(transport_options={"max_retries": 0}) as connection:
        current_app.send_task(name, args=args, countdown=countdown, retry=False, connection=connection)
