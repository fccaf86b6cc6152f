"""A real S3 API for the remote-warehouse tests: moto's server mode as its own process on 127.0.0.1."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from newsfacts.local_server import free_port
from tests.flows.servers import stop, wait_until

# Distinct, recognisable values: the tests look for them in logs, outputs and every file written.
ACCESS_KEY = "AKIANEWSFACTSTEST01"
SECRET_KEY = "newsfacts-test-secret-5d41402abc4b2a76"


@dataclass(frozen=True)
class S3Server:
    endpoint: str  # http://127.0.0.1:PORT

    def env(self) -> dict[str, str]:
        """The environment a client needs (credentials are moto's; any non-empty value is accepted)."""
        return {
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": self.endpoint,
        }

    def iam_credentials(self) -> dict[str, str]:
        """A moto IAM user allowed s3:* and its access key (for a server started with `authenticated=True`,
        which checks every later request's signature against these); the bucket `secured` created."""
        import json

        import boto3

        anyone = dict(endpoint_url=self.endpoint, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")
        iam = boto3.client("iam", **anyone)
        iam.create_user(UserName="newsfacts")
        key = iam.create_access_key(UserName="newsfacts")["AccessKey"]
        policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
        iam.put_user_policy(UserName="newsfacts", PolicyName="s3", PolicyDocument=json.dumps(policy))
        urllib.request.urlopen(urllib.request.Request(f"{self.endpoint}/secured", method="PUT"), timeout=30).close()
        return {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]}

    def new_bucket(self) -> str:
        name = f"nf-{uuid.uuid4().hex[:12]}"
        urllib.request.urlopen(urllib.request.Request(f"{self.endpoint}/{name}", method="PUT"), timeout=30).close()
        return name


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


@contextmanager
def s3_server(timeout_s: float = 120.0, *, authenticated: bool = False) -> Iterator[S3Server]:
    """moto's S3 (and IAM) server. `authenticated`: after the four requests of `S3Server.iam_credentials`,
    every request must be signed with an IAM user's key (moto's INITIAL_NO_AUTH_ACTION_COUNT)."""
    port = free_port()
    env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "4"} if authenticated else None
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group, which `stop` ends
        env=env,
    )
    try:
        wait_until(lambda: _listening(port), timeout_s, f"moto S3 server on port {port}", proc)
        yield S3Server(f"http://127.0.0.1:{port}")
    finally:
        stop(proc)
