"""The production settings with two differences: the bench urlconf, which adds the bare view,
and where collectstatic writes.

Only the bench runner's gunicorn uses this module; production never routes /_bench/.
"""

from leadterra_ui.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
# collectstatic runs as in production (the manifest), into a folder of the bench's own.
STATIC_ROOT = BASE_DIR / ".run" / "bench-static"  # noqa: F405
