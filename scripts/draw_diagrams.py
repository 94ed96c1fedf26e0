"""Regenerate ``docs/diagrams/<system>.png`` from synthesized dev-profile stacks, so the pictures cannot go stale.

    .venv/bin/python -m scripts.draw_diagrams                  # reads cdk.out and cdktf.out, writes docs/diagrams
    .venv/bin/python -m scripts.draw_diagrams /tmp/cdk.out /tmp/cdktf.out --out /tmp/pictures

Synthesize first (the main job does: ``cdk synth -o cdk.out -c profile=dev``, ``tf_app.py`` into ``cdktf.out``).
Needs the ``diagrams`` package and Graphviz ``dot``. Only stacks tagged with the dev profile are drawn: README shows
what a developer deploys. Exit status 2 when nothing was found to draw or the picture cannot be drawn.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from constructs_lib.model import StackFileError, load_stacks
from constructs_lib.report.diagram import build
from constructs_lib.report.render import RenderError, picture_name, render
from scripts import ROOT

PROFILE = "dev"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Draw each dev-profile stack to <out>/<system>.png.")
    parser.add_argument("paths", nargs="*", type=Path, default=[ROOT / "cdk.out", ROOT / "cdktf.out"])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "diagrams", help="folder for the PNGs")
    args = parser.parse_args(argv)
    try:
        stacks = [s for s in load_stacks(args.paths) if s.profile == PROFILE]
        if not stacks:
            print(f"diagrams: no {PROFILE}-profile stack under {', '.join(map(str, args.paths))}", file=sys.stderr)
            return 2
        for stack in stacks:
            model = build(stack)
            written = render(model, args.out / picture_name(stack.system, stack.name, stack.profile))
            print(
                f"{written.relative_to(ROOT) if written.is_relative_to(ROOT) else written}: {stack.name}, "
                f"{len(model.nodes)} nodes, {len(model.edges)} edges"
            )
    except (StackFileError, RenderError) as error:
        print(f"diagrams: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
