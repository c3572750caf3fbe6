"""WSGI for the bench's gunicorn: the production app with the bench urlconf (the bare view)."""

import os

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
