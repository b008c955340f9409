"""Containers (issue 33's foundation): the engine found or named as missing, an image built
once per digest of its Dockerfile and context, and a run's container holding the sandbox's
guarantees, each tried as an attack from inside. No registry is reached: the base image is
built here from Debian's packages (mmdebstrap, then ``podman import``), once per machine."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_gaobench.containers.container import MAPPED_ROOT, RunContainer, owner, prune
from pytest_gaobench.containers.engine import ContainerError, Engine, find_engine, run_options
from pytest_gaobench.containers.images import built_image, context_digest

BASE = "localhost/gaobench-test-base:bookworm"
MISSING = [tool for tool in ("podman", "mmdebstrap", "busybox") if shutil.which(tool) is None]
if MISSING and os.environ.get("CI"):
    pytest.fail(f"{', '.join(MISSING)} not installed: CI must install them (see .ci/run)",
                pytrace=False)
needs_podman = pytest.mark.skipif(bool(MISSING), reason=f"needs {', '.join(MISSING)}: "
                                  "apt-get install podman runc mmdebstrap busybox-static")


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """podman with what it needs on this host, and the offline base image (Debian minbase
    with python3), made once per machine."""
    found = find_engine("podman")
    lock = Path(tempfile.gettempdir()) / "gaobench-test-base.lock"
    with lock.open("a") as held:  # xdist workers: one builds, the others wait and reuse
        fcntl.flock(held, fcntl.LOCK_EX)
        if found.run("image", "inspect", BASE).returncode != 0:
            rootfs = tmp_path_factory.mktemp("base") / "rootfs.tar"
            subprocess.run(["mmdebstrap", "--variant=minbase", "--include=python3",
                            "--quiet", "bookworm", str(rootfs)], check=True, timeout=900)
            done = found.run("import", str(rootfs), BASE, timeout=600)
            assert done.returncode == 0, done.stderr
    return run_options(found, BASE)


@pytest.fixture
def container(engine: Engine, tmp_path: Path) -> Iterator[RunContainer]:
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    started = RunContainer.start(engine, BASE, workspace, f"test-{tmp_path.name[-20:]}")
    yield started
    started.remove()


def test_a_missing_engine_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent))
    with pytest.raises(ContainerError) as caught:
        find_engine()
    assert "podman or docker is not installed: install podman" in str(caught.value)
    with pytest.raises(ContainerError, match="unknown container engine 'lxc'"):
        find_engine("lxc")


@pytest.mark.parametrize(("info", "root_uid"), [
    ({"SecurityOptions": ["name=apparmor", "name=seccomp,profile=builtin"],
      "DockerRootDir": "/var/lib/docker"}, "refused"),  # its containers' root is root's
    ({"SecurityOptions": ["name=seccomp,profile=builtin", "name=userns"],
      "DockerRootDir": "/var/lib/docker/231072.231072"}, 231072),  # userns-remap
    ({"SecurityOptions": ["name=seccomp,profile=builtin", "name=rootless", "name=cgroupns"],
      "DockerRootDir": "/home/me/.local/share/docker"}, None),  # the user's own uid
    ({}, "refused"),
])
def test_docker_is_used_only_where_its_containers_root_is_not_the_hosts(
        info: dict[str, object], root_uid: int | str | None) -> None:
    """podman maps the container's users itself; docker does it in its daemon or not at
    all, so what ``docker info`` says decides: the uid the harness hands the workspace
    to, or a refusal naming the fix."""
    from pytest_gaobench.containers.container import docker_mapping

    if root_uid == "refused":
        with pytest.raises(ContainerError, match="neither userns-remap nor rootless"):
            docker_mapping(info)
    else:
        assert docker_mapping(info).root_uid == root_uid


@needs_podman
def test_the_guarantees_hold_against_what_runs_inside(container: RunContainer,
                                                      tmp_path: Path) -> None:
    """What an agent would try from inside: the network, capabilities, privileges back
    through setuid, the host's root, and any folder of the host but the workspace."""
    net = container.exec(["python3", "-c", "import socket; socket.create_connection("
                          "('10.0.0.1', 80), timeout=3)"], timeout=30)
    assert not net.ok and "Network is unreachable" in net.stderr
    status = container.exec(["cat", "/proc/self/status"], timeout=30).stdout
    assert "CapEff:\t0000000000000000" in status and "NoNewPrivs:\t1" in status
    mapping = container.exec(["cat", "/proc/self/uid_map"], timeout=30).stdout.split()
    if os.geteuid() == 0:  # container root is an unprivileged host uid
        assert mapping[:2] == ["0", str(MAPPED_ROOT)]
    made = container.exec(["sh", "-c", "echo x > made-inside"], timeout=30)
    assert made.ok, made.tail()
    assert (tmp_path / "workspace" / "made-inside").stat().st_uid != 0
    assert container.mounts() == [str(tmp_path / "workspace")]
    pids = container.exec(["sh", "-c", "cat /sys/fs/cgroup/pids/pids.max "
                           "/sys/fs/cgroup/pids.max 2>/dev/null"], timeout=30)
    assert pids.stdout.split() == ["1024"]


