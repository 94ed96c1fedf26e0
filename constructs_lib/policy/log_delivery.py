"""AWS-owned accounts that deliver logs into the user's buckets: they appear in bucket policies, yet are not the user's.

Elastic Load Balancing writes access logs from one account per region; a bucket policy for ALB/NLB/CLB access logs
grants ``s3:PutObject`` to ``arn:aws:iam::<that account>:root`` (CDK's ``log_access_logs`` writes exactly that).
Regions opened since August 2022 take the service principal ``logdelivery.elasticloadbalancing.amazonaws.com``
instead, which every region now accepts: the principal is the portable form.
"""

from __future__ import annotations

#: The service principal that delivers Elastic Load Balancing access logs, in every region.
ELB_LOG_DELIVERY_PRINCIPAL = "logdelivery.elasticloadbalancing.amazonaws.com"

#: region -> the AWS account Elastic Load Balancing delivers access logs from there (AWS's published table, the
#: same as aws-cdk-lib's region facts). A bucket policy naming one of these grants AWS, not a hard-coded user account.
ELB_LOG_DELIVERY_ACCOUNTS: dict[str, str] = {
    "af-south-1": "098369216593",
    "ap-east-1": "754344448648",
    "ap-northeast-1": "582318560864",
    "ap-northeast-2": "600734575887",
    "ap-northeast-3": "383597477331",
    "ap-south-1": "718504428378",
    "ap-southeast-1": "114774131450",
    "ap-southeast-2": "783225319266",
    "ap-southeast-3": "589379963580",
    "ca-central-1": "985666609251",
    "cn-north-1": "638102146993",
    "cn-northwest-1": "037604701340",
    "eu-central-1": "054676820928",
    "eu-north-1": "897822967062",
    "eu-south-1": "635631232127",
    "eu-west-1": "156460612806",
    "eu-west-2": "652711504416",
    "eu-west-3": "009996457667",
    "me-south-1": "076674570225",
    "sa-east-1": "507241528517",
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-gov-east-1": "190560391635",
    "us-gov-west-1": "048591011584",
    "us-west-1": "027434742980",
    "us-west-2": "797873946194",
}
