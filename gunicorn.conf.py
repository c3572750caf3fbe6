"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py leadterra_ui.wsgi`.

The access log is on, but a wall's URL (/wall/<token>/) is its only credential, so every
logged value (request line, path, query, referer) has the token replaced first.
"""

import os

from gunicorn.glogging import Logger

from leadterra_ui.logfilters import redact

accesslog = "-"
errorlog = "-"

# Threads, not only processes: a page spends much of its time waiting on PostgreSQL, and the
# live partials poll every second from every open tab. One process per core, each with
# WEB_THREADS threads (each thread holds one database connection: size max_connections for
# workers × threads per host). `make bench` measures 10 concurrent users with this setup.
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", os.cpu_count() or 2))
threads = int(os.environ.get("WEB_THREADS", "8"))


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: redact(value) if isinstance(value, str) else value for key, value in atoms.items()}


logger_class = RedactingLogger