@needs_podman
def test_a_writable_folder_comes_back_as_files_and_folders_only(container: RunContainer,
                                                                tmp_path: Path) -> None:
    """The agent's home goes in and comes back out every phase. Phase one leaves a link in
    it to a host folder; phase two makes that name a folder with a file in it. Nothing is
    ever written through the link, nor does a FIFO or a device come back."""
    from pytest_gaobench.containers.host import ContainerHost

    host = ContainerHost(container, tmp_path / "workspace", BASE)
    home, target = tmp_path / "home", tmp_path / "target"
    home.mkdir()
    target.mkdir()
    (home / "config.toml").write_text("harness = 1\n")

    def phase(script: str) -> None:
        done = host.run_inside(["sh", "-c", script], timeout=60, cwd=tmp_path / "workspace",
                               env={}, readable=[], writable=[home], stdout_path=None)
        assert done.ok, done.stderr

    phase(f"ln -s {target} {home}/evil; mkfifo {home}/fifo; echo kept > {home}/notes")
    assert not (home / "evil").is_symlink() and not (home / "fifo").exists()
    phase(f"rm -f {home}/evil; mkdir {home}/evil; echo planted > {home}/evil/x")
    assert list(target.iterdir()) == []
    assert (home / "evil" / "x").read_text() == "planted\n"
    assert (home / "notes").read_text() == "kept\n"
    assert (home / "config.toml").read_text() == "harness = 1\n"


def test_an_archive_from_the_container_is_unpacked_as_files_and_folders_only(
        tmp_path: Path) -> None:
    """Names that leave the folder, links, devices, and an archive cut short or not an
    archive at all: only the files and folders inside are written."""
    import io
    import tarfile

    from pytest_gaobench.containers.copy_out import unpack_files

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, kind, data in [("notes/a.txt", tarfile.REGTYPE, b"kept"),
                                 ("../escape", tarfile.REGTYPE, b"x"),
                                 ("/etc/planted", tarfile.REGTYPE, b"x"),
                                 ("link", tarfile.SYMTYPE, b""),
                                 ("zero", tarfile.CHRTYPE, b"")]:
            member = tarfile.TarInfo(name)
            member.type, member.size = kind, len(data)
            member.linkname = "/etc" if kind == tarfile.SYMTYPE else ""
            tar.addfile(member, io.BytesIO(data) if data else None)
    archive = buffer.getvalue()
    destination = tmp_path / "out"
    destination.mkdir()
    assert unpack_files(archive, destination) == ["../escape", "/etc/planted", "link", "zero"]
    assert [p.relative_to(destination).as_posix() for p in sorted(destination.rglob("*"))] \
        == ["notes", "notes/a.txt"]
    assert (destination / "notes" / "a.txt").read_bytes() == b"kept"
    assert not (tmp_path / "escape").exists()
    assert unpack_files(archive[:700], tmp_path / "out")[-1].startswith("(the rest: ")
    assert unpack_files(b"not an archive" * 100, tmp_path / "out") == [
        "(the rest: invalid header)"]


@needs_podman
def test_a_command_past_its_deadline_ends_inside_too(container: RunContainer) -> None:
    done = container.exec(["sh", "-c", "sleep 60"], timeout=1)
    assert not done.ok
    running = container.exec(["sh", "-c", "for f in /proc/[0-9]*/cmdline; do "
                              "tr '\\0' ' ' < $f; echo; done"], timeout=30).stdout
    assert "sleep infinity" in running  # the container's own process: the check can see
    assert "sleep 60" not in running


