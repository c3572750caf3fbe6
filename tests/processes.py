"""Real processes for the slow tiers: a throwaway redis-server, `celery worker` subprocesses on
the test databases, free ports and a condition wait (fixtures in conftest.py use them)."""

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.db import connections

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


class RedisServer:
    """A throwaway redis-server on a free port; stop() and start() simulate an outage.

    A port found free can be taken before redis-server binds it (two xdist workers may be
    handed the same one), so start() only trusts a server that reports its own pid, and
    picks another port when its process could not bind.
    """

    def __init__(self, binary: str, folder: Path):
        self.binary, self.folder, self.port = binary, folder, free_port()
        self.proc, self.started = None, False

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _spawn(self):
        return subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def _serves(self, proc) -> bool:
        """True once the server on self.port is `proc` itself; False if `proc` died (port taken)."""
        import redis

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                return False
            try:
                # No retries, short timeouts: whatever holds a taken port may never answer.
                client = redis.Redis(port=self.port, socket_timeout=0.5, socket_connect_timeout=0.5, retry=None)
                info = client.info("server")
                if info.get("process_id") == proc.pid:
                    return True
            except redis.RedisError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"redis-server did not answer on port {self.port}")

    def start(self, attempts: int = 5):
        """Start on self.port; on a clash at the first start, move to another port.

        A restart keeps its port or fails: the Celery app of this process and the workers already
        running point at it, and a server that moved would leave them publishing elsewhere.
        """
        restart = self.started
        for _ in range(1 if restart else attempts):
            proc = self._spawn()
            if self._serves(proc):
                self.proc, self.started = proc, True
                return
            if restart:
                raise RuntimeError(f"redis-server could not restart on port {self.port}: it was taken meanwhile")
            self.port = free_port()
        raise RuntimeError(f"could not start redis-server after {attempts} port clashes")

    def stop(self):
        if self.proc:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


def database_url(alias: str) -> str:
    s = connections[alias].settings_dict
    if s["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class WorkerProcess:
    """`celery worker` as a real subprocess on the test databases, killable by pid."""

    def __init__(self, env: dict, concurrency: int = 4, module: str = "celery"):
        # `module`: what `python -m` runs; a stand-in that wraps celery's own main (chaos tests)
        self.env, self.concurrency, self.module, self.proc = env, concurrency, module, None

    def start(self):
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                self.module,
                "-A",
                "leadterra_ui",
                "worker",
                "--pool",
                "threads",
                "--concurrency",
                str(self.concurrency),
                "--loglevel",
                "WARNING",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=ROOT,
            env=self.env,
        )
        return self

    def kill(self):
        """SIGKILL: the worker gets no chance to clean up or hand back its task."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    sigkill = kill

    def pause(self):
        """SIGSTOP: the worker freezes where it is (mid-transaction too) until resume()."""
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self):
        self.proc.send_signal(signal.SIGCONT)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)  # a paused worker would not act on SIGTERM
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


def wait_until(predicate, timeout: float = 20.0, interval: float = 0.1, message: str = "condition"):
    """Poll `predicate` until it returns a truthy value; fail with `message` after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")
