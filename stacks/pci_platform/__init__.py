"""PCI DSS data platform (seed 004), as a CDK for Terraform stack split into security, networking,
data-processing and monitoring modules."""
