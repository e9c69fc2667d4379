"""REST tests of tenantry_gateway in front of a running tenantry_server.

Usage: rest_test.py GATEWAY_URL README [TEST_NAME...]

GATEWAY_URL is the gateway's base URL, such as http://127.0.0.1:8080, and
README is the repository's README.md, whose curl examples run against the
gateway. TEST_NAME selects test classes or methods as unittest does.
rest_test.sh runs every class but BackendDownTest while the server is up,
then stops the server and runs BackendDownTest.

Environment variables that rest_test.sh sets:
  GATEWAY_BINARY   tenantry_gateway, for the tests that start their own
  BACKEND_ADDRESS  host:port of the running tenantry_server
  GATEWAY_PID      process id of the gateway at GATEWAY_URL

Besides Python's standard library, FakeBackendTest uses grpcio from
Debian's python3-grpcio, which tools/packages.txt installs.
"""

import base64
import concurrent.futures
import http.client
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse
import uuid

import grpc

# Set from the command line before unittest runs.
GATEWAY_URL = ""
README_PATH = ""

# Seconds that one HTTP request or one curl run may take.
REQUEST_TIMEOUT = 10

# A well-formed resource id (26 lowercase Crockford base32 characters) that
# the server has not issued in this test run.
UNKNOWN_ID = "00000000000000000000000000"

# gRPC status codes as numbers, as the gateway's error body carries them.
INVALID_ARGUMENT = 3
NOT_FOUND = 5
ALREADY_EXISTS = 6
RESOURCE_EXHAUSTED = 8
FAILED_PRECONDITION = 9
ABORTED = 10
UNIMPLEMENTED = 12
UNAVAILABLE = 14

# The gateway's default --max_body_bytes and its longest error message.
DEFAULT_MAX_BODY_BYTES = 6 * 1024 * 1024
MAX_MESSAGE_BYTES = 300

# Starts the message of every error that the gateway finds before the
# request reaches the server.
INVALID_REQUEST = "invalid request: "

# The server's default --max_document_bytes: 4 MiB less 64 KiB.
DEFAULT_MAX_DOCUMENT_BYTES = 4 * 1024 * 1024 - 64 * 1024


class Response:
    """An HTTP response with its body decoded as JSON where possible."""

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.text = body.decode("utf-8", errors="replace")
        try:
            self.json = json.loads(self.text)
        except ValueError:
            self.json = None

    def __repr__(self):
        return f"HTTP {self.status}: {self.text[:2000]}"


def call(method, path, body=None, tenant=None, headers=(), raw_body=None,
         base_url=None):
    """Send one request to the gateway and return its Response.

    body is sent as JSON, raw_body as it is. tenant, if set, goes in an
    X-Tenant-ID header. headers is a sequence of (name, value) pairs, so
    that a header may appear twice. base_url replaces GATEWAY_URL.
    """
    url = urllib.parse.urlsplit(base_url or GATEWAY_URL)
    connection = http.client.HTTPConnection(
        url.hostname, url.port, timeout=REQUEST_TIMEOUT
    )
    try:
        connection.putrequest(method, path)
        all_headers = list(headers)
        if tenant is not None:
            all_headers.append(("X-Tenant-ID", tenant))
        payload = b""
        if body is not None:
            payload = json.dumps(body).encode("utf-8")
            all_headers.append(("Content-Type", "application/json"))
        if raw_body is not None:
            payload = raw_body
        all_headers.append(("Content-Length", str(len(payload))))
        for name, value in all_headers:
            connection.putheader(name, value)
        connection.endheaders(payload)
        response = connection.getresponse()
        return Response(response.status, response.headers, response.read())
    finally:
        connection.close()


def call_chunked(method, path, chunks, tenant=None, base_url=None):
    """Send a body without Content-Length, in chunks, and return the
    Response, or None if the gateway closed the connection before it
    sent a response.

    The gateway may respond and close before the last chunk is sent, so a
    failed send is ignored and the response is still read.
    """
    url = urllib.parse.urlsplit(base_url or GATEWAY_URL)
    connection = http.client.HTTPConnection(
        url.hostname, url.port, timeout=REQUEST_TIMEOUT
    )
    try:
        connection.putrequest(method, path)
        connection.putheader("Content-Type", "application/json")
        connection.putheader("Transfer-Encoding", "chunked")
        if tenant is not None:
            connection.putheader("X-Tenant-ID", tenant)
        connection.endheaders()
        try:
            for chunk in chunks:
                connection.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            connection.send(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        try:
            response = connection.getresponse()
            return Response(response.status, response.headers,
                            response.read())
        except (ConnectionResetError, http.client.RemoteDisconnected):
            return None
    finally:
        connection.close()


def document_body(content_bytes, title="Large document"):
    """Return the JSON body of a document with content_bytes of content."""
    content = base64.b64encode(b"x" * content_bytes).decode("ascii")
    return json.dumps({"title": title, "content": content}).encode("ascii")


class Gateway:
    """A tenantry_gateway that a test starts on a free 127.0.0.1 port."""

    def __init__(self, backend, *flags):
        self.log = tempfile.NamedTemporaryFile(
            mode="w+", prefix="gateway-", suffix=".log")
        self.process = subprocess.Popen(
            [os.environ["GATEWAY_BINARY"], "--listen=127.0.0.1:0",
             f"--backend={backend}", *flags],
            stdout=subprocess.DEVNULL, stderr=self.log)
        port = None
        # At most 100 tries, 10 seconds.
        for _ in range(100):
            self.log.seek(0)
            match = re.search(r"listening on .* \(port (\d+)\)",
                              self.log.read())
            if match:
                port = match.group(1)
                break
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        if port is None:
            self.stop()
            raise AssertionError(
                f"tenantry_gateway did not start; its log:\n{self.output()}")
        self.url = f"http://127.0.0.1:{port}"

    def output(self):
        self.log.seek(0)
        return self.log.read()

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=REQUEST_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=REQUEST_TIMEOUT)
        self.log.close()


def unique(prefix):
    """Return prefix followed by 8 random hex digits."""
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def resource_id(name):
    """Return the last segment of a resource name such as users/ID."""
    return name.rsplit("/", 1)[-1]


