"""A real 3-member cluster for the tests: three `coterie serve` processes on 127.0.0.1.

The binary is $COTERIE_BIN, or target/debug/coterie of the repository (scripts/python-tests.sh
builds it). Ports are free ones the OS handed out; data directories are temporary. Members are
stopped by PID. Every wait is bounded: readiness is a client call with a deadline, the
leader is found by asking each member's status until a deadline.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path
from typing import Dict, List

import grpc
import pytest

import coterie
from coterie.v1 import coterie_pb2 as pb
from coterie.v1 import coterie_pb2_grpc as pb_grpc

REPO = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 60.0


def coterie_bin() -> Path:
    explicit = os.environ.get("COTERIE_BIN")
    if explicit:
        return Path(explicit)
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    return target / "debug" / "coterie"


def _die_with_parent() -> None:
    """In the member's process before exec: SIGKILL it when the test process dies (Linux),
    so a killed test run leaves no members behind. (The signal follows the thread that
    started the member: the fixtures start members from the main thread.)"""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def pytest_configure(config):
    # `timeout` (scripts/python-tests.sh) stops the run with SIGTERM: turn it into an
    # interrupt, so fixtures stop their members.
    def interrupted(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupted)


def free_ports(n: int) -> List[int]:
    sockets = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


class Cluster:
    """Three `coterie serve` processes; member ids 1..3."""

    def __init__(self, root: Path):
        binary = coterie_bin()
        if not binary.exists():
            pytest.fail(f"{binary} does not exist: build it with `cargo build -p coterie-cli` or set COTERIE_BIN")
        self.binary = binary
        self.root = root
        self.addresses: Dict[int, str] = {n: f"127.0.0.1:{port}" for n, port in zip((1, 2, 3), free_ports(3))}
        self.procs: Dict[int, subprocess.Popen] = {}
        self._logs: Dict[int, object] = {}

    @property
    def endpoints(self) -> List[str]:
        return [self.addresses[n] for n in sorted(self.addresses)]

    def start(self, n: int) -> None:
        members = ",".join(f"{m}={a}" for m, a in sorted(self.addresses.items()))
        data = self.root / f"member{n}"
        data.mkdir(parents=True, exist_ok=True)
        log = open(self.root / f"member{n}.log", "ab")
        self._logs[n] = log
        self.procs[n] = subprocess.Popen(
            [str(self.binary), "serve", "--id", str(n), "--members", members, "--data-dir", str(data)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent,
        )

    def start_all(self) -> None:
        for n in sorted(self.addresses):
            self.start(n)
        self.wait_ready()

    def logs(self) -> str:
        out = []
        for n in sorted(self.addresses):
            path = self.root / f"member{n}.log"
            if path.exists():
                out.append(f"--- member {n} ---\n" + path.read_text(errors="replace")[-3000:])
        return "\n".join(out)

    def wait_ready(self) -> None:
        """Until one write commits (a leader is elected), at most READY_TIMEOUT seconds."""
        for n, proc in self.procs.items():
            if proc.poll() is not None:
                pytest.fail(f"member {n} exited with {proc.returncode}:\n{self.logs()}")
        with coterie.Client(self.endpoints, call_timeout=READY_TIMEOUT) as client:
            try:
                client.cp.atomic_long("cluster-ready").increment_and_get()
            except coterie.CoterieError as err:
                pytest.fail(f"the cluster did not become ready in {READY_TIMEOUT}s: {err}\n{self.logs()}")

    def kill(self, n: int) -> None:
        """kill -9 member ``n`` and reap it."""
        proc = self.procs.pop(n)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)

    def leader(self, group: str = "default", timeout: float = 30.0) -> int:
        """The member id leading ``group``, as the live members report it (bounded)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for n in list(self.procs):
                with grpc.insecure_channel(self.addresses[n]) as channel:
                    try:
                        status = pb_grpc.ClusterServiceStub(channel).Status(pb.ClusterStatusRequest(), timeout=1.0)
                    except grpc.RpcError:
                        continue
                for g in status.groups:
                    if g.name == group and g.HasField("leader_id") and g.leader_id in self.procs:
                        return g.leader_id
            time.sleep(0.05)  # a bounded poll: the loop ends at the deadline
        pytest.fail(f"no leader of {group} reported within {timeout}s:\n{self.logs()}")

    def stop(self) -> None:
        for proc in self.procs.values():
            proc.terminate()
        for n, proc in list(self.procs.items()):
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        self.procs.clear()
        for log in self._logs.values():
            log.close()


@pytest.fixture(scope="session")
def cluster(tmp_path_factory):
    """One cluster for the tests that do not kill members."""
    c = Cluster(tmp_path_factory.mktemp("cluster"))
    try:
        c.start_all()
        yield c
    finally:
        c.stop()


@pytest.fixture
def own_cluster(tmp_path):
    """A cluster of the test's own, for tests that kill members."""
    c = Cluster(tmp_path)
    try:
        c.start_all()
        yield c
    finally:
        c.stop()


@pytest.fixture(scope="module")
def client(cluster):
    with coterie.Client(cluster.endpoints) as c:
        yield c


@pytest.fixture
def name(request) -> str:
    """A structure name no other test uses."""
    return f"{request.node.name.replace('[', '-').replace(']', '')[:40]}-{uuid.uuid4().hex[:8]}"
