"""The desk's link to a thread page (`sdr_thread`), which the SDR inbox provides."""

from django import template
from django.urls import NoReverseMatch, reverse

register = template.Library()


@register.simple_tag
def thread_href(thread_id: str) -> str:
    """The thread page's URL, or '' while no page named `sdr_thread` exists."""
    if not thread_id:
        return ""
    try:
        return reverse("sdr_thread", args=[thread_id])
    except NoReverseMatch:
        return ""