@needs_podman
def test_containers_of_a_killed_session_are_removed_and_a_live_ones_kept(
        engine: Engine, tmp_path: Path) -> None:
    killed = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    mine = RunContainer.start(engine, BASE, workspace, f"live-{tmp_path.name[-20:]}")
    left = f"gaobench-left-{tmp_path.name[-20:]}"
    done = engine.run("run", "--detach", "--name", left, "--label", "io.gaobench.run=left",
                      "--label", f"io.gaobench.owner={owner().rsplit(':', 1)[0]}:{killed.pid}",
                      *engine.extra, "--network", "none", "--entrypoint", "sleep", BASE,
                      "infinity")
    assert done.returncode == 0, done.stderr
    killed.kill()
    killed.wait()
    try:
        assert left in prune(engine)
        names = engine.run("ps", "--all", "--format", "{{.Names}}").stdout.decode().split()
        assert left not in names and mine.name in names
    finally:
        mine.remove()
        engine.run("rm", "--force", left)


def test_the_proxy_socket_folders_of_a_killed_session_are_removed(tmp_path: Path) -> None:
    """Named by the process that made them: a later session removes those whose process
    is gone, never a live one's."""
    from pytest_gaobench.containers.prepare import prune_services

    gone = subprocess.Popen(["true"])
    gone.wait()
    dead = tmp_path / f"gaobench-svc-{gone.pid}-abc"
    live = tmp_path / f"gaobench-svc-{os.getpid()}-def"
    for folder in (dead, live):
        folder.mkdir()
        (folder / "forwarder.py").write_text("")
    assert prune_services(tmp_path) == [dead]
    assert not dead.exists() and live.exists()


@needs_podman
def test_a_dockerfile_is_built_once_per_digest_of_its_context(engine: Engine,
                                                              tmp_path: Path) -> None:
    task = tmp_path / "environment"
    task.mkdir()
    (task / "Dockerfile").write_text(f"FROM {BASE}\nCOPY data.txt /opt/data.txt\n"
                                     "WORKDIR /app\n")
    (task / "data.txt").write_text("first\n")
    cache = tmp_path / "cache"
    name = f"t{tmp_path.name[-12:]}"
    tag, built = built_image(engine, name, task / "Dockerfile", task, cache, tmp_path / "b.log")
    again, built_again = built_image(engine, name, task / "Dockerfile", task, cache,
                                     tmp_path / "b.log")
    assert built and not built_again and again == tag
    digest = context_digest(task / "Dockerfile", task)
    (task / "data.txt").write_text("second\n")
    assert context_digest(task / "Dockerfile", task) != digest
    changed, built_changed = built_image(engine, name, task / "Dockerfile", task, cache,
                                         tmp_path / "b.log")
    assert built_changed and changed != tag
    for image in (tag, changed):
        engine.run("rmi", "--force", image)


def harbor_task(root: Path, name: str = "hello") -> Path:
    """A Harbor-format task whose Dockerfile starts FROM the offline base image."""
    task = root / "tasks" / name
    for folder in ("environment", "tests", "solution"):
        (task / folder).mkdir(parents=True)
    (task / "environment" / "Dockerfile").write_text(
        f"FROM {BASE}\nWORKDIR /app\nCOPY start.txt /app/start.txt\n")
    (task / "environment" / "start.txt").write_text("greet the world\n")
    (task / "instruction.md").write_text("Write hello.txt in /app, holding the word hello.\n")
    (task / "task.toml").write_text(
        'version = "1.0"\n\n[metadata]\ndifficulty = "easy"\ncategory = "programming"\n'
        'tags = ["trivial"]\n\n[verifier]\ntimeout_sec = 60.0\n\n[agent]\n'
        'timeout_sec = 120.0\n\n[environment]\nallow_internet = false\n')
    (task / "tests" / "test.sh").write_text(
        "#!/bin/bash\nif [ \"$(cat /app/hello.txt 2>/dev/null)\" = hello ]; then\n"
        "  echo 1 > /logs/verifier/reward.txt\nelse\n  echo 0 > /logs/verifier/reward.txt\n"
        "fi\n")
    # As Harbor's solutions do, it reads a file of its own folder from /solution.
    (task / "solution" / "word.txt").write_text("hello\n")
    (task / "solution" / "solve.sh").write_text(
        "#!/bin/bash\nset -e\ncd /app\ngrep -q greet start.txt\n"
        "cat /solution/word.txt > hello.txt\n")
    return task


