"""The hardening policy as plain data: every decision a reviewer asks about, once, with its reason.

No CDK or Terraform import lives here: the CDK constructs and the cdktf twins both read these values, so the two
renderings cannot drift apart. Modules:

- ``profiles``: ``dev`` (tears down cleanly) and ``prod`` (loses no data).
- ``engines``: engine versions per database kind and the regions they are offered in.
- ``retention``: backup, log, stream and lifecycle retention.
- ``encryption``: key rotation and the key-policy statements services need.
- ``naming``: suffix rules and AWS name limits.
- ``services``: sizes and runtimes.
- ``alarms``: every alarm a construct raises (metric, statistic, comparator, threshold, periods).
- ``settings``: where a deployment's suffix and profile come from.
"""

from constructs_lib.policy.errors import ConfigurationError
from constructs_lib.policy.profiles import PROFILES, Profile, RemovalBehaviour, profile_named
from constructs_lib.policy.settings import DeploymentSettings, resolve_settings

__all__ = [
    "PROFILES",
    "ConfigurationError",
    "DeploymentSettings",
    "Profile",
    "RemovalBehaviour",
    "profile_named",
    "resolve_settings",
]
