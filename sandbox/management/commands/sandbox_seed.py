"""Create the sandbox's default workspace (pools, senders, SDRs) unless it exists. Idempotent."""

from django.conf import settings
from django.core.management.base import BaseCommand

from sandbox import seeding
from sandbox.models import Workspace
from sandbox.router import SANDBOX_DB


class Command(BaseCommand):
    help = "Create the sandbox workspace of SANDBOX_API_KEY with its pools and senders; no-op when it exists."

    def handle(self, *args, **options):
        key = settings.SANDBOX_API_KEY
        existed = Workspace.objects.using(SANDBOX_DB).filter(api_key=key).exists()
        ws = seeding.ensure_default(key)
        seeding.ensure_sdrs(ws)  # a workspace made before the SDR area gets its SDRs
        pools = ws.pools.using(SANDBOX_DB).count()
        verb = "exists" if existed else "created"
        self.stdout.write(f"Sandbox workspace {verb}: key {key} ({pools} sender pools)")
        for sdr in ws.sdrs.using(SANDBOX_DB).filter(active=True):
            self.stdout.write(f"  SDR {sdr.name} <{sdr.email}>: personal key {sdr.api_key}")
