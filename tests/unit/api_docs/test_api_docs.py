"""The API reference's table of policy values: each value with the reason its ``#:`` comment gives, read from source."""

from __future__ import annotations

import textwrap
import types
from pathlib import Path

import pytest

from scripts import api_docs
from scripts.api_docs import Default, PolicyTable

POLICY_SOURCE = textwrap.dedent(
    '''
    """A policy module."""

    from dataclasses import dataclass

    # --- Section -----------------------------------------------------------------------------------------------
    #: Kept a year: the audit asks for 12 months.
    AUDIT_DAYS = 365
    #: A reason written over
    #: two lines.
    SHARDS: int = 1
    NO_REASON_GIVEN = "x"  # a trailing comment is no reason
    _PRIVATE = 3
    #: Retention by purpose.
    RETENTION = {
        # Debugging needs two weeks.
        "application": 14,
        "network": 90,
    }


    @dataclass(frozen=True)
    class Finding:
        rules: tuple[str, ...]
        reason: str


    ACCEPTED = Finding(("Rule-1",), "met another way")


    @dataclass(frozen=True)
    class Tier:
        name: str
        #: Standby in a second AZ.
        multi_az: bool


    TIERS = {"dev": Tier("dev", False), "prod": Tier("prod", True)}
    '''
)


@pytest.fixture(scope="module")
def rows() -> dict[str, Default]:
    module = types.ModuleType("sample_policy")
    exec(compile(POLICY_SOURCE, "sample_policy.py", "exec", dont_inherit=True), module.__dict__)
    found = api_docs.module_rows(module, POLICY_SOURCE)
    return {row.name: row for row in found}


def test_a_value_takes_the_reason_written_above_it(rows: dict[str, Default]) -> None:
    assert rows["AUDIT_DAYS"] == Default("AUDIT_DAYS", "365", "Kept a year: the audit asks for 12 months.")
    assert rows["SHARDS"].reason == "A reason written over two lines."


def test_a_value_without_a_reason_is_listed_as_such_and_private_names_are_not(rows: dict[str, Default]) -> None:
    assert rows["NO_REASON_GIVEN"] == Default("NO_REASON_GIVEN", "'x'", api_docs.NO_REASON)
    assert "_PRIVATE" not in rows


def test_a_dict_entry_with_a_comment_gets_its_own_row(rows: dict[str, Default]) -> None:
    assert rows["RETENTION"].value == "{'application': 14, 'network': 90}"  # without the comment inside
    assert rows["RETENTION['application']"] == Default("RETENTION['application']", "14", "Debugging needs two weeks.")
    assert "RETENTION['network']" not in rows


def test_a_record_with_a_reason_field_shows_that_reason(rows: dict[str, Default]) -> None:
    assert rows["ACCEPTED"] == Default("ACCEPTED", "rules=('Rule-1',)", "met another way")


def test_a_documented_field_shows_each_named_instance(rows: dict[str, Default]) -> None:
    assert rows["Tier.multi_az"] == Default("Tier.multi_az", "dev: False; prod: True", "Standby in a second AZ.")
    assert rows["Tier.name"].reason == api_docs.NO_REASON
    assert "Finding.rules" not in rows  # a record class with no documented field gets no field rows


def test_the_rows_keep_the_source_order(rows: dict[str, Default]) -> None:
    assert list(rows) == [
        "AUDIT_DAYS",
        "SHARDS",
        "NO_REASON_GIVEN",
        "RETENTION",
        "RETENTION['application']",
        "ACCEPTED",
        "TIERS",
        "Tier.name",
        "Tier.multi_az",
    ]


def test_long_values_are_clipped() -> None:
    assert len(api_docs.clipped("x" * 500)) == api_docs.MAX_VALUE_CHARS
    assert api_docs.clipped("x" * 500).endswith("…")


def test_readers_are_the_construct_modules_that_name_a_value(tmp_path: Path) -> None:
    cdk = tmp_path / "constructs_lib" / "cdk"
    cdk.mkdir(parents=True)
    (tmp_path / "constructs_lib" / "cdktf").mkdir()
    (cdk / "bucket.py").write_text(
        "from constructs_lib.policy import storage as st\n"
        "from constructs_lib.policy.retention import STREAM_RETENTION_HOURS\n"
        "x = (st.ENFORCE_TLS, STREAM_RETENTION_HOURS, settings.profile.multi_az)\n"
    )
    assert api_docs.policy_readers(tmp_path) == {
        ("constructs_lib.policy.storage", "ENFORCE_TLS"): {"cdk.bucket"},
        ("constructs_lib.policy.retention", "STREAM_RETENTION_HOURS"): {"cdk.bucket"},
        ("constructs_lib.policy.profiles", "Profile.multi_az"): {"cdk.bucket"},
    }


@pytest.fixture(scope="module")
def tables() -> dict[str, PolicyTable]:
    return {table.module: table for table in api_docs.policy_tables()}


def test_every_policy_module_with_values_has_a_table(tables: dict[str, PolicyTable]) -> None:
    assert len(tables) >= 12
    assert {"constructs_lib.policy.storage", "constructs_lib.policy.profiles"} <= set(tables)
    assert sum(len(table.rows) for table in tables.values()) > 150


def test_the_policy_tables_carry_the_sources_reasons_and_readers(tables: dict[str, PolicyTable]) -> None:
    storage = {row.name: row for row in tables["constructs_lib.policy.storage"].rows}
    versioning = storage["BUCKET_VERSIONING"]
    assert versioning.value == "True" and "HIPAA 164.312(c)(1)" in versioning.reason
    assert {"cdk.secure_bucket", "cdktf.secure_bucket"} <= set(versioning.read_by)
    profiles = {row.name: row for row in tables["constructs_lib.policy.profiles"].rows}
    assert profiles["Profile.multi_az"].value == "dev: False; prod: True"
    assert profiles["Profile.database_removal"].value == "dev: destroy; prod: snapshot"


def test_most_policy_values_give_a_reason(tables: dict[str, PolicyTable]) -> None:
    rows = [row for table in tables.values() for row in table.rows]
    assert sum(row.reason != api_docs.NO_REASON for row in rows) / len(rows) > 0.8


def test_the_markdown_has_a_row_per_value_and_escapes_what_markdown_would_read() -> None:
    table = PolicyTable(
        "constructs_lib.policy.sample",
        "A <module>.",
        (Default("A", "'a|b'", "the key policy names ``logs.<region>``, not <b>bold</b>", ("cdk.key",)),),
    )
    markdown = api_docs.render_markdown([table])
    assert "### `constructs_lib.policy.sample`\n\nA &lt;module&gt;." in markdown
    assert (
        "| `A` | <code>'a&#124;b'</code> | the key policy names ``logs.<region>``, not &lt;b&gt;bold&lt;/b&gt; "
        "| cdk.key |" in markdown
    )
    assert markdown.count("\n| `") == 1


def test_main_builds_into_the_folder_it_is_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    def fake_build(out: Path) -> Path:
        out.mkdir()
        (out / "index.html").write_text("<html></html>")
        return out / "index.html"

    monkeypatch.setattr(api_docs, "build", fake_build)
    assert api_docs.main(["--out", str(tmp_path / "api")]) == 0
    assert capsys.readouterr().out == f"api docs: 1 pages, open {tmp_path / 'api' / 'index.html'}\n"
