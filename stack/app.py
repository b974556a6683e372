"""The CDK app: `cdk.json` runs `python -m stack.app` with the project's interpreter."""

from __future__ import annotations

import sys

from stack.cdk_env import apply_quiet_env
from stack.config import ConfigError, load_config

apply_quiet_env()  # before aws_cdk starts jsii

import aws_cdk as cdk  # noqa: E402
from cdk_nag import AwsSolutionsChecks  # noqa: E402

from stack.nag import suppress_reviewed_findings  # noqa: E402
from stack.nixl_stack import NixlEfaStack  # noqa: E402


def build_app(context: dict[str, object] | None = None, outdir: str | None = None) -> tuple[cdk.App, NixlEfaStack]:
    """Build the app with the given context (the CLI passes cdk.json and -c values itself)."""
    app = cdk.App(context=context, outdir=outdir)
    config = load_config(app.node.try_get_context)
    stack = NixlEfaStack(app, config=config)
    suppress_reviewed_findings(stack)
    cdk.Validations.of(app).add_plugins(
        AwsSolutionsChecks(app, verbose=True, write_suppressions_to_cloud_formation=True)
    )
    return app, stack


def main() -> int:
    try:
        app, _ = build_app()
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
