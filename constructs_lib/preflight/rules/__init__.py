"""Preflight rules, grouped by what they are about; each module defines its checks and their ``Rule`` records."""
