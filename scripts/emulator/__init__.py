"""Local AWS: a pinned moto server with this repository's emulator extensions, for deploys and integration tests.

In a process: ``registry.register()`` then moto's ``mock_aws`` (the tests' ``aws`` fixture); as a server:
``python -m scripts.emulator.server start`` (see :mod:`scripts.emulator.server`).
"""
