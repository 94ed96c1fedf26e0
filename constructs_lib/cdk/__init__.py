"""AWS CDK constructs that apply the hardening policy; each is secure with no arguments."""
