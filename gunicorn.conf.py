"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py leadterra_ui.wsgi`.

The access log is on, but a wall's URL (/wall/<token>/) is its only credential, so every
logged value (request line, path, query, referer) has the token replaced first.
"""

from gunicorn.glogging import Logger

from leadterra_ui.logfilters import redact

accesslog = "-"
errorlog = "-"


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: redact(value) if isinstance(value, str) else value for key, value in atoms.items()}


logger_class = RedactingLogger
