"""Deploy every stack to the local AWS emulator (or destroy them), and write the outputs the integration tests read.

    eval "$(python -m scripts.emulator.server env)"    # after `python -m scripts.emulator.server start`
    python -m scripts.deployer deploy                  # synth once, bootstrap, deploy each stack
    python -m scripts.deployer destroy                 # destroy each stack; any stack left behind exits non-zero
    python -m scripts.deployer outputs                 # only (re)write cfn-outputs/ from the deployed stacks
    python -m scripts.deployer summary                 # per stack: resources, outputs, tests, seconds

Each IaC tool is a :class:`~scripts.deployer.protocol.Tool` (``cdk_tool``, ``terraform_tool``). ``deploy`` and
``destroy`` refuse to run without ``AWS_ENDPOINT_URL``; ``outputs`` works against AWS too.
"""
