"""One boto3 session for a run: the standard credential chain, adaptive retries, optional endpoint."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

RETRY = Config(retries={"mode": "adaptive", "max_attempts": 12}, connect_timeout=10, read_timeout=60)


class CredentialsError(RuntimeError):
    pass


class AwsClients:
    def __init__(self, region: str, endpoint_url: str | None = None, env: dict[str, str] | None = None) -> None:
        creds = {}
        if env and "AWS_ACCESS_KEY_ID" in env:
            creds = {
                "aws_access_key_id": env["AWS_ACCESS_KEY_ID"],
                "aws_secret_access_key": env["AWS_SECRET_ACCESS_KEY"],
                "aws_session_token": env.get("AWS_SESSION_TOKEN"),
            }
        self.session = boto3.session.Session(region_name=region, **creds)
        self.region = region
        self.endpoint_url = endpoint_url
        self.calls = 0  # API calls made (benchmarks report calls per poll)
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            client = self.session.client(service, endpoint_url=self.endpoint_url, config=RETRY)
            client.meta.events.register("before-call", self._count)
            self._clients[service] = client
        return self._clients[service]

    def _count(self, **_: Any) -> None:
        self.calls += 1

    def check_credentials(self) -> str:
        """The caller's account, or CredentialsError with what to do."""
        try:
            return str(self.client("sts").get_caller_identity()["Account"])
        except NoCredentialsError:
            raise CredentialsError(
                "no AWS credentials found: set AWS_PROFILE (aws sso login --profile NAME) or "
                "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or use --sandbox"
            ) from None
        except ClientError as err:
            code = err.response.get("Error", {}).get("Code", "")
            raise CredentialsError(
                f"AWS rejected the credentials ({code}): refresh them (aws sso login) or use --sandbox"
            ) from None
        except BotoCoreError as err:
            raise CredentialsError(f"cannot reach AWS to check credentials: {err}") from None