class GatewayTestCase(unittest.TestCase):
    """Helpers that create resources through the gateway."""

    def assert_status(self, response, status):
        self.assertEqual(response.status, status, response)

    def assert_error(self, response, status, grpc_code, message_part):
        """Check the status and the gateway's error body."""
        self.assert_status(response, status)
        self.assertIsNotNone(response.json, response)
        self.assertEqual(response.json["code"], grpc_code, response)
        self.assertIn(message_part, response.json["message"], response)
        self.assertEqual(response.json["error"], response.json["message"])
        details = response.json["details"]
        from_backend = not response.json["message"].startswith(
            "invalid request: ")
        if grpc_code == INVALID_ARGUMENT and from_backend:
            # The server's google.rpc.BadRequest detail, as JSON.
            self.assertEqual(len(details), 1, response)
            self.assertEqual(details[0]["@type"],
                             "type.googleapis.com/google.rpc.BadRequest")
            fields = [violation["field"]
                      for violation in details[0]["field_violations"]]
            self.assertTrue(fields, response)
            self.assertTrue(
                any(field in response.json["message"] for field in fields),
                response)
        else:
            self.assertEqual(details, [], response)
        self.assertEqual(response.headers["Content-Type"], "application/json")

    def assert_gateway_error(self, response, status, grpc_code,
                             message_part):
        """Check an error that the gateway found itself: the error body,
        the "invalid request: " prefix and the message's length."""
        self.assert_error(response, status, grpc_code, message_part)
        message = response.json["message"]
        self.assertTrue(message.startswith(INVALID_REQUEST), message)
        self.assertLessEqual(len(message.encode("utf-8")), MAX_MESSAGE_BYTES)

    def create_user(self, display_name="Test User"):
        email = unique("rest-") + "@example.com"
        response = call(
            "POST",
            "/v1/users",
            {"email": email, "display_name": display_name},
        )
        self.assert_status(response, 200)
        return response.json

    def create_profile(self, tenant="dev_tenant", **fields):
        user = self.create_user()
        profile = {"user": user["name"], "full_name": "Test Profile"}
        profile.update(fields)
        response = call(
            "POST", f"/v1/tenants/{tenant}/profiles", profile, tenant=tenant
        )
        self.assert_status(response, 200)
        return response.json

    def create_tenant(self):
        tenant_id = unique("rest_")
        response = call(
            "POST",
            f"/v1/tenants?tenant_id={tenant_id}",
            {"display_name": "REST test tenant"},
        )
        self.assert_status(response, 200)
        self.addCleanup(call, "DELETE", f"/v1/tenants/{tenant_id}?force=true")
        return tenant_id


class ResourceTest(GatewayTestCase):
    """Create, get, list and delete through the REST mapping."""

    def test_user_create_and_get(self):
        user = self.create_user("Ann Lee")
        self.assertRegex(user["name"], r"^users/[0-9a-z]{26}$")
        self.assertEqual(user["display_name"], "Ann Lee")

        response = call("GET", f"/v1/{user['name']}")

        self.assert_status(response, 200)
        self.assertEqual(response.json["email"], user["email"])
        self.assertEqual(response.json["etag"], user["etag"])

    def test_output_uses_proto_field_names(self):
        profile = self.create_profile(role="STUDENT")

        # OrigName: field names as in the .proto file, not lowerCamelCase.
        self.assertIn("full_name", profile)
        self.assertNotIn("fullName", profile)
        self.assertIn("create_time", profile)
        # EmitDefaults: fields with default values are present.
        self.assertEqual(profile["phone"], "")
        self.assertEqual(profile["slug"], "")

    def test_profile_create_get_delete(self):
        profile = self.create_profile(
            full_name="Minh Vo",
            role="TEACHER",
            teacher_info={"work_unit": "Tenantry High", "subject": "Physics"},
        )
        name = profile["name"]
        self.assertRegex(name, r"^tenants/dev_tenant/profiles/[0-9a-z]{26}$")

        response = call("GET", f"/v1/{name}", tenant="dev_tenant")
        self.assert_status(response, 200)
        self.assertEqual(response.json["full_name"], "Minh Vo")
        self.assertEqual(response.json["role"], "TEACHER")
        self.assertEqual(response.json["teacher_info"]["subject"], "Physics")

        response = call("DELETE", f"/v1/{name}", tenant="dev_tenant")
        self.assert_status(response, 200)
        self.assertEqual(response.json, {})

        response = call("GET", f"/v1/{name}", tenant="dev_tenant")
        self.assert_error(response, 404, NOT_FOUND, resource_id(name))

    def test_document_base64_content(self):
        content = bytes(range(256))
        owner = self.create_profile()
        response = call(
            "POST",
            "/v1/tenants/dev_tenant/documents",
            {
                "title": "All byte values",
                "content": base64.b64encode(content).decode("ascii"),
                "content_type": "application/octet-stream",
                "owner": owner["name"],
            },
            tenant="dev_tenant",
        )
        self.assert_status(response, 200)
        name = response.json["name"]
        # proto3 JSON writes int64 as a string.
        self.assertEqual(response.json["size_bytes"], "256")

        response = call("GET", f"/v1/{name}", tenant="dev_tenant")
        self.assert_status(response, 200)
        self.assertEqual(base64.b64decode(response.json["content"]), content)
        self.assertEqual(response.json["owner"], owner["name"])

        response = call(
            "GET", f"/v1/{name}?view=BASIC", tenant="dev_tenant"
        )
        self.assert_status(response, 200)
        self.assertIn(response.json["content"], (None, ""), response)
        self.assertEqual(response.json["size_bytes"], "256")

        response = call("DELETE", f"/v1/{name}", tenant="dev_tenant")
        self.assert_status(response, 200)
        response = call("GET", f"/v1/{name}", tenant="dev_tenant")
        self.assert_error(response, 404, NOT_FOUND, resource_id(name))

    def test_list_pages_return_each_once(self):
        tenant = self.create_tenant()
        created = []
        for i in range(23):
            response = call(
                "POST",
                f"/v1/tenants/{tenant}/documents",
                {"title": f"Document {i}", "content": ""},
                tenant=tenant,
            )
            self.assert_status(response, 200)
            created.append(response.json["name"])

        listed = []
        page_sizes = []
        token = ""
        # 23 items in pages of 5 take 5 pages; allow two more so that a
        # token that never ends fails the test instead of looping.
        for _ in range(7):
            query = urllib.parse.urlencode(
                {"page_size": 5, "page_token": token}
            )
            response = call(
                "GET", f"/v1/tenants/{tenant}/documents?{query}", tenant=tenant
            )
            self.assert_status(response, 200)
            documents = response.json["documents"]
            page_sizes.append(len(documents))
            listed.extend(document["name"] for document in documents)
            token = response.json["next_page_token"]
            if not token:
                break
        self.assertEqual(token, "", "the last page has a next_page_token")
        self.assertEqual(page_sizes, [5, 5, 5, 5, 3])
        # Items come in creation order, each exactly once.
        self.assertEqual(listed, created)

    def test_page_token_of_other_list(self):
        response = call(
            "GET", "/v1/tenants/dev_tenant/profiles?page_size=1",
            tenant="dev_tenant",
        )
        self.assert_status(response, 200)
        token = response.json["next_page_token"]
        self.assertNotEqual(token, "")

        response = call(
            "GET",
            f"/v1/tenants/dev_tenant/documents?page_token={token}",
            tenant="dev_tenant",
        )
        self.assert_error(response, 400, INVALID_ARGUMENT, "page_token")


