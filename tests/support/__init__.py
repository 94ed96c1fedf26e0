"""Throwaway servers and certificates shared by tests/unit and tests/integration."""
