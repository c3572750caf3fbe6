"""Every view needs a login unless it is marked @login_not_required (see settings.MIDDLEWARE)."""

from django.contrib.auth import middleware


class LoginRequiredMiddleware(middleware.LoginRequiredMiddleware):
    """Django's, asking about the view first: a view marked @login_not_required (the wall, the
    webhook, health) never loads the session and the user it does not use. Django's asks for the
    user first, which cost the wall's refresh two queries in any browser holding a session."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not getattr(view_func, "login_required", True):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)
