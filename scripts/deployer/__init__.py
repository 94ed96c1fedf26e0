"""Deploy every stack to the local AWS emulator (or destroy them), and write the outputs the integration tests read.

    eval "$(python -m scripts.emulator.server env)"    # after `python -m scripts.emulator.server start`
    python -m scripts.deployer deploy                  # synth once, bootstrap, deploy each stack
    python -m scripts.deployer destroy                 # destroy each stack; any stack left behind exits non-zero
    python -m scripts.deployer outputs                 # only (re)write cfn-outputs/ from the deployed stacks
    python -m scripts.deployer summary                 # per stack: resources, outputs, tests, seconds

Each IaC tool is a :class:`~scripts.deployer.protocol.Tool`: :mod:`~scripts.deployer.cdk_tool` (the CDK CLI) and
:mod:`~scripts.deployer.terraform_tool` (``terraform`` per cdktf stack, which adopts what an interrupted apply left
behind through :mod:`~scripts.deployer.adoption`). ``deploy`` and ``destroy`` refuse to run without
``AWS_ENDPOINT_URL``; ``outputs`` works against AWS too. Outputs land in ``cfn-outputs/``
(:mod:`~scripts.deployer.stack_outputs`).
"""
