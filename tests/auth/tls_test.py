#!/usr/bin/python3
"""Black-box tests of tenantry_server serving TLS.

setUpModule makes a self-signed certificate for 127.0.0.1 with the
openssl command and starts one server with --tls_cert_file and
--tls_key_file and a random admin key. Tests of flags that must stop the
server from starting start servers of their own.

Run by auth_test.sh, which generates the stubs and sets TENANTRY_SERVER.
"""

import os
import unittest

import grpc

import auth_testing
from auth_testing import bearer
from tenantry.v1 import tenant_pb2
from tenantry.v1 import tenant_pb2_grpc

ADMIN_KEY = auth_testing.new_admin_key()

# The start of the server's error for one TLS flag without the other.
BOTH_TLS_FLAGS_MESSAGE = (
    "--tls_cert_file and --tls_key_file must be set together")

# Seconds that openssl may take to make a key pair.

_work_dir = None
_server = None
_cert_path = None
_key_path = None


def read_bytes(path):
    with open(path, "rb") as pem:
        return pem.read()


def setUpModule():
    global _work_dir, _server, _cert_path, _key_path
    _work_dir = auth_testing.make_work_dir("tls-")
    _cert_path, _key_path = auth_testing.make_self_signed_pair(
        _work_dir, "server")
    _server = auth_testing.ServerProcess(
        os.path.join(_work_dir, "data"),
        flags=[f"--tls_cert_file={_cert_path}",
               f"--tls_key_file={_key_path}"],
        environment=auth_testing.server_environment(ADMIN_KEY)).start()


def tearDownModule():
    if _server is not None:
        _server.stop()


def tls_channel(root_certificates):
    # A local subchannel pool gives each channel its own connection, so one
    # test's failed handshake cannot be reused by the next.
    return grpc.secure_channel(
        _server.address,
        grpc.ssl_channel_credentials(root_certificates=root_certificates),
        options=[("grpc.use_local_subchannel_pool", 1)])


def plaintext_channel():
    return grpc.insecure_channel(
        _server.address, options=[("grpc.use_local_subchannel_pool", 1)])


def list_tenants_code(channel, key):
    return auth_testing.status_code_of(
        tenant_pb2_grpc.TenantServiceStub(channel).ListTenants,
        tenant_pb2.ListTenantsRequest(),
        metadata=bearer(key) if key is not None else None)


class TlsServerTest(unittest.TestCase):

    def test_tls_client_succeeds(self):
        with tls_channel(read_bytes(_cert_path)) as channel:
            self.assertEqual(list_tenants_code(channel, ADMIN_KEY),
                             grpc.StatusCode.OK)

    def test_tls_client_without_key_is_unauthenticated(self):
        with tls_channel(read_bytes(_cert_path)) as channel:
            self.assertEqual(list_tenants_code(channel, None),
                             grpc.StatusCode.UNAUTHENTICATED)

    def test_health_over_tls_needs_no_key(self):
        with tls_channel(read_bytes(_cert_path)) as channel:
            self.assertEqual(auth_testing.check_health(channel),
                             auth_testing.HEALTH_SERVING_RESPONSE)

    def test_plaintext_client_is_unavailable(self):
        with plaintext_channel() as channel:
            self.assertEqual(list_tenants_code(channel, ADMIN_KEY),
                             grpc.StatusCode.UNAVAILABLE)

    def test_tls_client_succeeds_after_plaintext_attempts(self):
        for _ in range(3):
            with plaintext_channel() as channel:
                list_tenants_code(channel, ADMIN_KEY)
        with tls_channel(read_bytes(_cert_path)) as channel:
            self.assertEqual(list_tenants_code(channel, ADMIN_KEY),
                             grpc.StatusCode.OK)

    def test_client_trusting_other_certificate_is_unavailable(self):
        other_dir = auth_testing.make_work_dir("tls-other-")
        other_cert, _ = auth_testing.make_self_signed_pair(other_dir, "other")
        with tls_channel(read_bytes(other_cert)) as channel:
            self.assertEqual(list_tenants_code(channel, ADMIN_KEY),
                             grpc.StatusCode.UNAVAILABLE)


class TlsFlagsTest(unittest.TestCase):
    """Servers that must fail to start because of their TLS flags."""

    def start_expecting_failure(self, flags):
        """Start a server with `flags`; return its output once it exits."""
        data_dir = auth_testing.make_work_dir("tls-flags-")
        server = auth_testing.ServerProcess(
            data_dir, flags=flags,
            environment=auth_testing.server_environment(ADMIN_KEY))
        code = server.run_to_failure()
        self.assertGreater(code, 0, server.log())
        return server.log()

    def test_cert_without_key_fails(self):
        output = self.start_expecting_failure(
            [f"--tls_cert_file={_cert_path}"])
        self.assertIn(BOTH_TLS_FLAGS_MESSAGE, output)

    def test_key_without_cert_fails(self):
        output = self.start_expecting_failure([f"--tls_key_file={_key_path}"])
        self.assertIn(BOTH_TLS_FLAGS_MESSAGE, output)

    def test_missing_cert_file_fails(self):
        missing = os.path.join(_work_dir, "missing.pem")
        output = self.start_expecting_failure(
            [f"--tls_cert_file={missing}", f"--tls_key_file={_key_path}"])
        self.assertIn(f"--tls_cert_file={missing} cannot be opened", output)

    def test_mismatched_key_fails(self):
        other_dir = auth_testing.make_work_dir("tls-mismatch-")
        _, other_key = auth_testing.make_self_signed_pair(other_dir, "other")
        output = self.start_expecting_failure(
            [f"--tls_cert_file={_cert_path}", f"--tls_key_file={other_key}"])
        self.assertIn("do the TLS certificate and key not match?", output)


if __name__ == "__main__":
    unittest.main()
