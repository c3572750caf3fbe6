"""Shared fixtures: users by role, a throwaway Redis, Celery workers, a browser.

Tiers (see docs/architecture.md, "Tests"): unit tests need nothing; `integration` tests get a
real Redis and a real worker; `browser` tests drive Debian's Chromium with Playwright.
A missing system package skips with its name, or fails when REQUIRE_ALL=1 (CI).
"""

import logging
import os
import shutil
from pathlib import Path

import pytest

from tests.factories import UserFactory
from tests.processes import RedisServer, WorkerProcess, database_url, free_port, wait_for_port, wait_until  # noqa: F401 (tests import them from here)

ROOT = Path(__file__).resolve().parent.parent
REQUIRE_ALL = os.environ.get("REQUIRE_ALL") == "1"
# The slow state-machine tests search with `searched(n)` examples: sized for `make test`;
# SEARCH=4 (or more) searches four times as long, after a change to what they drive.
SEARCH = max(1, int(os.environ.get("SEARCH", "1") or 1))


def searched(examples: int) -> int:
    return examples * SEARCH


ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def need(binary: str, package: str) -> str:
    """Path of a system binary, or skip (fail under REQUIRE_ALL) naming its package."""
    path = shutil.which(binary) or (f"/usr/bin/{binary}" if Path(f"/usr/bin/{binary}").exists() else None)
    if path:
        return path
    message = f"needs `{binary}` (Debian package `{package}`)"
    if REQUIRE_ALL:
        pytest.fail(f"{message}; REQUIRE_ALL=1 forbids skipping")
    pytest.skip(message)


# --- order: the slow tiers first -----------------------------------------

# pytest-django runs transactional tests (every chaos, browser and integration test) after the
# ~2,800 unit tests, so xdist handed out the minute-long tests last and the run ended waiting for
# one worker to finish them. Longest first lets the unit tests fill in around them. The unit tests
# do not mind coming after a flush: its post_migrate puts back the roles and permissions.
SLOW_TIERS = ("chaos", "browser", "integration")


@pytest.hookimpl(trylast=True)  # after pytest-django's own ordering, which it keeps within a tier
def pytest_collection_modifyitems(items):
    def tier(item) -> int:
        return next((n for n, mark in enumerate(SLOW_TIERS) if item.get_closest_marker(mark)), len(SLOW_TIERS))

    items.sort(key=tier)


# --- test databases: migrated once per run (tests/db_template.py) --------


def pytest_sessionstart(session):
    if session.config.pluginmanager.has_plugin("dsession"):  # the xdist controller
        from pytest_django.plugin import blocking_manager_key

        from tests.db_template import Template

        session.config.db_template = Template(session.config.stash[blocking_manager_key])


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    template = getattr(node.config, "db_template", None)
    if template is not None:
        node.workerinput["db_template"] = str(template.folder)


def pytest_sessionfinish(session):
    template = getattr(session.config, "db_template", None)
    if template is not None:
        template.remove()


@pytest.fixture(scope="session")
def django_db_cloned(request, django_db_blocker):
    """True when this xdist worker's databases are copies of the run's template."""
    from tests.db_template import clone_for_worker, destroy_clones

    worker = getattr(request.config, "workerinput", {})
    if not worker.get("db_template"):
        yield False
        return
    with django_db_blocker.unblock():
        cloned = clone_for_worker(worker["db_template"], worker["workerid"])
    yield cloned
    if cloned:
        with django_db_blocker.unblock():
            destroy_clones()


@pytest.fixture(scope="session")
def django_db_keepdb(request, django_db_cloned):
    """pytest-django's, except that a copied template is used as it is."""
    return django_db_cloned or request.config.getvalue("reuse_db")


@pytest.fixture(scope="session")
def django_db_modify_db_settings(request, django_db_cloned):
    """pytest-django's (a suffix per xdist worker), unless the copy already has its own name."""
    if not django_db_cloned:
        request.getfixturevalue("django_db_modify_db_settings_parallel_suffix")


# --- users ---------------------------------------------------------------


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: a cached plan or preview keyed by ids must not
    survive into a test whose database reuses those ids."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def sdr(db):
    return UserFactory(username="sdr", role="SDR")


@pytest.fixture
def sdr2(db):
    return UserFactory(username="sdr2", role="SDR")


@pytest.fixture
def manager(db):
    return UserFactory(username="manager", role="Manager")


@pytest.fixture
def manager2(db):
    return UserFactory(username="manager2", role="Manager")


@pytest.fixture
def sdr_client(client, sdr):
    client.force_login(sdr)
    return client


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


