"""Preflight findings as a SARIF 2.1.0 log, for code-scanning tools (GitHub, GitLab, IDE viewers).

One run; its tool driver lists every rule run (id, short and full description, help with the usual fix, default
level) and each finding is one result pointing at the stack file and, when the finding concerns a resource, at the
line where the resource is declared plus a logical location: the CloudFormation logical id or the Terraform address.
File URIs are relative to ``%SRCROOT%`` (the working directory) when the file is under it.

Example::

    preflight cdk.out cdktf.out --format sarif > preflight.sarif
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from constructs_lib.model import CLOUDFORMATION
from constructs_lib.preflight.registry import Finding, Rule

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL_NAME = "preflight"
SOURCE_ROOT = "%SRCROOT%"
_DISTRIBUTION = "hardened-iac-stacks"


def sarif_log(findings: Sequence[Finding], rules: Sequence[Rule], root: Path | None = None) -> dict[str, Any]:
    """The SARIF log of ``findings``; ``rules`` are the rules that ran (each finding's rule must be among them)."""
    root = (root or Path.cwd()).resolve()
    index = {rule.rule_id: position for position, rule in enumerate(rules)}
    driver: dict[str, Any] = {"name": TOOL_NAME, "rules": [_descriptor(rule) for rule in rules]}
    texts: dict[Path, str] = {}
    version = _tool_version()
    if version:
        driver["version"] = version
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {"driver": driver},
                "originalUriBaseIds": {SOURCE_ROOT: {"uri": root.as_uri() + "/"}},
                "invocations": [{"executionSuccessful": True}],
                "results": [_result(finding, index[finding.rule_id], root, texts) for finding in findings],
            }
        ],
    }


def render_sarif(findings: Sequence[Finding], rules: Sequence[Rule]) -> str:
    """:func:`sarif_log` as indented JSON text."""
    return json.dumps(sarif_log(findings, rules), indent=2)


def _descriptor(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.rule_id,
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.description},
        "help": {"text": f"Fix: {rule.fix}", "markdown": f"**Fix:** {rule.fix}"},
        "defaultConfiguration": {"level": str(rule.severity)},
        "properties": {"tags": sorted(rule.formats), "seeds": list(rule.seeds)},
    }


def _result(finding: Finding, rule_index: int, root: Path, texts: dict[Path, str]) -> dict[str, Any]:
    path = Path(finding.file)
    physical: dict[str, Any] = {"artifactLocation": _artifact(path, root)}
    keys = _declaration_keys(finding)
    if keys:
        absolute = path.resolve()
        if absolute not in texts:
            texts[absolute] = _text(absolute)
        region = _region(texts[absolute], keys)
        if region:
            physical["region"] = region
    location: dict[str, Any] = {"physicalLocation": physical}
    if finding.address:
        location["logicalLocations"] = [
            {"name": finding.address, "fullyQualifiedName": f"{finding.stack}/{finding.address}", "kind": "resource"}
        ]
    fingerprint = hashlib.sha256(
        "\0".join((finding.rule_id, finding.stack, finding.address, finding.message)).encode()
    ).hexdigest()
    return {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": str(finding.severity),
        "message": {"text": f"{finding.message}; fix: {finding.fix}"},
        "locations": [location],
        "partialFingerprints": {"preflightFinding/v1": fingerprint},
        "properties": {"stack": finding.stack, "resource": finding.resource, "format": finding.source_format},
    }


def _artifact(path: Path, root: Path) -> dict[str, str]:
    absolute = path.resolve()
    if absolute.is_relative_to(root):
        return {"uri": absolute.relative_to(root).as_posix(), "uriBaseId": SOURCE_ROOT}
    return {"uri": absolute.as_uri()}


def _declaration_keys(finding: Finding) -> tuple[str, ...]:
    """The JSON keys, outermost first, under which the finding's resource is declared in its file."""
    if not finding.address:
        return ()
    if finding.source_format == CLOUDFORMATION:
        return ("Resources", finding.address)
    section, _, rest = finding.address.partition(".") if finding.address.startswith("data.") else ("", "", "")
    resource_type, _, name = (rest or finding.address).partition(".")
    return ("data" if section else "resource", resource_type, name)


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return ""


def _region(text: str, keys: Sequence[str]) -> dict[str, int] | None:
    """Line and column of the last of ``keys``, each searched after the one before it."""
    position = 0
    for key in keys:
        match = re.compile(re.escape(json.dumps(key)) + r"\s*:").search(text, position)
        if match is None:
            return None
        position = match.start()
    line_start = text.rfind("\n", 0, position) + 1
    return {"startLine": text.count("\n", 0, position) + 1, "startColumn": position - line_start + 1}


def _tool_version() -> str | None:
    try:
        return metadata.version(_DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return None
