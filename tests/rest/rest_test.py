"""REST tests of tenantry_gateway in front of a running tenantry_server.

Usage: rest_test.py GATEWAY_URL README [TEST_NAME...]

GATEWAY_URL is the gateway's base URL, such as http://127.0.0.1:8080, and
README is the repository's README.md, whose curl examples run against the
gateway. TEST_NAME selects test classes or methods as unittest does.
rest_test.sh runs every class but BackendDownTest while the server is up,
then stops the server and runs BackendDownTest.

Only Python's standard library is used, so Debian's /usr/bin/python3 runs
it without extra packages.
"""

import base64
import http.client
import json
import re
import shlex
import subprocess
import sys
import tempfile
import unittest
import urllib.parse
import uuid

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
FAILED_PRECONDITION = 9
ABORTED = 10
UNAVAILABLE = 14


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


def call(method, path, body=None, tenant=None, headers=()):
    """Send one request to the gateway and return its Response.

    tenant, if set, goes in an X-Tenant-ID header. headers is a sequence
    of (name, value) pairs, so that a header may appear twice.
    """
    url = urllib.parse.urlsplit(GATEWAY_URL)
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
        all_headers.append(("Content-Length", str(len(payload))))
        for name, value in all_headers:
            connection.putheader(name, value)
        connection.endheaders(payload)
        response = connection.getresponse()
        return Response(response.status, response.headers, response.read())
    finally:
        connection.close()


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
        self.addCleanup(call, "DELETE", f"/v1/tenants/{tenant_id}")
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
        self.assert_status(response, 404)


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
        # protoc-gen-swagger 1.6.4 keeps the path templates of the
        # google.api.http annotations as keys.
        for path in [
            "/v1/tenants",
            "/v1/{name=tenants/*}",
            "/v1/users",
            "/v1/{name=users/*}",
            "/v1/{parent=tenants/*}/profiles",
            "/v1/{profile.name=tenants/*/profiles/*}",
            "/v1/{parent=tenants/*}/documents",
            "/v1/{name=tenants/*/documents/*}",
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
                "DeleteTenant", "CheckTenantDatabase",
                "CreateUser", "GetUser", "ListUsers", "UpdateUser",
                "CreateProfile", "GetProfile", "LookupProfileByUser",
                "ListProfiles", "UpdateProfile", "DeleteProfile",
                "CreatePost", "ListPosts",
                "CreateDocument", "GetDocument", "ListDocuments",
                "UpdateDocument", "DeleteDocument",
            },
        )

    def test_openapi_rejects_post(self):
        response = call("POST", "/openapi.json", {})
        self.assert_status(response, 405)


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
