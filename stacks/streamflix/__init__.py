"""StreamFlix video-processing pipeline (seed 003), as a CDK for Terraform stack."""