class UpdateMaskTest(GatewayTestCase):
    """PATCH with a mask in the query and with a mask taken from the body."""

    def test_query_mask_limits_update(self):
        profile = self.create_profile(full_name="Old Name", bio="Old bio")

        response = call(
            "PATCH",
            f"/v1/{profile['name']}?update_mask=full_name",
            {"full_name": "New Name", "bio": "New bio"},
            tenant="dev_tenant",
        )

        self.assert_status(response, 200)
        self.assertEqual(response.json["full_name"], "New Name")
        self.assertEqual(response.json["bio"], "Old bio")
        stored = call("GET", f"/v1/{profile['name']}", tenant="dev_tenant")
        self.assertEqual(stored.json["full_name"], "New Name")
        self.assertEqual(stored.json["bio"], "Old bio")

    def test_query_mask_camel_case(self):
        profile = self.create_profile(full_name="Old Name", bio="Old bio")

        response = call(
            "PATCH",
            f"/v1/{profile['name']}?updateMask=bio",
            {"full_name": "New Name", "bio": "New bio"},
            tenant="dev_tenant",
        )

        self.assert_status(response, 200)
        self.assertEqual(response.json["full_name"], "Old Name")
        self.assertEqual(response.json["bio"], "New bio")

    def test_body_mask_updates_body_fields(self):
        profile = self.create_profile(
            full_name="Kept Name",
            bio="Old bio",
            phone="+84 123 456",
            privacy_settings={"visibility": "PUBLIC", "allow_interaction": True},
        )

        # An empty string in the body clears the field, which shows that
        # the mask comes from the body's keys rather than from the fields
        # with non-default values.
        response = call(
            "PATCH",
            f"/v1/{profile['name']}",
            {"bio": "New bio", "phone": "",
             "privacy_settings": {"visibility": "PRIVATE"}},
            tenant="dev_tenant",
        )

        self.assert_status(response, 200)
        self.assertEqual(response.json["bio"], "New bio")
        self.assertEqual(response.json["phone"], "")
        self.assertEqual(response.json["full_name"], "Kept Name")
        settings = response.json["privacy_settings"]
        self.assertEqual(settings["visibility"], "PRIVATE")
        self.assertEqual(settings["allow_interaction"], True)

    def test_user_query_mask(self):
        user = self.create_user("Old Display")
        new_email = unique("rest-new-") + "@example.com"

        response = call(
            "PATCH",
            f"/v1/{user['name']}?update_mask=display_name",
            {"display_name": "New Display", "email": new_email},
        )

        self.assert_status(response, 200)
        self.assertEqual(response.json["display_name"], "New Display")
        self.assertEqual(response.json["email"], user["email"])

    def test_unknown_mask_path(self):
        profile = self.create_profile()

        response = call(
            "PATCH",
            f"/v1/{profile['name']}?update_mask=no_such_field",
            {"bio": "x"},
            tenant="dev_tenant",
        )

        self.assert_error(response, 400, INVALID_ARGUMENT, "no_such_field")

    def assert_repeated_mask_form(self, query):
        """PATCH with query, which names bio and full_name, and check that
        exactly those two fields change."""
        profile = self.create_profile(
            full_name="Old Name", bio="Old bio", phone="+84 111")

        response = call(
            "PATCH",
            f"/v1/{profile['name']}?{query}",
            {"full_name": "New Name", "bio": "New bio", "phone": "+84 222"},
            tenant="dev_tenant",
        )

        self.assert_status(response, 200)
        self.assertEqual(response.json["full_name"], "New Name")
        self.assertEqual(response.json["bio"], "New bio")
        self.assertEqual(response.json["phone"], "+84 111")

    def test_repeated_query_mask(self):
        self.assert_repeated_mask_form("update_mask=bio&update_mask=full_name")

    def test_repeated_camel_case_mask(self):
        self.assert_repeated_mask_form("updateMask=bio&updateMask=full_name")

    def test_mask_paths_form(self):
        self.assert_repeated_mask_form(
            "update_mask.paths=bio&update_mask.paths=full_name")

    def test_mixed_mask_forms(self):
        self.assert_repeated_mask_form("update_mask=bio&updateMask=full_name")

    def test_bracket_mask_rejected(self):
        profile = self.create_profile(bio="Old bio")

        response = call(
            "PATCH",
            f"/v1/{profile['name']}?update_mask[0]=bio",
            {"bio": "New bio"},
            tenant="dev_tenant",
        )

        self.assert_gateway_error(response, 400, INVALID_ARGUMENT,
                                  "update_mask[0]")
        message = response.json["message"]
        for form in ["update_mask=a,b", "updateMask=a,b",
                     "update_mask.paths=a&update_mask.paths=b"]:
            self.assertIn(form, message)
        stored = call("GET", f"/v1/{profile['name']}", tenant="dev_tenant")
        self.assertEqual(stored.json["bio"], "Old bio")

    def test_body_mask_names_sent_key(self):
        profile = self.create_profile()

        response = call(
            "PATCH",
            f"/v1/{profile['name']}",
            {"bio": "x", "nosuch": "y"},
            tenant="dev_tenant",
        )

        self.assert_error(response, 400, INVALID_ARGUMENT, "nosuch")
        self.assertNotIn("Nosuch", response.json["message"])
        self.assertFalse(response.json["message"].startswith(INVALID_REQUEST))

    def test_body_mask_camel_case_keys(self):
        profile = self.create_profile(
            full_name="Old Name",
            bio="Kept bio",
            privacy_settings={"visibility": "PUBLIC", "allow_interaction": True},
        )

        response = call(
            "PATCH",
            f"/v1/{profile['name']}",
            {"fullName": "New Name",
             "privacySettings": {"visibility": "PRIVATE"}},
            tenant="dev_tenant",
        )

        self.assert_status(response, 200)
        self.assertEqual(response.json["full_name"], "New Name")
        self.assertEqual(response.json["bio"], "Kept bio")
        settings = response.json["privacy_settings"]
        self.assertEqual(settings["visibility"], "PRIVATE")
        self.assertEqual(settings["allow_interaction"], True)