def run_pytest(root: Path, target: Path | str, *options: str, timeout: float = 600
               ) -> subprocess.CompletedProcess[str]:
    """A pytest session in ``root`` on ``target``, as a user runs it."""
    return subprocess.run([sys.executable, "-m", "pytest", str(target), "-p", "no:cacheprovider",
                           "-q", *options], cwd=root, capture_output=True, text=True,
                          timeout=timeout, check=False)


def run_suite(root: Path, suite: Path, agent: str) -> subprocess.CompletedProcess[str]:
    return run_pytest(root, suite, f"--gaobench-agent={agent}", "--gaobench-container=podman")


def imported_task(root: Path, script: str | None = None, *, script_name: str = "agent.sh",
                  more: str = "") -> Path:
    """The Harbor task imported into ``root/suite``: its benchmark file, with ``more``
    YAML added and, given a ``script``, the command agent running it (by ``sh``, or
    ``python3`` for a ``.py``)."""
    from benchmark_files import gao_dev

    harbor_task(root)
    assert gao_dev(root, "import", "harbor", "tasks", "-o", "suite").returncode == 0
    spec = root / "suite" / "hello" / "bench_hello.yaml"
    if script is not None:
        runner = "python3" if script_name.endswith(".py") else "sh"
        more += f"agent_command: {runner} {{benchmark_dir}}/{script_name}\n"
        (spec.parent / script_name).write_text(script)
    spec.write_text(spec.read_text() + more)
    return spec


@needs_podman
def test_a_harbor_task_passes_with_its_oracle_and_fails_with_nop(engine: Engine,
                                                                 tmp_path: Path) -> None:
    from benchmark_files import gao_dev, run_results

    harbor_task(tmp_path)
    done = gao_dev(tmp_path, "import", "harbor", "tasks", "-o", "suite")
    assert done.returncode == 0, done.stdout + done.stderr
    spec = (tmp_path / "suite" / "hello" / "bench_hello.yaml").read_text()
    assert "dockerfile: environment/Dockerfile" in spec and "verifier: tests" in spec
    passed = run_suite(tmp_path, tmp_path / "suite", "oracle")
    assert passed.returncode == 0, passed.stdout[-3000:]
    failed = run_suite(tmp_path, tmp_path / "suite", "nop")
    assert failed.returncode == 1, failed.stdout[-3000:]
    ran = gao_dev(tmp_path, "sandbox", "run", "suite", "--container", "podman")
    assert ran.returncode == 0, ran.stdout[-2000:]
    checked = gao_dev(tmp_path, "check", "suite", "--container", "podman", "-n", "0")
    assert checked.returncode == 0 and "1 valid" in checked.stdout, checked.stdout[-2000:]
    results = {r["agent"]: r for r in run_results(tmp_path)}
    verdict = {c["name"]: c for c in results["nop"]["criteria"]}["verifier"]
    assert not verdict["passed"] and verdict["detail"].startswith("reward 0 (test.sh exited")
    assert results["oracle"]["metadata"]["boilerplate"]["kind"] == "image"
    left = engine.run("ps", "--all", "--filter", "label=io.gaobench.run", "--format",
                      "{{.Names}}").stdout.decode().split()
    assert not [name for name in left if any(r["run_id"] in name for r in results.values())]


def test_harbor_tasks_python_tests_are_never_collected_as_the_suites_own(
        tmp_path: Path) -> None:
    """Harbor's tasks each keep a tests/test_outputs.py (and a build context may hold
    tests of its own): they run in the verifier's container only. Collected by pytest,
    two tasks' files of one name would stop the session."""
    from benchmark_files import gao_dev

    for name in ("one", "two"):
        task = harbor_task(tmp_path, name)
        (task / "tests" / "test_outputs.py").write_text("def test_x():\n    assert False\n")
        (task / "environment" / "test_build.py").write_text("def test_y():\n    pass\n")
    assert gao_dev(tmp_path, "import", "harbor", "tasks", "-o", "suite").returncode == 0
    listed = run_pytest(tmp_path, "suite", "--co", timeout=120)
    assert listed.returncode == 0, listed.stdout[-2000:]
    assert sorted(line for line in listed.stdout.splitlines() if "::" in line) == [
        "suite/one/bench_one.yaml::one", "suite/two/bench_two.yaml::two"]


