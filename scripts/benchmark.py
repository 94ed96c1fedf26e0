"""Benchmarks, each measured side by side in one run; timings live here, never in tests.

    .venv/bin/python -m scripts.benchmark synth [--runs 5]        # synth per CDK stack beside a bare one-resource stack
    .venv/bin/python -m scripts.benchmark suite [--runs 3]        # the unit suite beside a one-test suite
    .venv/bin/python -m scripts.benchmark preflight [--runs 5]    # preflight over the public corpus: stacks per second
    .venv/bin/python -m scripts.benchmark lifecycle               # lifecycle checks: one emulator vs the groups
    .venv/bin/python -m scripts.benchmark main-job                # the main job: --serial vs side by side
    .venv/bin/python -m scripts.processor_benchmark               # each processor's records per second

Each prints medians and the ratio to its baseline; the two that run whole jobs also print the CPU time the machine
was busy, which bounds how short the side-by-side run can be on this machine's cores.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

from scripts import ROOT
from scripts.lifecycle.__main__ import GROUPS
from scripts.main_job import ALL_STACKS

CONTEXT = {"profile": "dev", "environmentSuffix": "bench"}
CORPUS = ROOT / "tests" / "unit" / "preflight" / "corpus"
BARE_TEST = ROOT / "scripts" / "bare_suite" / "test_bare.py"
LOG_DIR = ROOT / ".build" / "benchmark"
#: Each timed command runs as the scripts run theirs: with the project's PATH and CLI settings (``scripts/env.sh``).
PROJECT_ENVIRONMENT = '. scripts/env.sh && exec "$@"'


def stacks() -> dict[str, Callable[[object], object]]:
    """The CDK stacks to synthesize, after a bare one-resource stack (imported here: the other modes need no CDK)."""
    import aws_cdk as cdk
    from aws_cdk import aws_sqs as sqs

    from stacks.healthcare_pipeline.stack import HealthcarePipelineStack
    from stacks.iot_platform.stack import IotPlatformStack
    from stacks.stream_processor.stack import StreamProcessorStack

    def bare_stack(app: cdk.App) -> None:
        sqs.CfnQueue(cdk.Stack(app, "Bare"), "Queue")

    return {
        "bare one-resource stack": bare_stack,
        "IotPlatform": lambda app: IotPlatformStack(app, "IotPlatform"),
        "HealthcarePipeline": lambda app: HealthcarePipelineStack(app, "HealthcarePipeline"),
        "StreamProcessor": lambda app: StreamProcessorStack(app, "StreamProcessor"),
    }


def synth_seconds(build: Callable[[object], object], with_nag: bool) -> float:
    """One synth of ``build`` in a fresh app; the bare stack skips the compliance packs (a lone queue fails them)."""
    import aws_cdk as cdk

    from constructs_lib.cdk.compliance import enable_compliance_checks

    with tempfile.TemporaryDirectory() as outdir:
        started = time.perf_counter()
        app = cdk.App(outdir=outdir, context=CONTEXT)
        build(app)
        if with_nag:
            enable_compliance_checks(app)
        app.synth()
        return time.perf_counter() - started


def command_seconds(command: list[str]) -> float:
    """Wall time of one command run from the repository root in the project's environment. Its output goes to a log
    under ``.build/benchmark`` (named on stderr, so a long run can be followed); a failed command ends the benchmark
    with its log's tail."""
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log = LOG_DIR / (re.sub(r"[^\w.]+", "-", " ".join(command[2:])).strip("-")[:80] + ".log")
    print(f"running {' '.join(command[1:])} (log: {log})", file=sys.stderr, flush=True)
    started = time.perf_counter()
    with log.open("w") as output:
        done = subprocess.run(
            ["bash", "-c", PROJECT_ENVIRONMENT, "bash", *command],
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
            check=False,
        )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        tail = "\n".join(log.read_text().splitlines()[-15:])
        raise SystemExit(
            f"{' '.join(command[1:])} exited {done.returncode} after {seconds:.0f} s (log: {log}):\n{tail}"
        )
    return seconds