class ErrorMappingTest(GatewayTestCase):
    """gRPC status codes as HTTP statuses, with the message in the body."""

    def test_unknown_user_404(self):
        response = call("GET", f"/v1/users/{UNKNOWN_ID}")
        self.assert_error(response, 404, NOT_FOUND, UNKNOWN_ID)

    def test_unknown_profile_404(self):
        response = call(
            "GET",
            f"/v1/tenants/dev_tenant/profiles/{UNKNOWN_ID}",
            tenant="dev_tenant",
        )
        self.assert_error(response, 404, NOT_FOUND, UNKNOWN_ID)

    def test_unregistered_tenant_404(self):
        response = call(
            "GET",
            "/v1/tenants/no_such_tenant/profiles",
            tenant="no_such_tenant",
        )
        self.assert_error(response, 404, NOT_FOUND, "no_such_tenant")

    def test_invalid_argument_400(self):
        response = call(
            "POST", "/v1/users", {"email": "", "display_name": "No Email"}
        )
        self.assert_error(response, 400, INVALID_ARGUMENT, "email")

    def test_negative_page_size_400(self):
        response = call(
            "GET",
            "/v1/tenants/dev_tenant/profiles?page_size=-1",
            tenant="dev_tenant",
        )
        self.assert_error(response, 400, INVALID_ARGUMENT, "page_size")

    def test_invalid_json_400(self):
        url = urllib.parse.urlsplit(GATEWAY_URL)
        connection = http.client.HTTPConnection(
            url.hostname, url.port, timeout=REQUEST_TIMEOUT
        )
        try:
            connection.request("POST", "/v1/users", body=b"{not json")
            response = connection.getresponse()
            self.assertEqual(response.status, 400)
            self.assertEqual(
                json.loads(response.read())["code"], INVALID_ARGUMENT
            )
        finally:
            connection.close()

    def test_missing_tenant_header_400(self):
        response = call("GET", "/v1/tenants/dev_tenant/profiles")
        self.assert_error(response, 400, INVALID_ARGUMENT, "x-tenant-id")

    def test_header_tenant_differs_from_path_400(self):
        response = call(
            "GET", "/v1/tenants/dev_tenant/profiles", tenant="demo_school"
        )
        self.assert_error(response, 400, INVALID_ARGUMENT, "demo_school")

    def test_duplicate_email_409(self):
        user = self.create_user()

        response = call(
            "POST",
            "/v1/users",
            {"email": user["email"].upper(), "display_name": "Copy"},
        )

        self.assert_error(response, 409, ALREADY_EXISTS, "already exists")

    def test_stale_etag_409(self):
        profile = self.create_profile(bio="First")
        response = call(
            "PATCH",
            f"/v1/{profile['name']}",
            {"bio": "Second", "etag": profile["etag"]},
            tenant="dev_tenant",
        )
        self.assert_status(response, 200)

        response = call(
            "PATCH",
            f"/v1/{profile['name']}",
            {"bio": "Third", "etag": profile["etag"]},
            tenant="dev_tenant",
        )

        self.assert_error(response, 409, ABORTED, "etag")
        stored = call("GET", f"/v1/{profile['name']}", tenant="dev_tenant")
        self.assertEqual(stored.json["bio"], "Second")

    def test_stale_etag_delete_409(self):
        profile = self.create_profile()
        call(
            "PATCH",
            f"/v1/{profile['name']}",
            {"bio": "Changed"},
            tenant="dev_tenant",
        )

        response = call(
            "DELETE",
            f"/v1/{profile['name']}?etag={profile['etag']}",
            tenant="dev_tenant",
        )

        self.assert_error(response, 409, ABORTED, "etag")

    def test_suspended_tenant_400(self):
        tenant = self.create_tenant()
        response = call(
            "PATCH",
            f"/v1/tenants/{tenant}?update_mask=state",
            {"state": "SUSPENDED"},
        )
        self.assert_status(response, 200)
        self.assertEqual(response.json["state"], "SUSPENDED")

        response = call(
            "GET", f"/v1/tenants/{tenant}/profiles", tenant=tenant
        )

        # grpc-gateway maps FAILED_PRECONDITION to 412; the gateway sends
        # 400 as google/rpc/code.proto specifies.
        self.assert_error(response, 400, FAILED_PRECONDITION, "suspended")
        self.assertIn(tenant, response.json["message"])

        response = call(
            "PATCH", f"/v1/tenants/{tenant}", {"state": "ACTIVE"}
        )
        self.assert_status(response, 200)
        response = call(
            "GET", f"/v1/tenants/{tenant}/profiles", tenant=tenant
        )
        self.assert_status(response, 200)
        self.assertEqual(response.json["profiles"], [])

    def test_unmatched_path_404(self):
        response = call("GET", "/v1/no/such/path")
        self.assert_gateway_error(response, 404, NOT_FOUND, "/v1/no/such/path")
        self.assertIn("/openapi.json", response.json["message"])

    def test_wrong_method_405(self):
        response = call("PUT", "/v1/users", {"email": "x@example.com"})
        self.assert_gateway_error(response, 405, UNIMPLEMENTED, "PUT")
        self.assertIn("/v1/users", response.json["message"])

    def test_long_unmatched_path_cut(self):
        response = call("GET", "/v1/" + "x" * 10000)
        self.assert_gateway_error(response, 404, NOT_FOUND, "/v1/xxx")


