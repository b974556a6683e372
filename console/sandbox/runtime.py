"""The local sandbox: an in-process AWS API server (the emulator, adapted) and simulated nodes.

`Sandbox` gives the engine everything it needs to treat this machine as an AWS account: endpoint,
credentials, a bootstrapped CDK environment, and an SSM fleet whose instances run the real node tasks
on simulated hardware, with the head node's real MLflow server on a free loopback port.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import sys
import time
import warnings
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

from console.simnode.profiles import PROFILES, build_node, node_env
from console.simnode.standins import build_wheelhouse
from console.versions import pinned_versions
from stack.config import DEFAULT_AMI_SSM_PARAMETER
from stack.instance_types import lookup

ACCOUNT = "123456789012"
LOOPBACK = "127.0.0.1"


class SandboxError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


def profile_for(instance_type: str) -> str:
    """The recorded hardware closest to an instance type (its EFA count decides)."""
    family = instance_type.split(".")[0]
    if family in ("p4d", "p4de"):
        return "p4d"
    if family in ("p5", "p5e"):
        return "p5"
    if family == "p5en":
        return "p5en"
    return "single-efa"


@dataclass
class SandboxSpec:
    """What the simulated nodes are: `--sandbox-profile`, `--sandbox-node`, and the fault switches."""

    profile: str | None = None  # all nodes; default: by instance type
    nodes: dict[str, str] = field(default_factory=dict)  # node name -> profile name or node directory
    failing: set[str] = field(default_factory=set)  # nodes whose task fails
    unregistered: set[str] = field(default_factory=set)  # nodes whose agent never registers
    throttle: float = 0.0  # share of API calls throttled
    command_timeout: int | None = None  # override the SSM execution timeout (demos of TimedOut)
    flaky_logs: float = 0.0  # share of log polls (FilterLogEvents) that fail (ServiceUnavailableException)
    fail_resource: str | None = None  # logical id prefix of a resource whose creation fails (deploy rollback)

    def validate(self) -> None:
        for name, value in {**({"all": self.profile} if self.profile else {}), **self.nodes}.items():
            if value not in PROFILES and not Path(value).is_dir():
                raise SandboxError(
                    f"sandbox node {name}={value!r}: not a profile ({', '.join(PROFILES)}) nor a node directory"
                )
        if not 0 <= self.throttle < 1:
            raise SandboxError(f"--sandbox-throttle {self.throttle}: a share from 0 to 0.99")
        if not 0 <= self.flaky_logs < 1:
            raise SandboxError(f"--sandbox-flaky-logs {self.flaky_logs}: a share from 0 to 0.99")


class SandboxEndpoint:
    """What the engine and the CDK CLI need to reach a sandbox: endpoint, credentials, MLflow's address.
    Shared by the sandbox itself and by a console talking to a sandbox process."""

    port: int
    region: str
    mlflow_port: int
    _bootstrapped: bool = False  # once per sandbox process; set on the instance

    @property
    def endpoint_url(self) -> str:
        # "localhost", not 127.0.0.1: the emulator reads "127" as the bucket of a template URL.
        return f"http://localhost:{self.port}"

    def aws_env(self) -> dict[str, str]:
        """Credentials and endpoints for any AWS client (CDK CLI, AWS CLI, boto3) aimed at the sandbox."""
        return {
            "AWS_ACCESS_KEY_ID": "sandbox",
            "AWS_SECRET_ACCESS_KEY": "sandbox",
            "AWS_SESSION_TOKEN": "sandbox",
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ENDPOINT_URL_S3_FOR_CLOUDFORMATION": self.endpoint_url,
            "AWS_EC2_METADATA_DISABLED": "true",
        }

    def mlflow_url(self, private_ip: str) -> str:
        return f"http://{LOOPBACK}:{self.mlflow_port}"

    def bootstrap(self, emit_line: Callable[[str], None]) -> None:
        """`cdk bootstrap` once per sandbox (the stack's bucket auto-delete is a Lambda asset)."""
        import subprocess
        import tempfile

        from console.cdk_cli import cdk_command
        from stack.cdk_env import cdk_env

        if self._bootstrapped:
            return
        env = cdk_env({k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | self.aws_env())
        scratch = Path(tempfile.mkdtemp(prefix="cdk-bootstrap-"))
        proc = subprocess.run(
            # Outside the project: with its cdk.json the CLI would synth the app first, into the project's
            # cdk.out, which another console's synth may hold locked. An explicit environment needs no app.
            cdk_command(["bootstrap", f"aws://{ACCOUNT}/{self.region}", "--no-notices"]),
            cwd=scratch,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            stdin=subprocess.DEVNULL,
        )
        shutil.rmtree(scratch, ignore_errors=True)
        for line in (proc.stdout + proc.stderr).splitlines():
            emit_line(line)
        if proc.returncode != 0:
            raise SandboxError(f"cdk bootstrap on the sandbox failed (exit {proc.returncode})")
        self._bootstrapped = True


class Sandbox(SandboxEndpoint):
    def __init__(self, root: Path, spec: SandboxSpec, region: str) -> None:
        self.root, self.spec, self.region = root, spec, region
        self.mlflow_port = free_port()
        self.port = 0
        self._server: object | None = None
        self._private_ips: dict[str, str] = {}

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> Sandbox:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        # The emulator warns about every resource type it skips; the sandbox adapts those it needs.
        logging.getLogger("moto").setLevel(logging.ERROR)
        warnings.filterwarnings("ignore", module="moto")
        from moto.server import ThreadedMotoServer

        from console.sandbox import cfn_gaps, ssm_agent, throttling

        cfn_gaps.apply()
        self.root.mkdir(parents=True, exist_ok=True)
        versions = pinned_versions()
        self.wheelhouse = build_wheelhouse(
            self.root / "wheelhouse", vllm=versions["VLLM_VERSION"], nixl=versions["NIXL_VERSION"]
        )
        ssm_agent.install(ssm_agent.Fleet(resolve=self._resolve, loopback_for=self._loopback_map))
        server = ThreadedMotoServer(ip_address=LOOPBACK, port=0, verbose=False)
        server.start()
        self._server = server
        self.port = server.get_host_and_port()[1]
        self._seed_ami_parameter()
        throttling.set_share(self.spec.throttle, self.spec.flaky_logs)
        cfn_gaps.fail_resource(self.spec.fail_resource)
        return self

    def stop(self) -> None:
        from console.sandbox import ssm_agent

        ssm_agent.stop_all()
        for pid_file in self.root.glob("nodes/*/work/mlflow/server.pid"):
            with suppress(ProcessLookupError, ValueError, PermissionError):
                os.killpg(int(pid_file.read_text()), signal.SIGTERM)
        if self._server is not None:
            self._server.stop()  # type: ignore[attr-defined]
            self._server = None

    # -- internals -----------------------------------------------------------------------------
    def _seed_ami_parameter(self) -> None:
        """The public DLAMI parameter the stack resolves at deploy time, pointing at an emulator AMI."""
        from moto.ec2.models import ec2_backends
        from moto.ssm.models import Parameter, ssm_backends

        ami = next(iter(ec2_backends[ACCOUNT][self.region].amis))
        params = ssm_backends[ACCOUNT][self.region]._parameters
        if not params.get(DEFAULT_AMI_SSM_PARAMETER):
            params[DEFAULT_AMI_SSM_PARAMETER].append(
                Parameter(
                    account_id=ACCOUNT,
                    name=DEFAULT_AMI_SSM_PARAMETER,
                    value=ami,
                    parameter_type="String",
                    description=None,
                    allowed_pattern=None,
                    keyid=None,
                    last_modified_date=time.time(),
                    version=1,
                    data_type="aws:ec2:image",
                )
            )

    def _loopback_map(self) -> dict[str, str]:
        return {ip: LOOPBACK for ip in self._private_ips.values()}

    def _resolve(self, instance_id: str, node: str) -> object:
        from moto.ec2.models import ec2_backends

        from console.sandbox.ssm_agent import SimulatedInstance

        instance = ec2_backends[ACCOUNT][self.region].get_instance(instance_id)
        self._private_ips[instance_id] = instance.private_ip
        choice = self.spec.nodes.get(node) or self.spec.profile or profile_for(instance.instance_type)
        node_root = self.root / "nodes" / node
        hw = node_root / "hardware"
        if choice in PROFILES:
            build_node(choice, hw, availability_zone=instance.placement.zone or f"{self.region}a")
            # The IMDS answers with what the emulator launched, as a real one would.
            (hw / "instance-type.txt").write_text(instance.instance_type + "\n")
        else:
            if hw.exists():
                shutil.rmtree(hw)
            shutil.copytree(choice, hw)
        aws = shutil.which("aws", path=str(Path(sys.executable).parent))
        if aws and not (hw / "bin" / "aws").exists():
            (hw / "bin").mkdir(exist_ok=True)
            (hw / "bin" / "aws").symlink_to(aws)  # the real AWS CLI, from the console's environment
        env = node_env(hw, self.wheelhouse, {k: v for k, v in os.environ.items() if not k.startswith("AWS_")})
        env.update(self.aws_env())
        env.update(NIXL_WORK_DIR=str(node_root / "work"), NIXL_MLFLOW_WAIT="300", NIXL_MLFLOW_START_TIMEOUT="120")
        if lookup(instance.instance_type) is None:
            raise SandboxError(f"{instance_id}: unknown instance type {instance.instance_type}")
        return SimulatedInstance(
            node=node,
            hardware_dir=hw,
            work_dir=node_root / "work",
            env=env,
            registers=node not in self.spec.unregistered,
            fail_task=node in self.spec.failing,
        )
