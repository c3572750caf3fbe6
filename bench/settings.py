"""The production settings with one difference: the bench urlconf, which adds the bare view.

Only the bench runner's gunicorn uses this module; production never routes /_bench/.
"""

from leadterra_ui.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
