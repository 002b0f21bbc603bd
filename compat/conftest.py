"""The compatibility suite's shared parts: an offline stand-in for LaminHub, and one test world per test.

Two clients work on the same instances here: the real Python lamindb 2.9.1 and our `lamin` binary. Each Python
step runs in a subprocess of its own (`py_step.py`), since lamindb connects once per process; that is also how a
team uses both, one command or one script at a time.

LaminHub. lamindb_setup asks its hosted service, LaminHub, whether an instance or a storage location is registered
there: at init, at connect, and for some properties. This machine has no network, and an anonymous local instance
never needs the hub; lamindb simply behaves as for an instance that is not on the hub when every question is
answered with "nothing found". `patch_lamindb_hub()` gives exactly that answer. It is a stand-in for a hosted
service that this project does not use, not for a component under test: every byte lamindb reads or writes in
these tests is lamindb's own doing, through its own code, on local SQLite and local folders.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent

# ---------------------------------------------------------------------------------------------------------------
# LaminHub answering "nothing on the hub"
# ---------------------------------------------------------------------------------------------------------------


class _Result:
    def __init__(self, data):
        self.data = data
        self.count = 0


class _EmptyQuery:
    """A PostgREST request builder of an empty hub: filters chain, and execute() finds no row."""

    def __init__(self, data):
        self._data = data

    def execute(self):
        return _Result(self._data)

    def __getattr__(self, name):  # select, eq, neq, in_, order, limit, single, insert, upsert, update, delete…
        return lambda *args, **kwargs: self


class _Functions:
    def invoke(self, *args, **kwargs):
        # get-instance-settings-v1 and the other edge functions answer b"{}" when they know nothing.
        return b"{}"

    def set_auth(self, *args, **kwargs):
        pass


class _Auth:
    def sign_out(self, *args, **kwargs):
        pass


class _Postgrest:
    def auth(self, *args, **kwargs):
        pass


class EmptyHub:
    """What `lamindb_setup.core._hub_client.connect_hub()` returns here: a supabase client of a hub with no rows."""

    def __init__(self):
        self.functions = _Functions()
        self.auth = _Auth()
        self.postgrest = _Postgrest()

    def table(self, name):
        return _EmptyQuery([])

    def rpc(self, name, params=None, **kwargs):
        if name == "existing_root_or_child":  # _hub_core._select_storage_or_parent: no such storage root
            return _EmptyQuery({"root": None})
        return _EmptyQuery([])


class NoHubRoute(RuntimeError):
    """Raised for hub routes that only cloud storage or hosted databases use; none of these tests has either."""


def patch_lamindb_hub() -> None:
    """Make lamindb_setup's hub client answer "nothing on the hub", offline. Call before lamindb connects.

    `_hub_core` imports connect_hub, call_with_fallback, call_with_fallback_auth and request_with_auth by name, so
    they are replaced in both modules; lamindb_setup's other callers (`_settings_instance.is_on_hub`,
    `_check_sqlite_lock`, lamin_cli's hub client) import them from `_hub_client` at call time. lamindb's own models
    (`lamindb.models.storage`, `artifact`, `sqlrecord`) call functions of `_hub_core`, which go through these.
    """
    from lamindb_setup.core import _hub_client, _hub_core

    def connect_hub(*args, **kwargs):
        return EmptyHub()

    def connect_hub_with_auth(*args, **kwargs):
        return EmptyHub()

    def call_with_fallback(callable, **kwargs):
        return callable(**kwargs, client=EmptyHub())

    def call_with_fallback_auth(callable, **kwargs):
        kwargs.pop("access_token", None)
        return callable(**kwargs, client=EmptyHub())

    def request_with_auth(url, method, *args, **kwargs):
        raise NoHubRoute(f"the compatibility suite has no LaminHub: {method.upper()} {url}")

    def load_fallback_connector(*args, **kwargs):
        raise NoHubRoute("the compatibility suite has no LaminHub: fallback connector")

    def get_access_token(*args, **kwargs):
        return None

    for module in (_hub_client, _hub_core):
        module.connect_hub = connect_hub
        module.call_with_fallback = call_with_fallback
        module.call_with_fallback_auth = call_with_fallback_auth
        module.request_with_auth = request_with_auth
    _hub_client.connect_hub_with_auth = connect_hub_with_auth
    _hub_client.load_fallback_connector = load_fallback_connector
    _hub_client.get_access_token = get_access_token


NETWORK_ATTEMPT = "compat: network access attempted:"


def report_network_attempts() -> None:
    """Note on stderr every host name a lamindb step tries to resolve, then fail as this offline machine does.

    With the hub stand-in complete, lamindb never reaches for the network on a local instance; `World.py` fails a
    step whose output holds such a note, so that a hub call we did not answer cannot go unnoticed.
    """
    import socket

    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if host in ("localhost", "127.0.0.1", "::1", None):
            return real(host, *args, **kwargs)
        sys.stderr.write(f"{NETWORK_ATTEMPT} {host}\n")
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known (compatibility suite: offline)")

    socket.getaddrinfo = getaddrinfo


# ---------------------------------------------------------------------------------------------------------------
# One world per test: its own HOME / settings folder / cache, and the two clients
# ---------------------------------------------------------------------------------------------------------------

# Variables that would point either client at something outside the test's folders.
_SCRUBBED = (
    "LAMIN_ENV",
    "LAMIN_SETTINGS_DIR",
    "LAMIN_CACHE_DIR",
    "LAMIN_CURRENT_INSTANCE",
    "LAMIN_CURRENT_RUN",
    "LAMIN_API_KEY",
    "LAMINDB_INIT_FROM_SCRATCH",
    "LAMINDB_INSTANCE_ID_INIT",
    "LAMINDB_STORAGE_LNID_INIT",
    "LAMINDB_MODULES",
    "XDG_CACHE_HOME",
    "XDG_CONFIG_HOME",
    "XDG_DATA_HOME",
)


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class StepFailed(AssertionError):
    pass


@dataclass
class Done:
    """A finished command: its exit code and output."""

    argv: list
    code: int
    stdout: str
    stderr: str

    def describe(self) -> str:
        out, err = _ANSI.sub("", self.stdout), _ANSI.sub("", self.stderr)
        return f"$ {' '.join(map(str, self.argv))}\nexit {self.code}\n--- stdout ---\n{out[-4000:]}\n--- stderr ---\n{err[-4000:]}"

    def json(self):
        try:
            return json.loads(self.stdout)
        except json.JSONDecodeError as e:
            raise StepFailed(f"stdout is not JSON ({e}):\n{self.describe()}") from None


@dataclass
class World:
    """The folders of one test and the two clients working in them."""

    tmp: Path
    lamin_bin: str
    home: Path = field(init=False)
    work: Path = field(init=False)
    env: dict = field(init=False, repr=False)
    log: list = field(default_factory=list, repr=False)

    def __post_init__(self):
        self.home = self.tmp / "home"
        self.work = self.tmp / "work"
        self.home.mkdir()
        self.work.mkdir()
        env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED}
        env.update(
            HOME=str(self.home),
            # lamindb's meaning, which ours shares: the folder that HOLDS .lamin/
            LAMIN_SETTINGS_DIR=str(self.home),
            LAMIN_CACHE_DIR=str(self.tmp / "cache"),
            XDG_CACHE_HOME=str(self.home / ".cache"),
            XDG_CONFIG_HOME=str(self.home / ".config"),
            XDG_DATA_HOME=str(self.home / ".local" / "share"),
            PYTHONDONTWRITEBYTECODE="1",
            NO_COLOR="1",
        )
        self.env = env

    @property
    def settings(self) -> Path:
        """The settings folder both clients read: $LAMIN_SETTINGS_DIR/.lamin."""
        return self.home / ".lamin"

    def _run(self, argv, *, input=None, env=None, timeout=120) -> Done:
        p = subprocess.run(
            [str(a) for a in argv],
            cwd=self.work,
            env=env or self.env,
            input=input if input is not None else "",
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        done = Done(list(argv), p.returncode, p.stdout, p.stderr)
        self.log.append(done)
        return done

    def lamin(self, *args, expect: int | None = 0, input: str | None = None) -> Done:
        """Run our binary; `expect` is the exit code the contract demands (None: any)."""
        done = self._run([self.lamin_bin, *args], input=input)
        if expect is not None and done.code != expect:
            raise StepFailed(f"lamin exited {done.code}, the contract says {expect}:\n{done.describe()}")
        return done

    def lamin_json(self, *args):
        return self.lamin(*args).json()

    def py(self, step: str, *, from_scratch: bool = False, **args):
        """Run one named step of py_step.py with the real lamindb, in a fresh process; return its JSON result."""
        out = self.tmp / f"py-{len(self.log)}-{step}.json"
        env = dict(self.env)
        if from_scratch:
            env["LAMINDB_INIT_FROM_SCRATCH"] = "true"
        done = self._run(
            [sys.executable, HERE / "py_step.py", step, json.dumps(args), out], env=env, timeout=300
        )
        if done.code != 0 or not out.exists():
            raise StepFailed(f"lamindb step {step!r} failed:\n{done.describe()}")
        if NETWORK_ATTEMPT in done.stderr:
            raise StepFailed(f"lamindb step {step!r} reached for the network (a hub call not answered):\n{done.describe()}")
        return json.loads(out.read_text())


@pytest.fixture(scope="session")
def lamin_bin() -> str:
    path = os.environ.get("LAMIN_BIN", "")
    if not path or not os.access(path, os.X_OK):
        raise pytest.UsageError("LAMIN_BIN must name the lamin binary under test; run the suite with compat/run")
    return path


@pytest.fixture
def world(tmp_path, lamin_bin, request) -> World:
    w = World(tmp_path, lamin_bin)
    yield w
    # On failure, show every command the test ran, both clients, in order.
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        sys.stderr.write("\n".join(d.describe() for d in w.log[-12:]) + "\n")


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


def file_digest(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def tree_digest(path):
    """A file's SHA-256, or for a folder {relative path: SHA-256} of every file in it."""
    path = Path(path)
    if path.is_dir():
        return {p.relative_to(path).as_posix(): file_digest(p) for p in sorted(path.rglob("*")) if p.is_file()}
    return file_digest(path)