def test_a_harbor_tasks_compose_file_is_read_for_what_one_container_can_be(
        tmp_path: Path) -> None:
    """An airgapped task (its one service has no network) gives its verifier none; a task
    of several services is refused, naming them."""
    from benchmark_files import gao_dev

    airgapped = harbor_task(tmp_path, "airgapped")
    toml = airgapped / "task.toml"
    toml.write_text(toml.read_text().replace("allow_internet = false", "allow_internet = true"))
    (airgapped / "environment" / "docker-compose.yaml").write_text(
        "services:\n  main:\n    build:\n      context: .\n    network_mode: none\n")
    sidecar = harbor_task(tmp_path, "sidecar")
    (sidecar / "environment" / "docker-compose.yaml").write_text(
        "services:\n  main:\n    build: .\n  db:\n    image: postgres\n")
    done = gao_dev(tmp_path, "import", "harbor", "tasks", "-o", "suite")
    said = done.stdout + done.stderr
    assert "docker-compose.yaml has 2 services (main, db): only a task of one container" \
        in said, said
    spec = (tmp_path / "suite" / "airgapped" / "bench_airgapped.yaml").read_text()
    assert "grader_network: false" in spec
    assert not (tmp_path / "suite" / "sidecar").exists()


@needs_podman
def test_a_benchmark_that_allows_the_network_has_it_in_its_container(
        engine: Engine, tmp_path: Path) -> None:
    from benchmark_files import result_named

    spec = imported_task(tmp_path, "echo hello > hello.txt\nls /sys/class/net > nets\n",
                         more="allow_network: true\n")
    done = run_pytest(tmp_path, spec, "--gaobench-agent=command", "--gaobench-keep")
    assert done.returncode == 0, done.stdout[-3000:]
    nets = (Path(result_named(tmp_path, "hello")["workspace"]) / "nets").read_text().split()
    assert [net for net in nets if net != "lo"], nets  # a way out beside the loopback


AGENT = """\
echo hello > hello.txt
echo "workspace $GAOBENCH_WORKSPACE, in $(pwd), as $(id -u)" > where.txt
echo '{"input_tokens": 5, "output_tokens": 2}' > "$GAOBENCH_USAGE_FILE"
"""


@needs_podman
def test_your_own_agent_works_in_the_container(engine: Engine, tmp_path: Path) -> None:
    """The command agent's script is copied in, runs in the task's working folder, and
    the usage file it writes comes back out."""
    from benchmark_files import result_named

    spec = imported_task(tmp_path, AGENT)
    done = run_pytest(tmp_path, spec, "--gaobench-agent=command", "--gaobench-keep")
    assert done.returncode == 0, done.stdout[-3000:]
    result = result_named(tmp_path, "hello")
    usage = result["metrics"]["usage"]
    assert (usage["tokens_input"], usage["tokens_output"]) == (5, 2)
    where = (Path(result["workspace"]) / "where.txt").read_text()
    assert where == "workspace /app, in /app, as 0\n"


@needs_podman
@pytest.mark.parametrize("attack", [
    'ln -s /etc/shadow "$GAOBENCH_USAGE_FILE"',  # a link to a host file, read by root
    'echo \'{"input_tokens": 1}\' > "$GAOBENCH_USAGE_FILE"; '
    'head -c 20000000 /dev/zero > "$(dirname "$GAOBENCH_USAGE_FILE")/big"',  # a flood
])
def test_what_the_agent_leaves_in_its_out_folder_is_hostile_data(
        engine: Engine, tmp_path: Path, attack: str) -> None:
    """A link comes back as a link and is never followed; a folder over the limit is not
    copied back at all. Either way the usage is not measured, and nothing else breaks."""
    from benchmark_files import result_named

    spec = imported_task(tmp_path, f"echo hello > hello.txt\n{attack}\n")
    done = run_pytest(tmp_path, spec, "--gaobench-agent=command")
    assert done.returncode == 0, done.stdout[-3000:]
    result = result_named(tmp_path, "hello")
    assert result["metrics"]["usage"].get("tokens_input") is None
    runs = tmp_path / ".gaobench" / "runs" / result["run_id"]
    assert not [path for path in runs.rglob("big")]  # the flood never reached the host
    assert "root:" not in json.dumps(result)  # the host's shadow file was never read


