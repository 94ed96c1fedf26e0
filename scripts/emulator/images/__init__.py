"""Local container images: a stand-in for ``docker`` on a machine with no container engine.

``python -m scripts.emulator.images <docker arguments>`` (or ``scripts/local-docker``, what ``CDK_DOCKER`` names for a
deploy to the emulator) answers the calls the CDK CLI's asset publisher and README's build-and-push make: ``login``,
``inspect``, ``images``, ``build``, ``tag`` and ``push`` (:mod:`scripts.emulator.images.cli`).

A build (:mod:`scripts.emulator.images.build`) reads the Dockerfile and makes an image folder in the store
(:mod:`scripts.emulator.images.store`): the files each ``COPY`` names under ``rootfs/``, and ENV, WORKDIR, USER,
ENTRYPOINT and CMD in ``config.json``. ``RUN`` is recorded but never executed, and the base image is never pulled:
what the image's entrypoint imports must be importable by the emulator's own interpreter (the project's venv).
A push puts an image in the emulator's ECR whose manifest carries the image folder in its annotations
(:data:`store.ANNOTATION`); the emulator's ECS runtime (:mod:`scripts.emulator.runtime.containers`) runs it from there.
"""