class TenantLifecycleTest(GatewayTestCase):
    """Soft delete, undelete and forced delete through the REST mapping."""

    def test_delete_then_undelete(self):
        tenant = self.create_tenant()

        response = call("DELETE", f"/v1/tenants/{tenant}")
        self.assert_status(response, 200)
        deleted = response.json
        self.assertEqual(deleted["state"], "DELETED")
        self.assertTrue(deleted["delete_time"], response)
        self.assertTrue(deleted["purge_time"], response)

        response = call("GET", f"/v1/tenants/{tenant}/profiles", tenant=tenant)
        self.assert_error(response, 404, NOT_FOUND, "UndeleteTenant")

        response = call(
            "POST", f"/v1/tenants/{tenant}:undelete", {"etag": deleted["etag"]}
        )
        self.assert_status(response, 200)
        self.assertEqual(response.json["state"], "ACTIVE")
        self.assertNotEqual(response.json["etag"], deleted["etag"])

        response = call("GET", f"/v1/tenants/{tenant}/profiles", tenant=tenant)
        self.assert_status(response, 200)

    def test_undelete_active_tenant_400(self):
        tenant = self.create_tenant()

        response = call("POST", f"/v1/tenants/{tenant}:undelete", {})

        self.assert_error(response, 400, FAILED_PRECONDITION, "not deleted")

    def test_undelete_stale_etag_409(self):
        tenant = self.create_tenant()
        created = call("GET", f"/v1/tenants/{tenant}").json
        self.assert_status(call("DELETE", f"/v1/tenants/{tenant}"), 200)

        response = call(
            "POST", f"/v1/tenants/{tenant}:undelete", {"etag": created["etag"]}
        )

        self.assert_error(response, 409, ABORTED, "etag")

    def test_force_delete_cannot_be_undone(self):
        tenant = self.create_tenant()

        response = call("DELETE", f"/v1/tenants/{tenant}?force=true")
        self.assert_status(response, 200)
        self.assertEqual(response.json["state"], "DELETED")
        self.assertEqual(
            response.json["purge_time"], response.json["delete_time"]
        )

        response = call("POST", f"/v1/tenants/{tenant}:undelete", {})
        self.assert_error(response, 404, NOT_FOUND, tenant)

    def test_list_show_deleted(self):
        tenant = self.create_tenant()
        self.assert_status(call("DELETE", f"/v1/tenants/{tenant}"), 200)

        names = {}
        for show_deleted in ("false", "true"):
            response = call(
                "GET", f"/v1/tenants?page_size=1000&show_deleted={show_deleted}"
            )
            self.assert_status(response, 200)
            names[show_deleted] = [t["name"] for t in response.json["tenants"]]

        self.assertNotIn(f"tenants/{tenant}", names["false"])
        self.assertIn(f"tenants/{tenant}", names["true"])


class TenantHeaderTest(GatewayTestCase):
    """The X-Tenant-ID header reaches the server in any letter case."""

    def test_header_letter_cases(self):
        for header in ["X-Tenant-ID", "x-tenant-id", "X-TENANT-ID",
                       "x-Tenant-Id"]:
            with self.subTest(header=header):
                response = call(
                    "GET",
                    "/v1/tenants/dev_tenant/profiles",
                    headers=[(header, "dev_tenant")],
                )
                self.assert_status(response, 200)
                self.assertGreater(len(response.json["profiles"]), 0)

    def test_header_twice_400(self):
        response = call(
            "GET",
            "/v1/tenants/dev_tenant/profiles",
            headers=[("X-Tenant-ID", "dev_tenant"),
                     ("x-tenant-id", "dev_tenant")],
        )
        self.assert_error(response, 400, INVALID_ARGUMENT, "more than once")

    def test_shared_services_ignore_header(self):
        response = call("GET", "/v1/users?page_size=1", tenant="no_such")
        self.assert_status(response, 200)


class OpenApiTest(GatewayTestCase):
    """GET /openapi.json serves the generated description."""

    def test_openapi_lists_paths(self):
        response = call("GET", "/openapi.json")

        self.assert_status(response, 200)
        self.assertEqual(response.headers["Content-Type"], "application/json")
        spec = response.json
        self.assertEqual(spec["swagger"], "2.0")
        self.assertEqual(spec["info"]["title"], "Tenantry API")
        self.assertEqual(spec["info"]["version"], "v1")
        # fix_openapi.py turns each * of a google.api.http template into a
        # parameter named after its collection.
        for path in [
            "/v1/tenants",
            "/v1/tenants/{tenant}",
            "/v1/tenants/{tenant}:checkDatabase",
            "/v1/users",
            "/v1/users/{user}",
            "/v1/tenants/{tenant}/profiles",
            "/v1/tenants/{tenant}/profiles/{profile}",
            "/v1/tenants/{tenant}/profiles/{profile}/posts",
            "/v1/tenants/{tenant}/profiles:lookupByUser",
            "/v1/tenants/{tenant}/documents",
            "/v1/tenants/{tenant}/documents/{document}",
        ]:
            self.assertIn(path, spec["paths"])

    def test_openapi_lists_every_rpc(self):
        spec = call("GET", "/openapi.json").json
        operations = {
            operation["operationId"]
            for methods in spec["paths"].values()
            for operation in methods.values()
        }
        self.assertEqual(
            operations,
            {
                "CreateTenant", "GetTenant", "ListTenants", "UpdateTenant",
                "DeleteTenant", "UndeleteTenant", "CheckTenantDatabase",
                "GetTenantUsage", "ExportTenant",
                "CreateApiKey", "ListApiKeys", "DeleteApiKey",
                "CreateUser", "GetUser", "ListUsers", "UpdateUser",
                "CreateProfile", "GetProfile", "LookupProfileByUser",
                "ListProfiles", "UpdateProfile", "DeleteProfile",
                "CreatePost", "ListPosts",
                "CreateDocument", "GetDocument", "ListDocuments",
                "UpdateDocument", "DeleteDocument", "DownloadDocument",
            },
        )

    def test_openapi_rejects_post(self):
        response = call("POST", "/openapi.json", {})
        self.assert_gateway_error(response, 405, UNIMPLEMENTED, "POST")
        self.assertEqual(response.headers["Allow"], "GET, HEAD")


class GatewayErrorTest(GatewayTestCase):
    """Errors that the gateway finds before the server receives the
    request: a prefixed message of at most MAX_MESSAGE_BYTES bytes."""

    # Long enough that a message quoting the value in full fails the test.
    LONG = 10000

    def test_invalid_json(self):
        body = b'{"email": "' + b"x" * self.LONG + b'" "display_name"}'
        response = call("POST", "/v1/users", raw_body=body,
                        headers=[("Content-Type", "application/json")])
        self.assert_gateway_error(response, 400, INVALID_ARGUMENT, "")

    def test_wrong_type(self):
        # Go's JSON parser quotes a number that does not fit the field.
        response = call(
            "POST", "/v1/users",
            raw_body=b'{"email": ' + b"9" * self.LONG + b"}",
            headers=[("Content-Type", "application/json")],
        )
        self.assert_gateway_error(response, 400, INVALID_ARGUMENT, "")

    def test_bad_base64(self):
        response = call(
            "POST", "/v1/tenants/dev_tenant/documents",
            {"title": "Bad content", "content": "!" * self.LONG},
            tenant="dev_tenant",
        )
        self.assert_gateway_error(response, 400, INVALID_ARGUMENT, "base64")

    def test_unknown_enum_name(self):
        user = self.create_user()
        response = call(
            "POST", "/v1/tenants/dev_tenant/profiles",
            {"user": user["name"], "full_name": "Enum",
             "role": "X" * self.LONG},
            tenant="dev_tenant",
        )
        self.assert_gateway_error(response, 400, INVALID_ARGUMENT, "XXX")

    def test_bad_integer_query(self):
        response = call("GET", "/v1/users?page_size=" + "9" * self.LONG)
        # The long value is shortened, so the reason after it stays.
        self.assert_gateway_error(response, 400, INVALID_ARGUMENT,
                                  "out of range")

    def test_multibyte_value_cut_whole(self):
        # Two-byte characters: a cut in the middle of one would leave
        # invalid UTF-8, which Go's JSON encoder writes as U+FFFD.
        value = urllib.parse.quote("é" * 5000)
        response = call("GET", f"/v1/users?page_size={value}")
        self.assert_gateway_error(response, 400, INVALID_ARGUMENT, "éé")
        self.assertIn("invalid syntax", response.json["message"])
        self.assertNotIn("\ufffd", response.json["message"])

    def test_server_error_not_prefixed(self):
        response = call("GET", f"/v1/users/{UNKNOWN_ID}")
        self.assert_error(response, 404, NOT_FOUND, UNKNOWN_ID)
        self.assertFalse(response.json["message"].startswith(INVALID_REQUEST))


