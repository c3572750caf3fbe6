"""Settings for the test run: the product's own settings, plus what only tests want.

Password hashing is slow on purpose; every test that creates a user would pay for it
(a factory user per campaign made the unit tier several times slower), so tests hash
with MD5. Nothing else differs from production settings.
"""

from leadterra_ui.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
