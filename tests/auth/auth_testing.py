"""Helpers shared by the authentication tests in tests/auth.

auth_test.sh sets the environment that these helpers read:
  TENANTRY_SERVER   the tenantry_server binary
  TENANTRY_GATEWAY  the tenantry_gateway binary, for gateway_test.py only
  TEST_TMPDIR       Bazel's temporary directory for this test
and puts the generated tenantry.v1 stubs on PYTHONPATH.
"""

import os
import re
import secrets
import shlex
import signal
import subprocess
import tempfile
import time

import grpc

from tenantry.v1 import tenant_pb2
from tenantry.v1 import tenant_pb2_grpc

# Deadline of every call, so that a hung server fails a test instead of
# blocking the suite until Bazel's timeout.
RPC_TIMEOUT_SECONDS = 10

# How long a server may take to listen, or to exit when it must not start.
START_TIMEOUT_SECONDS = 10

# How long a server may take to stop after SIGTERM. Its --shutdown_grace is
# 1s in these tests.
STOP_TIMEOUT_SECONDS = 15

# Tenant keys are `tk_<26-character id>_<64 hex digits>`.
TENANT_KEY_PATTERN = re.compile(r"tk_([0-9a-z]{26})_([0-9a-f]{64})")

# tenantry_server and tenantry_gateway both log `listening on ADDRESS
# (port N)` once they serve.
LISTENING_PATTERN = re.compile(r"listening on \S+ \(port (\d+)\)")

HEALTH_CHECK_METHOD = "/grpc.health.v1.Health/Check"
# HealthCheckResponse{status: SERVING}: field 1, varint 1. The health proto's
# package, grpc.health.v1, would clash with the grpc module if generated, so
# the tests send and read the health messages as raw bytes.
HEALTH_SERVING_RESPONSE = b"\x08\x01"

REFLECTION_METHOD = (
    "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo")
# ServerReflectionRequest{list_services: ""}: field 7, length 0.
REFLECTION_LIST_SERVICES_REQUEST = b"\x3a\x00"


def server_binary():
    return os.environ["TENANTRY_SERVER"]


def new_admin_key():
    """Return a random admin key of 64 hex digits."""
    return secrets.token_hex(32)


def bearer(key):
    return (("authorization", f"Bearer {key}"),)


def tenant_call_metadata(key, tenant_id):
    return (("authorization", f"Bearer {key}"), ("x-tenant-id", tenant_id))


def unique_tenant_id(prefix):
    """Return `prefix` followed by 8 random hex digits, a valid tenant id."""
    return f"{prefix}{secrets.token_hex(4)}"


OPENSSL_TIMEOUT_SECONDS = 30


def make_self_signed_pair(directory, name):
    """Write NAME.pem and NAME.key for CN=localhost, IP 127.0.0.1.

    Returns the certificate and key paths.
    """
    cert_path = os.path.join(directory, f"{name}.pem")
    key_path = os.path.join(directory, f"{name}.key")
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
            "-subj", "/CN=localhost", "-addext",
            "subjectAltName=IP:127.0.0.1", "-days", "2", "-keyout", key_path,
            "-out", cert_path
        ],
        check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, timeout=OPENSSL_TIMEOUT_SECONDS)
    return cert_path, key_path


def make_work_dir(prefix):
    return tempfile.mkdtemp(prefix=prefix,
                            dir=os.environ.get("TEST_TMPDIR") or None)


def server_environment(admin_key=None):
    """Return os.environ without TENANTRY_ADMIN_KEY, or with it set."""
    environment = dict(os.environ)
    environment.pop("TENANTRY_ADMIN_KEY", None)
    if admin_key is not None:
        environment["TENANTRY_ADMIN_KEY"] = admin_key
    return environment


def status_code_of(call, *args, **kwargs):
    """Make a unary call and return its grpc.StatusCode, OK on success."""
    kwargs.setdefault("timeout", RPC_TIMEOUT_SECONDS)
    try:
        call(*args, **kwargs)
    except grpc.RpcError as error:
        return error.code()
    return grpc.StatusCode.OK


def check_health(channel, metadata=None):
    """Call grpc.health.v1.Health/Check for the server ("" service).

    Returns the raw HealthCheckResponse bytes, or raises grpc.RpcError.
    """
    check = channel.unary_unary(HEALTH_CHECK_METHOD)
    return check(b"", metadata=metadata, timeout=RPC_TIMEOUT_SECONDS)


