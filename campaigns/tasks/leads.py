from celery import shared_task

from campaigns.services.import_recovery import imports_sweep
from campaigns.services.leads import lead_import_run


# Limits below the broker's 600 s visibility timeout: a longer task would be redelivered
# to a second worker while the first still runs. A 50 MB file takes well under a minute.
@shared_task(name="campaigns.tasks.run_import", soft_time_limit=500, time_limit=540)
def run_import(import_id: int):
    """Stage, check and apply one CSV import from its checkpoint (the service records the outcome)."""
    lead_import_run(import_id=import_id)


@shared_task(name="campaigns.tasks.sweep_imports")
def sweep_imports():
    """Resume imports whose worker was lost; re-send those whose message was (beat, every few seconds)."""
    return imports_sweep()
