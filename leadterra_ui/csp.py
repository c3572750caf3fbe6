"""Content-Security-Policy on every response (Django 5.2 has none built in; this is all we need).

No inline script anywhere: scripts come from our static files only, and htmx's own indicator
<style> is switched off (base.html's htmx-config meta; the indicator CSS lives in app.css).
Pages that show an email preview relax images and styles, and only those: the preview is an
`<iframe srcdoc sandbox>`, which inherits the page's policy, and emails carry inline styles
and https images. Scripts stay forbidden there too, and the frame adds its own stricter
policy (default-src 'none') on top.
"""

from functools import wraps

HEADER = "Content-Security-Policy"
POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "connect-src": "'self'",
    "font-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
EMAIL_PREVIEW = {"img-src": "'self' data: https:", "style-src": "'self' 'unsafe-inline'"}


def render_policy(directives: dict) -> str:
    return "; ".join(f"{name} {value}" for name, value in directives.items())


DEFAULT = render_policy(POLICY)
WITH_EMAIL_PREVIEW = render_policy(POLICY | EMAIL_PREVIEW)


def allows_email_preview(view):
    """For views whose page embeds campaigns/_preview.html (see the module docstring)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response[HEADER] = WITH_EMAIL_PREVIEW
        return response

    return wrapper


class ContentSecurityPolicyMiddleware:
    """Sets the default policy unless the view set its own."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault(HEADER, DEFAULT)
        return response
