"""Celery wiring, in the shape of Celery's Django example.

All settings live in Django settings under the CELERY_ namespace; see settings.py.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadterra_ui.settings")

app = Celery("leadterra_ui")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
