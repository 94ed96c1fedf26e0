"""The benchmark runs end to end and prints one median per stack beside the bare stack (no timing is asserted)."""

from __future__ import annotations

import pytest

from scripts import benchmark


def test_the_synth_benchmark_prints_a_median_and_a_ratio_per_stack(capsys: pytest.CaptureFixture) -> None:
    benchmark.main(["--runs", "1", "--skip-suite"])
    lines = capsys.readouterr().out.splitlines()
    rows = [line for line in lines if "the bare stack" in line]
    assert len(rows) == len(benchmark.STACKS)
    assert [row.split()[0] for row in rows] == ["bare", "IotPlatform", "HealthcarePipeline", "StreamProcessor"]


def test_the_suite_benchmark_times_the_bare_suite_and_the_unit_suite(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[str]] = []
    monkeypatch.setattr(benchmark, "synth_seconds", lambda build, with_nag: 1.0)
    monkeypatch.setattr(benchmark, "suite_seconds", lambda args: seen.append(args) or 2.0)
    benchmark.main(["--runs", "1", "--suite-runs", "1"])
    assert [args[0].rsplit("/", 1)[-1] for args in seen] == ["test_bare.py", "unit"]
