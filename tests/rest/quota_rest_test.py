"""Tenant quotas and usage through tenantry_gateway.

Usage: quota_rest_test.py GATEWAY_URL

quota_rest_test.sh starts the server and the gateway and passes the
gateway's base URL, such as http://127.0.0.1:8080. Uses only Python's
standard library.
"""

import http.client
import json
import sys
import unittest
import urllib.parse
import uuid

# Set from the command line before unittest runs.
GATEWAY_URL = ""

# Seconds that one HTTP request may take.
REQUEST_TIMEOUT = 10

INVALID_ARGUMENT = 3
RESOURCE_EXHAUSTED = 8


def call(method, path, body=None, tenant=None):
    """Sends one request to the gateway; returns (HTTP status, JSON body)."""
    url = urllib.parse.urlsplit(GATEWAY_URL)
    connection = http.client.HTTPConnection(
        url.hostname, url.port, timeout=REQUEST_TIMEOUT
    )
    try:
        headers = {}
        payload = None
        if tenant is not None:
            headers["X-Tenant-ID"] = tenant
        if body is not None:
            payload = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        text = response.read().decode("utf-8", errors="replace")
        try:
            return response.status, json.loads(text)
        except ValueError:
            return response.status, {"unparsed": text}
    finally:
        connection.close()


class QuotaRestTest(unittest.TestCase):
    def setUp(self):
        self.tenant = "q" + uuid.uuid4().hex[:12]
        status, body = call(
            "POST",
            f"/v1/tenants?tenant_id={self.tenant}",
            {"display_name": "Quota"},
        )
        self.assertEqual(status, 200, body)

    def patch_tenant(self, body, mask=None):
        path = f"/v1/tenants/{self.tenant}"
        if mask is not None:
            path += "?update_mask=" + mask
        return call("PATCH", path, body)

    def get_tenant(self):
        status, body = call("GET", f"/v1/tenants/{self.tenant}")
        self.assertEqual(status, 200, body)
        return body

    def create_profile(self):
        status, user = call(
            "POST",
            "/v1/users",
            {
                "email": f"{uuid.uuid4().hex[:12]}@example.com",
                "display_name": "Quota",
            },
        )
        self.assertEqual(status, 200, user)
        return call(
            "POST",
            f"/v1/tenants/{self.tenant}/profiles",
            {"user": user["name"], "full_name": "Quota"},
            tenant=self.tenant,
        )

    def test_patch_with_mask_sets_one_limit(self):
        status, body = self.patch_tenant(
            {"quota": {"max_profiles": "3", "max_documents": "9"}},
            mask="quota.max_profiles",
        )

        self.assertEqual(status, 200, body)
        # int64 fields are strings in JSON.
        self.assertEqual(body["quota"]["max_profiles"], "3")
        self.assertEqual(body["quota"]["max_documents"], "0")
        self.assertEqual(self.get_tenant()["quota"]["max_profiles"], "3")

    def test_patch_without_mask_updates_keys_of_body(self):
        self.patch_tenant({"quota": {"max_profiles": "3"}}, mask="quota")

        status, body = self.patch_tenant({"quota": {"max_documents": "5"}})

        self.assertEqual(status, 200, body)
        stored = self.get_tenant()["quota"]
        self.assertEqual(stored["max_profiles"], "3")
        self.assertEqual(stored["max_documents"], "5")

    def test_patch_quota_mask_with_empty_body_clears_limits(self):
        self.patch_tenant({"quota": {"max_profiles": "3"}}, mask="quota")

        status, body = self.patch_tenant({}, mask="quota")

        self.assertEqual(status, 200, body)
        quota = self.get_tenant().get("quota") or {}
        self.assertEqual(quota.get("max_profiles", "0"), "0")

    def test_negative_limit_is_400(self):
        status, body = self.patch_tenant(
            {"quota": {"max_document_bytes": "-1"}}
        )

        self.assertEqual(status, 400, body)
        self.assertEqual(body["code"], INVALID_ARGUMENT)
        self.assertIn("tenant.quota.max_document_bytes", body["message"])

    def test_profile_past_limit_is_429(self):
        self.patch_tenant({"quota": {"max_profiles": "1"}})
        status, body = self.create_profile()
        self.assertEqual(status, 200, body)

        status, body = self.create_profile()

        self.assertEqual(status, 429, body)
        self.assertEqual(body["code"], RESOURCE_EXHAUSTED)
        self.assertEqual(
            body["message"],
            f"tenant {self.tenant} has 1 of at most 1 profiles; raise "
            "tenant.quota.max_profiles with UpdateTenant or delete profiles",
        )
        self.assertEqual(len(body["details"]), 1, body)
        detail = body["details"][0]
        self.assertEqual(
            detail["@type"], "type.googleapis.com/google.rpc.QuotaFailure"
        )
        self.assertEqual(
            detail["violations"][0]["subject"], f"tenants/{self.tenant}"
        )

    def test_get_usage(self):
        self.patch_tenant({"quota": {"max_profiles": "7"}})
        self.create_profile()

        status, body = call("GET", f"/v1/tenants/{self.tenant}/usage")

        self.assertEqual(status, 200, body)
        self.assertEqual(body["name"], f"tenants/{self.tenant}/usage")
        self.assertEqual(body["profile_count"], "1")
        self.assertEqual(body["post_count"], "0")
        self.assertGreater(int(body["database_bytes"]), 0)
        self.assertEqual(body["quota"]["max_profiles"], "7")


if __name__ == "__main__":
    GATEWAY_URL = sys.argv[1]
    unittest.main(argv=sys.argv[:1], verbosity=2)