class BodyLimitTest(GatewayTestCase):
    """The gateway's --max_body_bytes, at its default of 6 MiB."""

    def over_limit_chunks(self):
        chunk = b"x" * 65536
        return [chunk] * (DEFAULT_MAX_BODY_BYTES // len(chunk) + 1)

    def assert_body_too_large(self, response):
        self.assertIsNotNone(response, "the gateway closed the connection")
        self.assert_gateway_error(response, 413, RESOURCE_EXHAUSTED,
                                  str(DEFAULT_MAX_BODY_BYTES))
        self.assertIn("--max_body_bytes", response.json["message"])

    def test_content_length_over_limit(self):
        # The request has "Expect: 100-continue" and sends no body, so the
        # gateway must respond from Content-Length alone.
        url = urllib.parse.urlsplit(GATEWAY_URL)
        connection = http.client.HTTPConnection(
            url.hostname, url.port, timeout=REQUEST_TIMEOUT
        )
        try:
            connection.putrequest("POST", "/v1/tenants/dev_tenant/documents")
            connection.putheader("X-Tenant-ID", "dev_tenant")
            connection.putheader("Content-Type", "application/json")
            connection.putheader("Content-Length",
                                 str(DEFAULT_MAX_BODY_BYTES + 1))
            connection.putheader("Expect", "100-continue")
            connection.endheaders()
            response = connection.getresponse()
            response = Response(response.status, response.headers,
                                response.read())
        finally:
            connection.close()
        self.assert_body_too_large(response)

    def test_chunked_post_over_limit(self):
        response = call_chunked(
            "POST", "/v1/tenants/dev_tenant/documents",
            self.over_limit_chunks(), tenant="dev_tenant")
        self.assert_body_too_large(response)

    def test_chunked_patch_over_limit(self):
        # A PATCH without update_mask is read by the gateway itself to
        # build the mask.
        profile = self.create_profile()
        response = call_chunked(
            "PATCH", f"/v1/{profile['name']}", self.over_limit_chunks(),
            tenant="dev_tenant")
        self.assert_body_too_large(response)

    def test_largest_document_fits(self):
        body = document_body(DEFAULT_MAX_DOCUMENT_BYTES)
        self.assertLess(len(body), DEFAULT_MAX_BODY_BYTES)

        response = call(
            "POST", "/v1/tenants/dev_tenant/documents", raw_body=body,
            tenant="dev_tenant",
            headers=[("Content-Type", "application/json")],
        )

        self.assert_status(response, 200)
        self.assertEqual(response.json["size_bytes"],
                         str(DEFAULT_MAX_DOCUMENT_BYTES))
        call("DELETE", f"/v1/{response.json['name']}", tenant="dev_tenant")

    def test_concurrent_large_bodies_memory(self):
        pid = os.environ.get("GATEWAY_PID")
        if not pid:
            self.skipTest("GATEWAY_PID is not set")
        profile = self.create_profile()
        # Eight bodies of 20 MiB at once; without a limit the gateway held
        # them all, several times over.
        chunk = b"x" * (1024 * 1024)
        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            futures = [
                pool.submit(call_chunked, "PATCH", f"/v1/{profile['name']}",
                            [chunk] * 20, "dev_tenant")
                for _ in range(8)
            ]
            responses = [future.result() for future in futures]
        for response in responses:
            if response is not None:
                self.assertEqual(response.status, 413, response)

        with open(f"/proc/{pid}/status", encoding="ascii") as status_file:
            peak = re.search(r"^VmHWM:\s+(\d+) kB", status_file.read(),
                             re.MULTILINE)
        # The gateway read at most 6 MiB of each body. 400 MiB leaves room
        # for Go's garbage collector and the earlier tests; the unlimited
        # gateway reached 1.15 GB.
        self.assertLess(int(peak.group(1)), 400 * 1024)


class BackendLimitTest(GatewayTestCase):
    """The server's gRPC message size limit, behind a gateway whose
    --max_body_bytes lets the body through."""

    @classmethod
    def setUpClass(cls):
        cls.gateway = Gateway(os.environ["BACKEND_ADDRESS"],
                              f"--max_body_bytes={32 * 1024 * 1024}")
        cls.addClassCleanup(cls.gateway.stop)

    def test_server_message_limit_413(self):
        # The server receives messages of up to about twice its
        # --max_document_bytes, 9 MB by default.
        body = document_body(12 * 1024 * 1024)

        response = call(
            "POST", "/v1/tenants/dev_tenant/documents", raw_body=body,
            tenant="dev_tenant", base_url=self.gateway.url,
            headers=[("Content-Type", "application/json")],
        )

        self.assert_error(response, 413, RESOURCE_EXHAUSTED, "at most")
        message = response.json["message"]
        self.assertRegex(message, r"at most \d+ bytes")
        self.assertNotIn("larger than max", message)
        self.assertFalse(message.startswith(INVALID_REQUEST))


class FakeBackendHandler(grpc.GenericRpcHandler):
    """Fails every call with the status code and details set on it."""

    def __init__(self):
        self.code = grpc.StatusCode.UNKNOWN
        self.details = ""

    def service(self, handler_call_details):
        return grpc.unary_unary_rpc_method_handler(self.fail)

    def fail(self, request, context):
        context.abort(self.code, self.details)


class FakeBackendTest(GatewayTestCase):
    """Backend errors that tenantry_server does not send today, from a
    gRPC server on 127.0.0.1 that fails every call with the status that
    the test sets."""

    @classmethod
    def setUpClass(cls):
        cls.handler = FakeBackendHandler()
        cls.server = grpc.server(
            concurrent.futures.ThreadPoolExecutor(max_workers=2),
            handlers=[cls.handler])
        port = cls.server.add_insecure_port("127.0.0.1:0")
        cls.server.start()
        cls.addClassCleanup(cls.server.stop, None)
        cls.gateway = Gateway(f"127.0.0.1:{port}")
        cls.addClassCleanup(cls.gateway.stop)

    def fail_with(self, code, details):
        self.handler.code = code
        self.handler.details = details
        return call("GET", f"/v1/users/{UNKNOWN_ID}",
                    base_url=self.gateway.url)

    def test_cpp_message_limit_413(self):
        response = self.fail_with(
            grpc.StatusCode.RESOURCE_EXHAUSTED,
            "Received message larger than max (9000000 vs. 8388608)")
        self.assert_error(response, 413, RESOURCE_EXHAUSTED,
                          "at most 8388608 bytes")
        self.assertNotIn("larger than max", response.json["message"])

    def test_go_message_limit_413(self):
        response = self.fail_with(
            grpc.StatusCode.RESOURCE_EXHAUSTED,
            "grpc: received message larger than max (5000000 vs. 4194304)")
        self.assert_error(response, 413, RESOURCE_EXHAUSTED,
                          "at most 4194304 bytes")

    def test_other_resource_exhausted_429(self):
        response = self.fail_with(grpc.StatusCode.RESOURCE_EXHAUSTED,
                                  "tenant quota of 100 documents reached")
        self.assert_error(response, 429, RESOURCE_EXHAUSTED,
                          "tenant quota of 100 documents reached")

    def test_long_backend_message_cut(self):
        response = self.fail_with(grpc.StatusCode.INTERNAL, "é" * 1000)
        self.assert_status(response, 500)
        message = response.json["message"]
        self.assertLessEqual(len(message.encode("utf-8")), MAX_MESSAGE_BYTES)
        self.assertTrue(message.startswith("ééé"), message)
        self.assertNotIn("\ufffd", message)


class FlagTest(unittest.TestCase):
    """tenantry_gateway rejects invalid flags with exit code 2."""

    def run_gateway(self, *args):
        # --listen keeps a command line that wrongly passes off port 8080.
        return subprocess.run(
            [os.environ["GATEWAY_BINARY"], "--listen=127.0.0.1:0", *args],
            capture_output=True, text=True, timeout=REQUEST_TIMEOUT)

    def test_invalid_flags_exit_2(self):
        cases = [
            (["--shutdown_grace=-1s"], "--shutdown_grace=-1s"),
            (["--backend=127.0.0.1"], "the port is missing"),
            (["--backend=127.0.0.1:"], "the port is missing"),
            (["--backend=:50051"], "the host is missing"),
            (["--backend=127.0.0.1:0"], "out of range"),
            (["--backend=127.0.0.1:65536"], "out of range"),
            (["--backend=127.0.0.1:grpc"], "not a number"),
            (["--backend=::1:50051"], "brackets"),
            (["--backend=dns:///server:50051"], "not host:port"),
            (["--max_body_bytes=0"], "--max_body_bytes=0"),
            (["--max_body_bytes=-1"], "--max_body_bytes=-1"),
            (["extra"], '"extra"'),
        ]
        for args, message_part in cases:
            with self.subTest(args=args):
                result = self.run_gateway(*args)
                self.assertEqual(result.returncode, 2, result.stderr)
                self.assertIn(message_part, result.stderr)
                self.assertIn("for example", result.stderr)
                self.assertNotIn("listening on", result.stderr)

    def test_backend_message_names_flag(self):
        result = self.run_gateway("--backend=127.0.0.1:0")
        self.assertIn("invalid --backend=", result.stderr)

    def test_ipv6_backend_accepted(self):
        gateway = Gateway("[::1]:50051")
        gateway.stop()


class OpenApiSpecTest(GatewayTestCase):
    """/openapi.json is OpenAPI 2.0 that a generated client can call."""

    @classmethod
    def setUpClass(cls):
        cls.spec = call("GET", "/openapi.json").json

    def operations(self):
        """Yield (path, HTTP method, operation) of every operation."""
        for path, item in self.spec["paths"].items():
            for method, operation in item.items():
                yield path, method, operation

    def find_operation(self, operation_id):
        matches = [(path, method, operation)
                   for path, method, operation in self.operations()
                   if operation["operationId"] == operation_id]
        self.assertEqual(len(matches), 1, operation_id)
        return matches[0]

    def test_path_parameters_match_paths(self):
        for path, method, operation in self.operations():
            with self.subTest(path=path, method=method):
                in_path = set(re.findall(r"\{([^}]*)\}", path))
                declared = {parameter["name"]
                            for parameter in operation["parameters"]
                            if parameter["in"] == "path"}
                self.assertEqual(in_path, declared)
                for parameter in operation["parameters"]:
                    if parameter["in"] == "path":
                        self.assertTrue(parameter["required"])

    def test_no_templates_in_paths(self):
        for path in self.spec["paths"]:
            self.assertNotIn("=", path)
            self.assertNotIn("*", path)

    def test_create_tenant_has_tenant_id(self):
        _, _, operation = self.find_operation("CreateTenant")
        query = {parameter["name"]: parameter
                 for parameter in operation["parameters"]
                 if parameter["in"] == "query"}
        self.assertIn("tenant_id", query)
        self.assertEqual(query["tenant_id"]["type"], "string")

    def test_every_patch_has_update_mask(self):
        patches = [(path, operation)
                   for path, method, operation in self.operations()
                   if method == "patch"]
        self.assertEqual(len(patches), 4)
        for path, operation in patches:
            with self.subTest(path=path):
                names = {(parameter["name"], parameter["in"])
                         for parameter in operation["parameters"]}
                self.assertIn(("update_mask", "query"), names)

    def test_tenant_header_on_tenant_services(self):
        scoped = 0
        for path, method, operation in self.operations():
            headers = [parameter for parameter in operation["parameters"]
                       if parameter["in"] == "header"]
            with self.subTest(operation=operation["operationId"]):
                if set(operation["tags"]) & {"ProfileService",
                                             "DocumentService"}:
                    scoped += 1
                    self.assertEqual(len(headers), 1, headers)
                    self.assertEqual(headers[0]["name"], "X-Tenant-ID")
                    self.assertTrue(headers[0]["required"])
                else:
                    self.assertEqual(headers, [])
        # UploadDocument streams requests, which the gateway does not map.
        self.assertEqual(scoped, 14)

    def build_request(self, operation_id, arguments, body=None):
        """Return (method, path with query, headers) for a call made only
        from what the spec declares, as a generated client does."""
        path, method, operation = self.find_operation(operation_id)
        arguments = dict(arguments)
        query = []
        headers = []
        for parameter in operation["parameters"]:
            name = parameter["name"]
            if parameter["in"] == "body":
                if parameter.get("required"):
                    self.assertIsNotNone(body, f"{operation_id} needs a body")
                continue
            if name not in arguments:
                self.assertFalse(parameter.get("required"),
                                 f"{operation_id} needs {name}")
                continue
            value = str(arguments.pop(name))
            if parameter["in"] == "path":
                path = path.replace("{" + name + "}",
                                    urllib.parse.quote(value, safe=""))
            elif parameter["in"] == "query":
                query.append((name, value))
            elif parameter["in"] == "header":
                headers.append((name, value))
        self.assertEqual(arguments, {}, "arguments that the spec lacks")
        if query:
            path += "?" + urllib.parse.urlencode(query)
        return method.upper(), self.spec.get("basePath", "") + path, headers

    def test_client_calls_from_spec(self):
        email = unique("spec-") + "@example.com"
        method, path, headers = self.build_request(
            "CreateUser", {}, body={"email": email})
        response = call(method, path,
                        {"email": email, "display_name": "Spec User"},
                        headers=headers)
        self.assert_status(response, 200)
        self.assertEqual(response.json["email"], email)

        method, path, headers = self.build_request(
            "GetTenant", {"tenant": "dev_tenant"})
        response = call(method, path, headers=headers)
        self.assert_status(response, 200)
        self.assertEqual(response.json["name"], "tenants/dev_tenant")

        method, path, headers = self.build_request(
            "ListProfiles",
            {"tenant": "dev_tenant", "X-Tenant-ID": "dev_tenant",
             "page_size": 2})
        response = call(method, path, headers=headers)
        self.assert_status(response, 200)
        self.assertEqual(len(response.json["profiles"]), 2)

    def test_client_creates_tenant_from_spec(self):
        tenant_id = unique("spec_")
        method, path, headers = self.build_request(
            "CreateTenant", {"tenant_id": tenant_id}, body={})
        response = call(method, path, {"display_name": "Spec tenant"},
                        headers=headers)
        self.assert_status(response, 200)
        self.addCleanup(call, "DELETE", f"/v1/tenants/{tenant_id}")
        self.assertEqual(response.json["name"], f"tenants/{tenant_id}")


class ReadmeExamplesTest(GatewayTestCase):
    """The curl examples of README.md, run in order against the gateway."""

    START_MARKER = "<!-- rest-examples:start -->"
    END_MARKER = "<!-- rest-examples:end -->"
    README_URL = "http://127.0.0.1:8080"
    # Placeholders in the README's commands, each mapped to the pattern of
    # the resource name whose id replaces it.
    PLACEHOLDERS = {
        "USER_ID": re.compile(r"^users/([0-9a-z]+)$"),
        "PROFILE_ID": re.compile(r"^tenants/[^/]+/profiles/([0-9a-z]+)$"),
    }

    def readme_commands(self):
        with open(README_PATH, encoding="utf-8") as readme:
            text = readme.read()
        for marker in [self.START_MARKER, self.END_MARKER]:
            self.assertEqual(text.count(marker), 1,
                             f"{README_PATH} must contain {marker} once")
        section = text.split(self.START_MARKER)[1].split(self.END_MARKER)[0]
        return [
            line.strip()
            for line in section.splitlines()
            if line.strip().startswith("curl ")
        ]

    def test_readme_curl_examples(self):
        commands = self.readme_commands()
        self.assertGreaterEqual(len(commands), 6, commands)
        self.assertTrue(any("update_mask=" in c for c in commands), commands)
        self.assertTrue(any("-X DELETE" in c for c in commands), commands)

        ids = {}
        with tempfile.TemporaryDirectory() as scratch:
            body_path = f"{scratch}/body"
            for command in commands:
                with self.subTest(command=command):
                    self.assertIn(self.README_URL, command)
                    command = command.replace(self.README_URL, GATEWAY_URL)
                    for placeholder in self.PLACEHOLDERS:
                        if placeholder in command:
                            self.assertIn(placeholder, ids,
                                          "no earlier example created it")
                            command = command.replace(
                                placeholder, ids[placeholder])
                    argv = shlex.split(command) + [
                        "--silent", "--show-error",
                        "--max-time", str(REQUEST_TIMEOUT),
                        "--output", body_path,
                        "--write-out", "%{http_code}",
                    ]
                    result = subprocess.run(
                        argv, capture_output=True, text=True,
                        timeout=2 * REQUEST_TIMEOUT,
                    )
                    self.assertEqual(result.returncode, 0, result.stderr)
                    with open(body_path, encoding="utf-8") as body_file:
                        body = body_file.read()
                    self.assertEqual(result.stdout, "200", body)
                    self.record_ids(json.loads(body), ids)

    def record_ids(self, body, ids):
        """Store the id of a resource that an example returned."""
        name = body.get("name", "")
        for placeholder, pattern in self.PLACEHOLDERS.items():
            match = pattern.match(name)
            if match:
                ids[placeholder] = match.group(1)


class BackendDownTest(GatewayTestCase):
    """Runs after rest_test.sh has stopped tenantry_server."""

    def test_shared_service_503(self):
        response = call("GET", "/v1/users")
        self.assert_status(response, 503)
        self.assertEqual(response.json["code"], UNAVAILABLE, response)
        self.assertNotEqual(response.json["message"], "")

    def test_tenant_service_503(self):
        response = call(
            "GET", "/v1/tenants/dev_tenant/profiles", tenant="dev_tenant"
        )
        self.assert_status(response, 503)
        self.assertEqual(response.json["code"], UNAVAILABLE, response)

    def test_openapi_still_served(self):
        response = call("GET", "/openapi.json")
        self.assert_status(response, 200)


def main():
    global GATEWAY_URL, README_PATH
    if len(sys.argv) < 3:
        sys.exit("usage: rest_test.py GATEWAY_URL README [TEST_NAME...]")
    GATEWAY_URL = sys.argv[1].rstrip("/")
    README_PATH = sys.argv[2]
    unittest.main(argv=[sys.argv[0], "-v"] + sys.argv[3:])


if __name__ == "__main__":
    main()
