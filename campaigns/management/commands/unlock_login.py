"""Lift a sign-in lockout (django-axes) for usernames and/or client addresses, and audit it."""

from axes.utils import reset
from django.core.management.base import BaseCommand, CommandError

from campaigns.audit import audit_record
from campaigns.wording import plural


class Command(BaseCommand):
    help = "Unlock sign-in for the given usernames and/or addresses (forgets their failed attempts)."

    def add_arguments(self, parser):
        parser.add_argument("usernames", nargs="*", help="Usernames to unlock.")
        parser.add_argument("--ip", action="append", default=[], help="A client address to unlock (repeatable).")

    def handle(self, *args, usernames, ip, **options):
        if not usernames and not ip:
            raise CommandError("Name at least one username or --ip address to unlock.")
        for username in usernames:
            self._unlock(f"user {username}", reset(username=username), username=username)
        for address in ip:
            self._unlock(f"address {address}", reset(ip=address), ip=address)

    def _unlock(self, what: str, removed: int, **who):
        audit_record(actor=None, action="login.unlocked", failed_attempts_forgotten=removed, **who)
        if removed:
            self.stdout.write(f"Unlocked {what}: {plural(removed, 'failed attempt record')} forgotten.")
        else:
            self.stdout.write(f"{what.capitalize()} had no failed attempts; nothing to unlock.")