def reflection_service_list(channel):
    """Ask server reflection for its service list; return the raw response."""
    reflect = channel.stream_stream(REFLECTION_METHOD)
    responses = reflect(iter([REFLECTION_LIST_SERVICES_REQUEST]),
                        timeout=RPC_TIMEOUT_SECONDS)
    return b"".join(responses)


def create_tenant(channel, admin_key, tenant_id):
    tenants = tenant_pb2_grpc.TenantServiceStub(channel)
    return tenants.CreateTenant(
        tenant_pb2.CreateTenantRequest(
            tenant_id=tenant_id,
            tenant=tenant_pb2.Tenant(display_name=tenant_id)),
        metadata=bearer(admin_key), timeout=RPC_TIMEOUT_SECONDS)


def create_api_key(channel, admin_key, tenant_id, display_name="test key"):
    """Create a tenant key with the admin key and return the ApiKey."""
    tenants = tenant_pb2_grpc.TenantServiceStub(channel)
    return tenants.CreateApiKey(
        tenant_pb2.CreateApiKeyRequest(
            parent=f"tenants/{tenant_id}",
            api_key=tenant_pb2.ApiKey(display_name=display_name)),
        metadata=bearer(admin_key), timeout=RPC_TIMEOUT_SECONDS)


def secret_part(key):
    """Return the 64 hex digits after the id of a tenant key."""
    match = TENANT_KEY_PATTERN.fullmatch(key)
    if match is None:
        raise ValueError(f"{key!r} is not a tenant key tk_<id>_<64 hex>")
    return match.group(2)


def key_with_last_character_changed(key):
    last = "1" if key[-1] == "0" else "0"
    return key[:-1] + last


class ServerProcess:
    """A tenantry_server on a free 127.0.0.1 port, stopped by its PID.

    `flags` are added to --data_dir, --listen=127.0.0.1:0 and
    --shutdown_grace=1s. `environment` replaces os.environ for the process,
    so pass server_environment(admin_key) to set the admin key.
    `command_prefix`, such as setpriv, runs the server through another
    program.
    """

    def __init__(self, data_dir, flags=(), environment=None,
                 command_prefix=()):
        self.data_dir = data_dir
        os.makedirs(data_dir, exist_ok=True)
        self.log_path = os.path.join(data_dir, "server.log")
        self.command = [
            *command_prefix, server_binary(), f"--data_dir={data_dir}",
            "--listen=127.0.0.1:0", "--shutdown_grace=1s", *flags
        ]
        self.environment = (environment if environment is not None else
                            server_environment())
        self.process = None
        self.port = None

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def log(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as log:
            return log.read()

    def log_bytes(self):
        with open(self.log_path, "rb") as log:
            return log.read()

    def launch(self):
        """Start the process; return once it listens or exits.

        Sets self.port if it listens. Kills it and raises if it does
        neither within START_TIMEOUT_SECONDS.
        """
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(self.command,
                                            stdin=subprocess.DEVNULL,
                                            stdout=log,
                                            stderr=subprocess.STDOUT,
                                            env=self.environment)
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            match = LISTENING_PATTERN.search(self.log())
            if match:
                self.port = int(match.group(1))
                return
            if self.process.poll() is not None:
                return
            time.sleep(0.05)
        self.kill()
        raise AssertionError(
            f"tenantry_server neither listened nor exited within "
            f"{START_TIMEOUT_SECONDS} s; its log:\n{self.log()}")

    def start(self):
        """Start the server and raise with its log unless it listens."""
        self.launch()
        if self.port is None:
            raise AssertionError(
                f"tenantry_server exited with code {self.process.returncode} "
                f"instead of listening; its log:\n{self.log()}")
        return self

    def run_to_failure(self):
        """Start the server, expecting it to exit; return its exit code.

        Stops the server and raises if it listens instead.
        """
        self.launch()
        if self.port is not None:
            self.stop()
            raise AssertionError(
                f"{shlex.join(self.command)} started, but it must fail to "
                f"start; its log:\n{self.log()}")
        return self.process.returncode

    def stop(self):
        """Send SIGTERM, wait, and return the exit code.

        Returns None if the process was never started.
        """
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.process.returncode

    def kill(self):
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