@needs_podman
def test_the_agents_leftovers_end_before_the_verifier_and_metrics_still_run(
        engine: Engine, tmp_path: Path) -> None:
    """A process the agent left running would change the workspace while the verifier
    reads it: it is ended first; the run's container stays for the custom metrics."""
    from benchmark_files import result_named

    # The right answer, and a process left to spoil it the moment the verifier starts
    # (the verifier marks its start in the workspace, and looks a second later).
    spec = imported_task(tmp_path, (
        "echo hello > hello.txt\n"
        "nohup sh -c 'while [ ! -e /app/verifying ]; do sleep 0.05; done; "
        "echo spoiled > /app/hello.txt' >/dev/null 2>&1 &\n"), more=(
        "metrics:\n- name: left\n  run: \"echo {\\\\\\\"words\\\\\\\": $(wc -w < hello.txt)}\"\n"))
    test_sh = spec.parent / "tests" / "test.sh"
    test_sh.write_text(test_sh.read_text().replace("#!/bin/bash\n",
                                                   "#!/bin/bash\ntouch /app/verifying\nsleep 1\n"))
    done = run_pytest(tmp_path, spec, "--gaobench-agent=command")
    assert done.returncode == 0, done.stdout[-3000:]
    result = result_named(tmp_path, "hello")
    assert result["metrics"]["custom"] == {"left.words": 1}


VERIFIER = """\
#!/bin/bash
# What apt-get and dpkg do as root: give a file away (a capability the agent has not).
touch /tmp/owned && chown 65534 /tmp/owned || exit 3
# A test run the agent can reach into (a conftest.py it planted in /app, say).
[ -e /app/hook.sh ] && sh /app/hook.sh
if [ "$(cat /app/hello.txt 2>/dev/null)" = hello ]; then echo 1 > /logs/verifier/reward.txt
else echo 0 > /logs/verifier/reward.txt; fi
exit 0
"""


@needs_podman
def test_the_verifier_may_do_what_apt_get_does_and_its_logs_are_hostile_data(
        engine: Engine, tmp_path: Path) -> None:
    """The oracle passes a test.sh that changes a file's owner. An agent that reaches
    into the test run and floods /logs/verifier to hide its reward of 0 fails: the flood
    never reaches the host, and the script's exit code 0 does not stand in."""
    from benchmark_files import run_results

    spec = imported_task(tmp_path, "echo 'head -c 20000000 /dev/zero > /logs/verifier/big' "
                                   "> hook.sh\n")
    (spec.parent / "tests" / "test.sh").write_text(VERIFIER)
    assert run_suite(tmp_path, tmp_path / "suite", "oracle").returncode == 0
    flooded = run_suite(tmp_path, tmp_path / "suite", "command")
    assert flooded.returncode == 1, flooded.stdout[-3000:]
    result = {r["agent"]: r for r in run_results(tmp_path)}["command"]
    verdict = {c["name"]: c for c in result["criteria"]}["verifier"]
    assert not verdict["passed"]
    assert verdict["detail"].startswith("the verifier's logs were not read: /logs/verifier "
                                        "holds more than 16 MB"), verdict["detail"]
    assert not list((tmp_path / ".gaobench").rglob("big"))


PROXY_CALL = """\
import json, os, urllib.request
request = urllib.request.Request(
    os.environ["ANTHROPIC_BASE_URL"].rstrip("/") + "/v1/messages",
    data=json.dumps({"model": "claude-sonnet-5-5", "max_tokens": 10,
                     "messages": [{"role": "user", "content": "hi"}]}).encode(),
    headers={"x-api-key": os.environ["ANTHROPIC_API_KEY"], "anthropic-version": "2023-06-01",
             "content-type": "application/json"})
answer = json.load(urllib.request.urlopen(request, timeout=30))
open("hello.txt", "w").write("hello" if answer["usage"]["output_tokens"] == 7 else "no")
"""


@needs_podman
def test_your_own_agent_reaches_its_api_only_through_the_proxy_from_the_container(
        engine: Engine, tmp_path: Path, api: Any) -> None:
    """The command agent given API access calls the API from inside, with the image's own
    python: it holds a run token, reaches the proxy's socket through the forwarder, and
    the proxy measures the call."""
    from benchmark_files import result_named
    from fake_anthropic import message, text

    api.script(message(text("hi"), input_tokens=30, output_tokens=7))
    spec = imported_task(tmp_path, PROXY_CALL, script_name="agent.py")
    done = run_pytest(tmp_path, spec, "--gaobench-agent=command",
                      "--gaobench-agent-env=ANTHROPIC_API_KEY")
    assert done.returncode == 0, done.stdout[-3000:]
    usage = result_named(tmp_path, "hello")["metrics"]["usage"]
    assert (usage["api_calls"], usage["tokens_input"], usage["tokens_output"]) == (1, 30, 7)
    presented = api.requests[0]["headers"]
    assert presented["x-api-key"] == os.environ["ANTHROPIC_API_KEY"]  # the proxy's, not its


