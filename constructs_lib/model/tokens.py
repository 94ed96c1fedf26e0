"""Deploy-time values written as text: one ``${...}`` syntax for both formats.

Terraform already writes references as ``${aws_kms_key.logs.arn}``. CloudFormation writes ``{"Fn::Join": ...}``,
``{"Ref": ...}`` and friends; :func:`render` turns those into the same text (``${AWS::AccountId}``,
``${Bucket.Arn}``, ``${Fn::Select}`` for what cannot be known), so a check reads a bucket name or an ARN the same
way whichever format it came from, and knows which parts are literal.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

#: CloudFormation pseudo parameters (``{"Ref": "AWS::Region"}``): not references to resources.
PSEUDO_PREFIX = "AWS::"

_ACCOUNT = re.compile(r"AWS::AccountId|\baws_caller_identity\.[\w-]+\.account_id\b|\baccount_id\b")
_REGION = re.compile(r"AWS::Region|\baws_region\.[\w-]+\.(?:name|region|id)\b|\bregion\b")
_RANDOM = re.compile(r"\brandom_(?:id|string|password|pet|uuid|integer)\.|AWS::StackId|\buuid\(\)")
_DYNAMIC_REFERENCE = re.compile(r"^\{\{resolve:(secretsmanager|ssm-secure):[^{}]*(?:\$\{[^}]*\}[^{}]*)*\}\}$")


def is_true(value: Any) -> bool:
    """``true`` as JSON writes it, or as CloudFormation/Terraform accept it in a string ("true", "True")."""
    return value is True or (isinstance(value, str) and value.lower() == "true")


def is_intrinsic(value: Any) -> bool:
    """``{"Ref": ...}`` or ``{"Fn::...": ...}``: a CloudFormation value computed at deploy time."""
    if not isinstance(value, Mapping) or len(value) != 1:
        return False
    key = next(iter(value))
    return key == "Ref" or key.startswith("Fn::") or key == "Condition"


def render(value: Any) -> str | None:
    """``value`` as text with deploy-time parts written ``${...}``; ``None`` for lists and plain objects."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    if not is_intrinsic(value):
        return None
    ((function, argument),) = value.items()
    if function == "Ref":
        return f"${{{argument}}}"
    if function == "Fn::GetAtt":
        target = ".".join(str(a) for a in argument) if isinstance(argument, list) else str(argument)
        return f"${{{target}}}"
    if function == "Fn::Join" and isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], list):
        separator = argument[0] if isinstance(argument[0], str) else ""
        return separator.join(_part(p) for p in argument[1])
    if function == "Fn::Sub":
        return _render_sub(argument)
    return f"${{{function}}}"


def _part(value: Any) -> str:
    text = render(value)
    return text if text is not None else "${?}"


def _render_sub(argument: Any) -> str:
    if isinstance(argument, str):
        return argument
    if isinstance(argument, list) and argument and isinstance(argument[0], str):
        text = argument[0]
        variables = argument[1] if len(argument) > 1 and isinstance(argument[1], Mapping) else {}
        for name, replacement in variables.items():
            text = text.replace(f"${{{name}}}", _part(replacement))
        return text
    return "${Fn::Sub}"


def expressions(text: str) -> list[str]:
    """The ``${...}`` expressions in ``text`` (outermost only), without the ``${`` and ``}``.

    ``$${`` (Terraform's escape) and ``${!`` (CloudFormation's literal) are text, not expressions.
    """
    found: list[str] = []
    i = 0
    while True:
        start = text.find("${", i)
        if start < 0:
            return found
        if (start > 0 and text[start - 1] == "$") or text.startswith("${!", start):
            i = start + 2
            continue
        end = _closing_brace(text, start + 2)
        if end < 0:
            return found
        found.append(text[start + 2 : end])
        i = end + 1


def _closing_brace(text: str, i: int) -> int:
    depth, quoted = 1, False
    while i < len(text):
        char = text[i]
        if char == '"' and text[i - 1] != "\\":
            quoted = not quoted
        elif not quoted and char == "{":
            depth += 1
        elif not quoted and char == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def literal_text(text: str) -> str:
    """``text`` with every ``${...}`` expression removed: the part fixed when the file was written."""
    for expression in expressions(text):
        text = text.replace(f"${{{expression}}}", "", 1)
    return text


def is_literal(value: Any) -> bool:
    """A plain value known when the file was written (no intrinsic, no ``${...}``)."""
    text = render(value)
    return text is not None and not expressions(text)


def names_account(expression: str) -> bool:
    """The expression is the deploying account's ID (``AWS::AccountId``, ``aws_caller_identity...account_id``)."""
    return bool(_ACCOUNT.search(expression))


def names_region(expression: str) -> bool:
    """The expression is the deploying region (``AWS::Region``, ``data.aws_region.current.name``)."""
    return bool(_REGION.search(expression))


def is_random(expression: str) -> bool:
    """The expression is unique per deployment (``random_id``, ``AWS::StackId``)."""
    return bool(_RANDOM.search(expression))


def is_dynamic_reference(text: str) -> bool:
    """A CloudFormation dynamic reference to a secret (``{{resolve:secretsmanager:...}}``, ``ssm-secure``)."""
    return bool(_DYNAMIC_REFERENCE.match(text))


def leaves(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every text leaf of ``value`` as ``(path, text)``; a CloudFormation intrinsic is one rendered leaf."""
    if isinstance(value, Mapping) and not is_intrinsic(value):
        for key, child in value.items():
            yield from leaves(child, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from leaves(child, f"{path}[{index}]")
    elif isinstance(value, str) or is_intrinsic(value):
        text = render(value)
        if text is not None:
            yield path, text
