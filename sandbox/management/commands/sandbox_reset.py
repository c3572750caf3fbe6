"""Wipe a sandbox workspace and seed it again, e.g. for benchmarks:

manage.py sandbox_reset --seed 7 --campaigns 1000 --leads 200
"""

from django.core.management.base import BaseCommand

from sandbox import seeding


class Command(BaseCommand):
    help = "Reset the sandbox workspace: N pools, M senders, K running campaigns of L leads each."

    def add_arguments(self, parser):
        parser.add_argument("--api-key", default=None, help="default: SANDBOX_API_KEY")
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--pools", type=int, default=3)
        parser.add_argument("--senders", type=int, default=12)
        parser.add_argument("--pool-capacity", type=int, default=2000, help="daily capacity of each pool")
        parser.add_argument("--campaigns", type=int, default=0, help="running campaigns")
        parser.add_argument("--leads", type=int, default=0, help="leads per campaign")
        parser.add_argument("--steps", type=int, default=3, help="sequence steps per campaign")

    def handle(self, *args, **o):
        ws = seeding.reset(
            api_key=o["api_key"],
            seed=o["seed"],
            pools=o["pools"],
            senders=o["senders"],
            pool_capacity=o["pool_capacity"],
            campaigns=o["campaigns"],
            leads=o["leads"],
            steps=o["steps"],
        )
        self.stdout.write(
            f"Sandbox workspace {ws.api_key} reset (seed {o['seed']}): {o['pools']} pools, {o['senders']} senders, "
            f"{o['campaigns']} running campaigns x {o['leads']} leads"
        )
