"""Seed demo users and a live demo world. Safe to run again and again.

The demo campaigns go through the normal path: drafted and submitted by `sdr`, approved
by `manager`, and launched by the worker (`demo_launch`) as soon as it has fresh pool
numbers from the sandbox, so numbers move on the campaigns page and the wall within a
minute of `make run`. `--no-campaigns` seeds only the users.
"""

import os

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from campaigns.management import demo
from campaigns.permissions import MANAGER, SDR, ensure_roles

DEMO_USERS = [
    # username, password, group, staff
    ("sdr", "sdr-demo", SDR, False),
    ("sdr2", "sdr2-demo", SDR, False),
    ("manager", "manager-demo", MANAGER, True),
    ("manager2", "manager2-demo", MANAGER, False),
]


class Command(BaseCommand):
    help = "Create the demo users and data. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--no-campaigns", action="store_true", help="Only the demo users.")
        parser.add_argument(
            "--i-know-this-is-not-production",
            action="store_true",
            help="Seed although DEBUG is off (a shared demo or staging server).",
        )

    def handle(self, *args, **options):
        # The demo users have published passwords and `manager` is staff: a door into production.
        if not settings.DEBUG and not options["i_know_this_is_not_production"]:
            raise CommandError(
                "seed_demo creates users with published passwords, so it runs only with DEBUG=1. "
                "On a demo or staging server that is not production, add --i-know-this-is-not-production."
            )
        ensure_roles()
        User = get_user_model()
        for username, password, group, staff in DEMO_USERS:
            user, created = User.objects.get_or_create(username=username, defaults={"is_staff": staff})
            if created:
                user.set_password(password)
                user.save()
            user.groups.add(Group.objects.get(name=group))
        self.stdout.write("Demo logins (username / password):")
        for username, password, group, _ in DEMO_USERS:
            self.stdout.write(f"  {username:<9} / {password:<14} ({group})")
        if demo.demo_sdr_keys() and not demo.demo_link_sdrs():
            _queue_sdr_links()  # the worker fetches the SDR list first; the keys never reach the output
            names = ", ".join(demo.DEMO_SDR_USERS)
            self.stdout.write(f"Demo SDRs ({names}): linked to the sandbox's SDRs by the worker.")
        if not options["no_campaigns"]:
            self.demo_world(User.objects.get(username="sdr"), User.objects.get(username="manager"))

    def demo_world(self, sdr, manager):
        made = demo.demo_prepare(sdr=sdr, manager=manager)
        waiting = demo.demo_waiting()
        base = f"http://127.0.0.1:{os.environ.get('WEB_PORT', '8000')}"
        if settings.SANDBOX_ENABLED:
            demo.demo_webhook(url=base + "/webhooks/leadterra", actor=manager)
        if waiting:
            _queue_launch()
        token = demo.demo_wall_token(actor=manager)
        self.stdout.write(
            f"Demo campaigns: {len(made)} new, {len(waiting)} to be launched by the worker once it is up."
        )
        self.stdout.write(f"Wall display (no login): {base}/wall/{token.token}/")


def _queue_launch():
    _queue(demo.demo_launch_task, "demo launch")


def _queue_sdr_links():
    _queue(demo.demo_link_sdrs_task, "demo SDR links")


def _queue(task, what: str):
    """Queued now, run by the worker when it starts; a broker that is away only costs the demo."""
    try:
        task.delay()
    except Exception as exc:
        print(f"  ({what} not queued: {exc.__class__.__name__}; run `manage.py seed_demo` again later)")