# --- Redis and Celery ----------------------------------------------------


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """A session-wide throwaway Redis; also the Celery broker of this test process until the
    session ends, when the broker settings it replaced are put back."""
    server = RedisServer(need("redis-server", "redis-server"), tmp_path_factory.mktemp("redis"))
    server.start()
    from leadterra_ui.celery import app

    saved = app.conf.broker_url, app.conf.broker_transport_options
    app.conf.broker_url = server.url
    app.conf.broker_transport_options = {"visibility_timeout": 600}
    # A test that published earlier in this process (seed_demo queues `demo_launch` and gets
    # "connection refused" from the unreachable default broker) left a broker pool bound to
    # the old URL; drop it so every publish from now on goes to this server.
    _drop_broker_pools(app)
    yield server
    server.stop()
    app.conf.broker_url, app.conf.broker_transport_options = saved
    _drop_broker_pools(app)


def _drop_broker_pools(app):
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def celery_app(redis_server):
    from leadterra_ui.celery import app

    return app


@pytest.fixture
def celery_worker(celery_app, transactional_db):
    """A real worker in threads of this process, consuming from the real Redis."""
    from celery.contrib.testing.worker import start_worker

    # start_worker sets the root logger up for the worker (level ERROR, its handlers) and leaves it
    # so: a later test in this process would capture no warning at all. Put it back.
    root = logging.getLogger()
    level, handlers = root.level, root.handlers[:]
    try:
        with start_worker(celery_app, pool="threads", concurrency=4, perform_ping_check=False, shutdown_timeout=30):
            yield
    finally:
        root.setLevel(level)
        root.handlers[:] = handlers


@pytest.fixture
def worker_process(redis_server, transactional_db):
    env = os.environ | {
        "DATABASE_URL": database_url("default"),
        "SANDBOX_DATABASE_URL": database_url("sandbox"),
        "REDIS_URL": redis_server.url,
        "BROKER_FALLBACK": "0",
    }
    worker = WorkerProcess(env)
    worker.start()
    yield worker
    worker.stop()


# --- Browser -------------------------------------------------------------


@pytest.fixture(scope="session")
def playwright():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:  # one per process: a second one would find the first's event loop
        yield p


@pytest.fixture(scope="session")
def browser(playwright):
    """Debian's `chromium-headless-shell` when installed, else `chromium`. The shell is the same
    Blink without the desktop browser around it (what Playwright itself runs headless) and costs
    about 40% less CPU per page, which on two cores is most of the browser tier's time."""
    executable = shutil.which("chromium-headless-shell") or need("chromium", "chromium")
    instance = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
    yield instance
    instance.close()


@pytest.fixture(scope="session")
def full_browser(playwright):
    """The desktop `chromium`, for the few tests whose subject differs in the shell (see their module)."""
    instance = playwright.chromium.launch(executable_path=need("chromium", "chromium"), args=CHROMIUM_ARGS)
    yield instance
    instance.close()


# Every page reports Content-Security-Policy violations to the test (frames included), so a
# browser test fails on any script, style or resource the policy blocks.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolation(e.violatedDirective + " blocked " + (e.blockedURI || "inline") +
    " at " + e.sourceFile + ":" + e.lineNumber + " " + (e.sample || ""));
});
"""


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    context.set_default_timeout(10_000)
    violations = []
    context.expose_binding("__cspViolation", lambda source, text: violations.append(text))
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    page.on(
        "console",
        lambda message: "Content Security Policy" in message.text and violations.append(message.text),
    )
    page.csp_violations = violations
    yield page
    context.close()
    if violations:
        pytest.fail("Content-Security-Policy violations:\n" + "\n".join(violations))


def login_page(page, live_server, user, client):
    """Log `user` in by handing the browser a real session cookie."""
    client.force_login(user)
    cookie = client.cookies["sessionid"]
    page.context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# --- sandbox ---


@pytest.fixture
def sandbox(live_server, settings):
    """The sandbox over HTTP inside the live server, its clock frozen (move it with .advance()).

    Needs `@pytest.mark.django_db(transaction=True, databases=["default", "sandbox"])`.
    Points LEADTERRA_API_BASE at it; see sandbox/testing.py and sandbox/README.md for the helpers.
    """
    from sandbox.testing import LiveSandbox

    settings.LEADTERRA_API_BASE = live_server.url + "/sandbox"
    sb = LiveSandbox(live_server.url + "/sandbox")
    sb.freeze()
    return sb


# --- leads ---


@pytest.fixture
def media_root(settings, tmp_path):
    """Uploaded CSVs and error reports go to a throwaway folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


# --- the Leadterra client -------------------------------------------------------


@pytest.fixture
def leadterra_client(settings, request, monkeypatch):
    """The client aimed at the test module's `BASE` with its `KEY`, no shared rate budget and
    no waits between retries, recorded in `retry_waits` (HTTP is faked with `responses` there)."""
    from campaigns import leadterra
    from campaigns.leadterra import retry

    monkeypatch.setattr(retry, "sleep", request.getfixturevalue("retry_waits").append)

    settings.LEADTERRA_API_BASE = request.module.BASE
    settings.LEADTERRA_API_KEY = request.module.KEY
    settings.LEADTERRA_MAX_RPS = 0
    return leadterra.get_client()


@pytest.fixture
def retry_waits() -> list[float]:
    """The waits the client's retry layer asked for (filled by `leadterra_client`)."""
    return []
