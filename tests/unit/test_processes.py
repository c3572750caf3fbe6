"""The throwaway Redis of the slow tiers: a first start moves off a taken port; a restart never
moves (this process's Celery app and the running workers point at the old port)."""

import socket

import pytest

from tests.conftest import need
from tests.processes import RedisServer


def taken(port: int) -> socket.socket:
    holder = socket.socket()
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    holder.bind(("127.0.0.1", port))
    holder.listen()
    return holder


@pytest.fixture
def server(tmp_path):
    redis = RedisServer(need("redis-server", "redis-server"), tmp_path)
    yield redis
    redis.stop()


def test_a_first_start_moves_off_a_taken_port(server):
    wanted = server.port
    with taken(wanted):
        server.start()
    assert server.port != wanted
    assert server.url == f"redis://127.0.0.1:{server.port}/0"


def test_a_restart_keeps_its_port(server):
    server.start()
    first = server.port
    server.stop()
    server.start()
    assert server.port == first


def test_a_restart_on_a_port_taken_meanwhile_fails_instead_of_moving(server):
    server.start()
    first = server.port
    server.stop()
    with taken(first), pytest.raises(RuntimeError, match=f"could not restart on port {first}"):
        server.start()
    assert server.port == first
