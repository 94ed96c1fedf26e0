"""Data-processing module: the encrypted data bucket and the function that masks card numbers in it."""

from __future__ import annotations

from pathlib import Path

from cdktf_cdktf_provider_aws.lambda_permission import LambdaPermission
from cdktf_cdktf_provider_aws.s3_bucket_notification import S3BucketNotification, S3BucketNotificationLambdaFunction
from constructs import Construct

from constructs_lib.cdktf.deployment import account_context
from constructs_lib.cdktf.grants import bucket_read_statements, bucket_write_statements
from constructs_lib.cdktf.network import Network
from constructs_lib.cdktf.secure_bucket import SecureBucket
from constructs_lib.cdktf.secure_function import SecureFunction
from stacks.pci_platform.security import PciSecurity

#: The handler's code; zipped at synth. Nothing here imports it (that would ship a __pycache__ in the zip).
HANDLER_DIR = Path(__file__).resolve().parent / "handler"
#: Objects arrive under INCOMING_PREFIX; masked copies go under PROCESSED_PREFIX, which does not trigger the function.
INCOMING_PREFIX = "incoming/"
PROCESSED_PREFIX = "processed/"


class PciDataProcessing(Construct):
    """Data bucket (SSE-KMS, access-logged, TLS-only) and a function in the private subnets that is invoked for
    every object created under ``incoming/`` and writes a masked copy under ``processed/``.

    The function's role is the security module's; this module grants it read on ``incoming/*`` and write on
    ``processed/*`` of this bucket only (the function cannot re-trigger itself).

    Example::

        data = PciDataProcessing(self, "data-processing", system="pci-platform", security=security,
                                 network=networking.network)
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, system: str, security: PciSecurity, network: Network
    ) -> None:
        super().__init__(scope, construct_id)
        account = account_context(self)
        self.bucket = SecureBucket(
            self,
            "data-bucket",
            name_prefix=f"{system}-data",
            encryption_key=security.key,
            access_log_bucket=security.access_logs,
        )
        role = security.processing_role
        # The function's own grants already cover the platform key, which encrypts this bucket.
        role.add_statements(
            "data-bucket",
            [
                *bucket_read_statements(self.bucket, INCOMING_PREFIX, sid="ReadIncoming", with_key=False),
                *bucket_write_statements(self.bucket, PROCESSED_PREFIX, sid="WriteProcessed", with_key=False),
            ],
        )
        self.function = SecureFunction(
            self,
            "processor",
            name_prefix=f"{system}-processor",
            code_path=str(HANDLER_DIR),
            handler="app.handler",
            role=role,
            encryption_key=security.key,
            network=network,
            alarm_topic=security.alarm_topic,
            log_purpose="audit",
            environment={"INCOMING_PREFIX": INCOMING_PREFIX, "PROCESSED_PREFIX": PROCESSED_PREFIX},
        )
        permission = LambdaPermission(
            self,
            "allow-bucket",
            action="lambda:InvokeFunction",
            function_name=self.function.name,
            principal="s3.amazonaws.com",
            source_arn=self.bucket.arn,
            source_account=account.account_id,
        )
        S3BucketNotification(
            self,
            "notify-incoming",
            bucket=self.bucket.bucket.id,
            lambda_function=[
                S3BucketNotificationLambdaFunction(
                    lambda_function_arn=self.function.arn,
                    events=["s3:ObjectCreated:*"],
                    filter_prefix=INCOMING_PREFIX,
                )
            ],
            depends_on=[permission],
        )