SPENDS_THEN_WAITS = PROXY_CALL.replace("answer = json.load", """\
for _ in range(3):
    try:
        urllib.request.urlopen(request, timeout=30)
    except Exception:
        pass
import time
time.sleep(3000)
answer = json.load""")


@needs_podman
def test_an_agent_the_proxy_stops_is_ended_inside_the_container(
        engine: Engine, tmp_path: Path, api: Any) -> None:
    """Past its turn budget the proxy refuses the call and stops the agent: what runs in
    the container ends then, not at the phase's timeout an hour later (which would outlast
    this test's bound of 300 s)."""
    from benchmark_files import result_named
    from fake_anthropic import message, text

    api.script(*[message(text("hi"), input_tokens=30, output_tokens=7) for _ in range(3)])
    spec = imported_task(tmp_path, SPENDS_THEN_WAITS, script_name="agent.py")
    spec.write_text(spec.read_text().replace("timeout_seconds: 120.0", "timeout_seconds: 3600"))
    done = run_pytest(tmp_path, spec, "--gaobench-agent=command", "--gaobench-max-turns=1",
                      "--gaobench-agent-env=ANTHROPIC_API_KEY", timeout=300)
    assert done.returncode == 1, done.stdout[-3000:]
    result = result_named(tmp_path, "hello")
    assert (result["status"], result["failure_kind"]) == ("failed", "agent"), result["reason"]
    assert "max_turns" in result["reason"]
    assert result["metrics"]["usage"]["api_calls"] == 1 == len(api.requests)


@pytest.fixture(scope="session")
def glibc_less_image(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> str:
    """An image with a static busybox and nothing else: no C library to run this
    machine's programs with (as an Alpine image has none of glibc)."""
    name = "localhost/gaobench-test-busybox:1"
    if engine.run("image", "inspect", name).returncode != 0:
        root = tmp_path_factory.mktemp("busybox")
        (root / "bin").mkdir()
        shutil.copy2(shutil.which("busybox") or "busybox", root / "bin" / "busybox")
        for tool in ("sh", "sleep", "timeout", "mkdir", "cat", "true", "du"):
            (root / "bin" / tool).symlink_to("busybox")
        archive = root.parent / "busybox.tar"
        subprocess.run(["tar", "-C", str(root), "-cf", str(archive), "."], check=True)
        assert engine.run("import", str(archive), name).returncode == 0
    return name


@needs_podman
@pytest.mark.skipif(shutil.which("claude") is None, reason="needs Claude Code")
def test_an_image_that_cannot_run_the_agent_says_so_before_any_work(
        engine: Engine, glibc_less_image: str, tmp_path: Path, api: Any) -> None:
    from benchmark_files import result_named

    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "bench_hello.yaml").write_text(
        f"name: hello\ninitial_prompt: Write hello.txt.\n"
        f"environment:\n  image: {glibc_less_image}\n  workdir: /app\n"
        f"workflow_phases:\n- phase_name: solve\n  agent: developer\n"
        f"success_criteria:\n  verifier: tests\n")
    (suite / "tests").mkdir()
    (suite / "tests" / "test.sh").write_text("exit 0\n")
    done = run_pytest(tmp_path, "suite", "--gaobench-agent=claude-code")
    assert done.returncode == 1, done.stdout[-3000:]
    result = result_named(tmp_path, "hello")
    assert result["failure_kind"] == "config", result["reason"]
    assert f"the image {glibc_less_image} cannot run the Claude Code CLI" in result["reason"]
    assert "use an image with glibc" in result["reason"]
    assert not api.requests  # nothing reached the API
    left = engine.run("ps", "--all", "--filter", f"label=io.gaobench.run={result['run_id']}",
                      "--format", "{{.Names}}").stdout.decode().split()
    assert left == []


COMMAND = "cat /opt/word > hello.txt"
"""The one thing each agent does: only inside the image is there a /opt/word."""


