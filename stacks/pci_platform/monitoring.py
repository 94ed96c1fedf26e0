"""Monitoring module: AWS Config recording with the PCI DSS managed rules; the data-processing alarms are the
function's own."""

from __future__ import annotations

from constructs import Construct

from constructs_lib.cdktf.config_recorder import ConfigRecorder
from constructs_lib.cdktf.secure_function import SecureFunction
from stacks.pci_platform.security import PciSecurity


class PciMonitoring(Construct):
    """A :class:`ConfigRecorder` (PCI DSS managed rules, SSE-KMS delivery bucket); ``function_errors_alarm`` is the
    data-processing function's errors alarm (``alarms.FUNCTION_ERRORS``: an error leaves an object unmasked).

    One recorder per account and region is allowed: set ``enable_config=False`` on the stack where the organisation
    already records; ``config`` is then ``None``.

    Example::

        PciMonitoring(self, "monitoring", system="pci-platform", security=security, function=data.function)
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        system: str,
        security: PciSecurity,
        function: SecureFunction,
        enable_config: bool = True,
    ) -> None:
        super().__init__(scope, construct_id)
        self.function_errors_alarm = function.errors_alarm
        self.config: ConfigRecorder | None = None
        if enable_config:
            self.config = ConfigRecorder(
                self, "config", name_prefix=system, encryption_key=security.key, access_log_bucket=security.access_logs
            )
