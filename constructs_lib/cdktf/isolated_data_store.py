"""IsolatedDataStore: what the cdktf PostgresInstance and RedisReplicationGroup share, written once.

The twin of ``constructs_lib.cdk.isolated_data_store``: the engine version is the policy's, the store gets its own
customer-managed key and network unless given them, lives in the network's isolated subnets, and has its own security
group with no rules until :meth:`allow_from`. Subclasses add the engine-specific resources.
"""

from __future__ import annotations

from typing import Any, ClassVar

from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from constructs import Construct

from constructs_lib.cdktf.deployment import account_context, deployment_settings
from constructs_lib.cdktf.encryption_key import EncryptionKey
from constructs_lib.cdktf.iam import secret_read_statements
from constructs_lib.cdktf.network import Network
from constructs_lib.policy import engines, naming, storage


class IsolatedDataStore(Construct):
    """Base of the cdktf PostgresInstance and RedisReplicationGroup (not used on its own)."""

    #: Policy engine kind (``policy.engines``), AWS name kind (``policy.naming``) and the label used in descriptions.
    ENGINE: ClassVar[str]
    NAME_KIND: ClassVar[str]
    LABEL: ClassVar[str]

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        network: Network | None,
        encryption_key: EncryptionKey | None,
        name_prefix: str | None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.settings = deployment_settings(self)
        self.profile = self.settings.profile
        self.suffix = self.settings.environment_suffix
        self.engine = engines.engine(self.ENGINE)
        self.name_prefix = naming.check_suffix(name_prefix or storage.base_name_for(construct_id), field="name_prefix")
        #: The store's AWS name (instance or replication-group identifier).
        self.name = naming.resource_name(self.NAME_KIND, self.name_prefix, self.suffix)
        self._account = account_context(self)
        self.encryption_key = encryption_key or EncryptionKey(self, "key", description=f"{self.LABEL} {self.name}")
        self.network = network or Network(self, "network", encryption_key=self.encryption_key)
        self.security_group = SecurityGroup(
            self,
            "security-group",
            name=naming.resource_name("security_group", f"{self.name_prefix}-{self.ENGINE}", self.suffix),
            description=f"{self.LABEL} {self.name}: no ingress until allow_from, no egress",
            vpc_id=self.network.vpc.id,
        )
        self.port: int = 0

    def allow_from(self, security_group: SecurityGroup, description: str) -> VpcSecurityGroupIngressRule:
        """Open the store's port to members of ``security_group`` only."""
        index = len([c for c in self.node.children if isinstance(c, VpcSecurityGroupIngressRule)])
        return VpcSecurityGroupIngressRule(
            self,
            f"ingress-{index}",
            security_group_id=self.security_group.id,
            referenced_security_group_id=security_group.id,
            ip_protocol="tcp",
            from_port=self.port,
            to_port=self.port,
            description=f"{self.LABEL} from {description}",
        )

    def _secret_read_statements(self, secret_arn: str) -> list[dict[str, Any]]:
        """Read one secret, and its key only through Secrets Manager."""
        return secret_read_statements([secret_arn], self.encryption_key.arn, self._account)