def scripted_agents(request: pytest.FixtureRequest, agent: str) -> tuple[list[str], str]:
    """The agent's scripted server, told to run ``COMMAND``: its options, and its key."""
    from fake_anthropic import message, text, tool, tool_turn
    from fake_gemini import run as gemini_run
    from fake_gemini import say as gemini_say
    from fake_openai import run, say
    from test_claude_code import bash

    if agent == "anthropic":  # standalone mode: the harness calls the API, tools run inside
        api = request.getfixturevalue("api")
        api.script(tool_turn(tool("run_command", command=COMMAND), input_tokens=1000,
                             output_tokens=40),
                   message(text("Done."), input_tokens=1100, output_tokens=10))
        return ["--gaobench-retry-base=0.01"], "ANTHROPIC_API_KEY"
    if agent in ("claude-code",):
        api = request.getfixturevalue("api")
        api.script(tool_turn(bash(COMMAND), input_tokens=1000, output_tokens=40),
                   message(text("Done."), input_tokens=1100, output_tokens=10))
        return [], "ANTHROPIC_API_KEY"
    if agent == "gemini-cli":
        gemini = request.getfixturevalue("gemini_api")
        gemini.script(gemini_run(COMMAND, input_tokens=1000, output_tokens=40),
                      gemini_say("Done.", input_tokens=1100, output_tokens=10))
        return [], "GEMINI_API_KEY"
    openai = request.getfixturevalue("openai_api")
    if agent == "opencode":
        openai.shell_tool = ("bash", "command")
        openai.answer_side_calls = True
    if agent == "aider":  # aider edits from its reply's text: no shell
        openai.script(say("hello.txt\n```\nhello\n```\n", input_tokens=1000,
                          output_tokens=40))
    elif agent == "mini-swe-agent":
        openai.script(run(COMMAND, input_tokens=1000, output_tokens=40),
                      run("echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT", input_tokens=1100,
                          output_tokens=10))
    else:
        openai.script(run(COMMAND, input_tokens=1000, output_tokens=40),
                      say("Done.", input_tokens=1100, output_tokens=10))
    return ["--gaobench-model=openai/gpt-5.5"] if agent != "codex" else [], "OPENAI_API_KEY"


AGENT_PROGRAMS = {"claude-code": "claude", "codex": "codex", "gemini-cli": "gemini",
                "opencode": "opencode", "aider": "aider", "mini-swe-agent": "mini",
                "anthropic": "python3"}


@needs_podman
@pytest.mark.parametrize("agent", list(AGENT_PROGRAMS))
def test_each_agent_runs_inside_the_container_measured_as_elsewhere(
        engine: Engine, tmp_path: Path, request: pytest.FixtureRequest, agent: str) -> None:
    """The agent's installation is shown read-only at its own paths, its API is the
    proxy's socket mounted in (behind the forwarder), and what it runs, runs inside: only
    the image has /opt/word. The proxy measures it; the key is nowhere. The standalone
    agent calls the API itself, and its tools run inside."""
    from benchmark_files import gao_dev, result_named
    from test_claude_code import every_file_under

    if shutil.which(AGENT_PROGRAMS[agent]) is None:
        pytest.skip(f"{agent} is not installed")
    options, key_variable = scripted_agents(request, agent)
    task = harbor_task(tmp_path)
    dockerfile = task / "environment" / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text() + "RUN echo hello > /opt/word\n")
    assert gao_dev(tmp_path, "import", "harbor", "tasks", "-o", "suite").returncode == 0
    done = run_pytest(tmp_path, "suite", f"--gaobench-agent={agent}", *options)
    assert done.returncode == 0, done.stdout[-3000:]
    result = result_named(tmp_path, "hello")
    usage = result["metrics"]["usage"]
    assert (usage["tokens_input"], usage["tokens_output"]) == (
        (1000, 40) if agent == "aider" else (2100, 50)), usage
    events = tmp_path / ".gaobench" / "runs" / result["run_id"] / "events.jsonl"
    ready = next(json.loads(line) for line in events.read_text().splitlines()
                 if '"container_ready"' in line)
    shown = ready["shown"]
    assert not [path for path in shown if Path(path).is_relative_to(tmp_path)]
    if agent != "anthropic":  # a CLI: its installation shown, the proxy's socket mounted
        assert shown and not Path(ready["services"]).exists()  # gone with the run
    key = os.environ[key_variable]
    for path in every_file_under(tmp_path / ".gaobench"):
        assert key.encode() not in path.read_bytes(), path
