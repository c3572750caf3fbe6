"""The sandbox API, mounted under /sandbox/ only when SANDBOX_ENABLED."""

urlpatterns = []