def busy_seconds() -> float:
    """CPU time the machine has spent busy since boot, all cores together (``/proc/stat``: user, nice, system, irq,
    softirq; idle, I/O wait and time stolen by the hypervisor left out)."""
    with open("/proc/stat") as stat:
        user, nice, system, _idle, _iowait, irq, softirq = (int(field) for field in stat.readline().split()[1:8])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def command_usage(command: list[str]) -> tuple[float, float]:
    """Wall time of :func:`command_seconds` and the CPU time the machine was busy meanwhile (every process: the
    emulators a run starts outlive their parents, so only the machine's total counts them; run it on a quiet
    machine)."""
    busy = busy_seconds()
    seconds = command_seconds(command)
    return seconds, busy_seconds() - busy


def with_cpu(title: str, runs: dict[str, list[tuple[float, float]]]) -> None:
    """Print the median wall times side by side, then each one's CPU time and what it bounds: no run can take less
    wall time than its CPU time spread over every core."""
    side_by_side(title, {name: statistics.median(wall for wall, _ in measured) for name, measured in runs.items()})
    cores = os.cpu_count() or 1
    print(f"CPU time the machine was busy (median), and the least wall time it allows on {cores} cores:")
    for name, measured in runs.items():
        cpu = statistics.median(used for _, used in measured)
        print(f"  {name:<40} {cpu:8.2f} s   floor {cpu / cores:8.2f} s")


def side_by_side(title: str, rows: dict[str, float], unit: str = "s") -> None:
    """Print ``rows`` (the first is the baseline) with each one's ratio to it."""
    print(title)
    baseline = next(iter(rows.values()))
    for name, value in rows.items():
        print(f"  {name:<40} {value:8.2f} {unit}   x{value / baseline:5.2f}")


def synth(runs: int) -> None:
    built = stacks()
    synth_seconds(built["bare one-resource stack"], with_nag=False)  # the jsii runtime starts once per process
    rows = {
        name: statistics.median(synth_seconds(build, with_nag=index > 0) for _ in range(runs))
        for index, (name, build) in enumerate(built.items())
    }
    side_by_side(f"synth time, median of {runs} runs (dev; our stacks with the cdk-nag packs on):", rows)


def suite(runs: int) -> None:
    pytest = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    rows = {
        "bare one-test suite": statistics.median(command_seconds([*pytest, str(BARE_TEST)]) for _ in range(runs)),
        "tests/unit": statistics.median(command_seconds([*pytest, "tests/unit"]) for _ in range(runs)),
    }
    side_by_side(f"unit suite wall time, median of {runs} runs:", rows)


def preflight(runs: int) -> None:
    from constructs_lib.preflight.figures import measure

    figures = measure([CORPUS], repeat=runs)
    stacks_read = figures.templates + figures.terraform
    print(f"preflight over {CORPUS.relative_to(ROOT)}, median of {runs} runs (in process):")
    print(
        f"  {stacks_read} stacks, {figures.resources} resources in {figures.seconds:.2f} s: "
        f"{figures.stacks_per_second:.0f} stacks/s"
    )


def lifecycle(runs: int) -> None:
    every = [f"--stack={name}" for name in ALL_STACKS]
    checks = [sys.executable, "-m", "scripts.lifecycle"]
    measured = {
        "every stack on one emulator": [command_usage([*checks, *every]) for _ in range(runs)],
        f"{len(GROUPS)} groups side by side": [command_usage(checks) for _ in range(runs)],
    }
    with_cpu(f"deploy lifecycle checks, all five stacks, median of {runs} runs:", measured)


def main_job(runs: int) -> None:
    job = [sys.executable, "-m", "scripts.main_job"]
    measured = {
        "one step after another (--serial)": [command_usage([*job, "--serial"]) for _ in range(runs)],
        "side by side (as CI runs it)": [command_usage(job) for _ in range(runs)],
    }
    with_cpu(f"the main job, every check, median of {runs} runs:", measured)


MODES: dict[str, tuple[Callable[[int], None], int]] = {
    "main-job": (main_job, 1),
    "synth": (synth, 5),
    "suite": (suite, 3),
    "preflight": (preflight, 5),
    "lifecycle": (lifecycle, 1),
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=sorted(MODES), nargs="?", default="synth")
    parser.add_argument(
        "--runs", type=int, help="runs per figure (default: synth 5, suite 3, preflight 5, lifecycle 1)"
    )
    options = parser.parse_args(argv)
    measure, default_runs = MODES[options.mode]
    measure(options.runs or default_runs)


if __name__ == "__main__":
    main()
