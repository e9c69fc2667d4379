#!/usr/bin/python3
"""Black-box tests of tenantry_server's --max_request_bytes.

One server runs with --max_request_bytes=65536 and
--max_document_bytes=1000000, another with --max_document_bytes=100000
and the default --max_request_bytes=0, which means twice the document
limit plus 1 MiB. A request over the limit gets gRPC's own
RESOURCE_EXHAUSTED, and the server serves the next call.

Run by auth_test.sh, which generates the stubs and sets TENANTRY_SERVER.
"""

import os
import unittest

import grpc

import auth_testing
from auth_testing import tenant_call_metadata
from tenantry.v1 import document_pb2
from tenantry.v1 import document_pb2_grpc

ADMIN_KEY = auth_testing.new_admin_key()
TENANT_ID = "sizes"

MAX_REQUEST_BYTES = 65536
LARGE_DOCUMENT_LIMIT = 1000000

DEFAULT_CASE_DOCUMENT_LIMIT = 100000
# The server's default: twice --max_document_bytes, or the 1 MiB
# --document_chunk_bytes if that is larger, plus 1 MiB.
DEFAULT_CASE_REQUEST_LIMIT = (max(2 * DEFAULT_CASE_DOCUMENT_LIMIT, 1 << 20) +
                              (1 << 20))
# More than the other fields of a CreateDocumentRequest take here.
MESSAGE_OVERHEAD_BYTES = 200


def start_server(name, flags):
    work_dir = auth_testing.make_work_dir(f"{name}-")
    server = auth_testing.ServerProcess(
        os.path.join(work_dir, "data"), flags=flags,
        environment=auth_testing.server_environment(ADMIN_KEY)).start()
    with grpc.insecure_channel(server.address) as channel:
        auth_testing.create_tenant(channel, ADMIN_KEY, TENANT_ID)
    return server


class RequestSizeTestCase(unittest.TestCase):
    server = None

    @classmethod
    def tearDownClass(cls):
        if cls.server is not None:
            cls.server.stop()

    def setUp(self):
        self.channel = grpc.insecure_channel(self.server.address)
        self.documents = document_pb2_grpc.DocumentServiceStub(self.channel)

    def tearDown(self):
        self.channel.close()

    def create_document_code(self, content_bytes):
        request = document_pb2.CreateDocumentRequest(
            parent=f"tenants/{TENANT_ID}",
            document=document_pb2.Document(title="size",
                                           content=b"x" * content_bytes))
        return auth_testing.status_code_of(
            self.documents.CreateDocument, request,
            metadata=tenant_call_metadata(ADMIN_KEY, TENANT_ID))

    def assertServesSmallCalls(self):
        created = self.documents.CreateDocument(
            document_pb2.CreateDocumentRequest(
                parent=f"tenants/{TENANT_ID}",
                document=document_pb2.Document(title="small",
                                               content=b"hello")),
            metadata=tenant_call_metadata(ADMIN_KEY, TENANT_ID),
            timeout=auth_testing.RPC_TIMEOUT_SECONDS)
        fetched = self.documents.GetDocument(
            document_pb2.GetDocumentRequest(name=created.name),
            metadata=tenant_call_metadata(ADMIN_KEY, TENANT_ID),
            timeout=auth_testing.RPC_TIMEOUT_SECONDS)
        self.assertEqual(fetched.content, b"hello")


class ExplicitLimitTest(RequestSizeTestCase):

    @classmethod
    def setUpClass(cls):
        cls.server = start_server("explicit-limit", [
            f"--max_request_bytes={MAX_REQUEST_BYTES}",
            f"--max_document_bytes={LARGE_DOCUMENT_LIMIT}"
        ])

    def test_100_kib_document_is_resource_exhausted(self):
        self.assertEqual(self.create_document_code(100 * 1024),
                         grpc.StatusCode.RESOURCE_EXHAUSTED)

    def test_server_serves_after_oversized_request(self):
        self.create_document_code(100 * 1024)
        self.assertServesSmallCalls()

    def test_request_under_limit_succeeds(self):
        self.assertEqual(
            self.create_document_code(MAX_REQUEST_BYTES -
                                      MESSAGE_OVERHEAD_BYTES),
            grpc.StatusCode.OK)

    def test_request_one_byte_over_limit_is_resource_exhausted(self):
        self.assertEqual(self.create_document_code(MAX_REQUEST_BYTES + 1),
                         grpc.StatusCode.RESOURCE_EXHAUSTED)


class DefaultLimitTest(RequestSizeTestCase):

    @classmethod
    def setUpClass(cls):
        cls.server = start_server(
            "default-limit",
            [f"--max_document_bytes={DEFAULT_CASE_DOCUMENT_LIMIT}"])

    def test_document_over_its_limit_reaches_validation(self):
        # Over --max_document_bytes but within the request limit, so the
        # handler's check returns an error that names the field.
        self.assertEqual(
            self.create_document_code(DEFAULT_CASE_DOCUMENT_LIMIT + 1),
            grpc.StatusCode.INVALID_ARGUMENT)

    def test_request_just_under_default_limit_reaches_validation(self):
        self.assertEqual(
            self.create_document_code(DEFAULT_CASE_REQUEST_LIMIT -
                                      MESSAGE_OVERHEAD_BYTES),
            grpc.StatusCode.INVALID_ARGUMENT)

    def test_request_over_default_limit_is_resource_exhausted(self):
        self.assertEqual(
            self.create_document_code(DEFAULT_CASE_REQUEST_LIMIT + 1),
            grpc.StatusCode.RESOURCE_EXHAUSTED)

    def test_server_serves_after_oversized_request(self):
        self.create_document_code(DEFAULT_CASE_REQUEST_LIMIT + 1)
        self.assertServesSmallCalls()


class LimitFlagTest(unittest.TestCase):

    def test_negative_limit_fails_to_start(self):
        server = auth_testing.ServerProcess(
            auth_testing.make_work_dir("negative-limit-"),
            flags=["--max_request_bytes=-1"],
            environment=auth_testing.server_environment(ADMIN_KEY))
        self.assertGreater(server.run_to_failure(), 0, server.log())
        self.assertIn("--max_request_bytes=-1 must be between 0", server.log())


if __name__ == "__main__":
    unittest.main()
