"""Seed demo users (and, as areas land, demo data). Safe to run again and again."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

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

    def handle(self, *args, **options):
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
