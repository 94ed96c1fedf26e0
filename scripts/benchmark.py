"""Benchmark: synth time per CDK stack and the unit-suite wall time, beside a bare one-resource stack.

Prints medians of several runs and our overhead as a ratio to the bare stack. Timings live here, never in tests.

    .venv/bin/python -m scripts.benchmark [--runs 5] [--suite-runs 3] [--skip-suite]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

import aws_cdk as cdk
from aws_cdk import aws_sqs as sqs

from constructs_lib.cdk.compliance import enable_compliance_checks
from scripts import ROOT
from stacks.healthcare_pipeline.stack import HealthcarePipelineStack
from stacks.iot_platform.stack import IotPlatformStack
from stacks.stream_processor.stack import StreamProcessorStack

CONTEXT = {"profile": "dev", "environmentSuffix": "bench"}


def bare_stack(app: cdk.App) -> None:
    stack = cdk.Stack(app, "Bare")
    sqs.CfnQueue(stack, "Queue")


#: The bare stack synthesizes without the compliance packs (a lone queue fails them); ours run them as `cdk synth` does.
STACKS: dict[str, Callable[[cdk.App], object]] = {
    "bare one-resource stack": bare_stack,
    "IotPlatform": lambda app: IotPlatformStack(app, "IotPlatform"),
    "HealthcarePipeline": lambda app: HealthcarePipelineStack(app, "HealthcarePipeline"),
    "StreamProcessor": lambda app: StreamProcessorStack(app, "StreamProcessor"),
}


def synth_seconds(build: Callable[[cdk.App], object], with_nag: bool) -> float:
    with tempfile.TemporaryDirectory() as outdir:
        started = time.perf_counter()
        app = cdk.App(outdir=outdir, context=CONTEXT)
        build(app)
        if with_nag:
            enable_compliance_checks(app)
        app.synth()
        return time.perf_counter() - started


def suite_seconds(args: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--suite-runs", type=int, default=3)
    parser.add_argument("--skip-suite", action="store_true")
    options = parser.parse_args(argv)

    synth_seconds(bare_stack, with_nag=False)  # warm the jsii runtime once, as every process pays it once
    print(f"synth time, median of {options.runs} runs (dev profile; our stacks with the cdk-nag packs on):")
    bare = None
    for name, build in STACKS.items():
        with_nag = build is not bare_stack
        median = statistics.median(synth_seconds(build, with_nag=with_nag) for _ in range(options.runs))
        bare = bare or median
        print(f"  {name:<26} {median:6.2f} s   x{median / bare:5.1f} the bare stack")

    if not options.skip_suite:
        print(f"unit suite wall time, median of {options.suite_runs} runs:")
        bare_test = ROOT / "scripts" / "bare_suite" / "test_bare.py"
        bare_suite = statistics.median(suite_seconds([str(bare_test)]) for _ in range(options.suite_runs))
        full = statistics.median(suite_seconds(["tests/unit"]) for _ in range(options.suite_runs))
        print(f"  {'bare one-test suite':<26} {bare_suite:6.2f} s")
        print(f"  {'tests/unit':<26} {full:6.2f} s   x{full / bare_suite:5.1f} the bare suite")


if __name__ == "__main__":
    main()
