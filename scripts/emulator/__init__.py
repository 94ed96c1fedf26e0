"""Local AWS: a pinned moto server with this repository's emulator extensions, for deploys and integration tests."""
