"""The benchmark's modes run end to end and print one figure per row beside their baseline (no time is asserted)."""

from __future__ import annotations

import sys

import pytest

from scripts import benchmark


def test_the_synth_mode_prints_a_median_and_a_ratio_per_stack(capsys: pytest.CaptureFixture) -> None:
    benchmark.main(["synth", "--runs", "1"])
    rows = [line.split()[0] for line in capsys.readouterr().out.splitlines() if " x" in line]
    assert rows == ["bare", "IotPlatform", "HealthcarePipeline", "StreamProcessor"]


def test_the_suite_and_lifecycle_modes_time_their_commands_side_by_side(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    seen: list[list[str]] = []
    monkeypatch.setattr(benchmark, "command_seconds", lambda command: seen.append(command) or 2.0)
    benchmark.main(["suite", "--runs", "1"])
    benchmark.main(["lifecycle"])
    assert [command[-1].rsplit("/", 1)[-1] for command in seen[:2]] == ["test_bare.py", "unit"]
    assert seen[2][-5:] == [f"--stack={name}" for name in benchmark.ALL_STACKS]
    assert seen[3][-1] == "scripts.lifecycle"
    assert capsys.readouterr().out.count("x 1.00") == 4  # every row is 2.00 s: the baseline of each mode and its twin


def test_the_preflight_mode_reads_the_whole_corpus(capsys: pytest.CaptureFixture) -> None:
    benchmark.main(["preflight", "--runs", "1"])
    printed = capsys.readouterr().out
    assert "stacks/s" in printed and int(printed.split("\n")[1].split()[0]) >= 200


def test_the_main_job_mode_runs_the_serial_baseline_then_the_job_as_ci_runs_it(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[str]] = []
    monkeypatch.setattr(benchmark, "command_seconds", lambda command: seen.append(command) or 600.0)
    benchmark.main(["main-job"])
    assert [command[2:] for command in seen] == [["scripts.main_job", "--serial"], ["scripts.main_job"]]


def test_a_timed_command_that_fails_ends_the_benchmark_with_its_log_tail(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    monkeypatch.setattr(benchmark, "LOG_DIR", tmp_path)
    failing = [sys.executable, "-c", "print('step 3 of 22: lifecycle FAILED'); raise SystemExit(1)"]
    with pytest.raises(SystemExit, match="exited 1 after") as raised:
        benchmark.command_seconds(failing)
    assert "step 3 of 22: lifecycle FAILED" in str(raised.value)
    assert benchmark.command_seconds([sys.executable, "-c", "print('fine')"]) > 0
    assert {path.read_text() for path in tmp_path.iterdir()} >= {"fine\n"}


def test_a_timed_command_finds_the_projects_tools_on_its_path(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setattr(benchmark, "LOG_DIR", tmp_path)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    benchmark.command_seconds(["ruff", "--version"])
    assert next(tmp_path.iterdir()).read_text().startswith("ruff ")


def test_the_main_job_mode_prints_each_runs_cpu_time_and_the_wall_time_floor_it_sets(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    readings = iter([100.0, 1700.0, 2000.0, 3800.0])  # the serial run kept the machine busy 1,600 s, the other 1,800 s
    monkeypatch.setattr(benchmark, "busy_seconds", lambda: next(readings))
    monkeypatch.setattr(benchmark, "command_seconds", lambda command: 1000.0)
    monkeypatch.setattr(benchmark.os, "cpu_count", lambda: 2)
    benchmark.main(["main-job"])
    rows = [line.split() for line in capsys.readouterr().out.splitlines() if " floor " in line]
    assert [(row[-5], row[-2]) for row in rows] == [("1600.00", "800.00"), ("1800.00", "900.00")]


def test_busy_seconds_grows_while_the_machine_works() -> None:
    before = benchmark.busy_seconds()
    sum(range(3_000_000))
    assert benchmark.busy_seconds() > before
