#!/usr/bin/python3
"""Black-box tests of API keys against one tenantry_server.

The server runs with authentication on and a random admin key in
TENANTRY_ADMIN_KEY, on a SQLite shared store in a temporary directory.
The tests call it through grpcio and, for header names in uppercase,
through raw_http2. They cover which key may call which method, key
creation, listing and revocation, malformed and forged keys, how the
shared store keeps the secrets, and that the log never shows a key.
LogTest runs last, so that the log it reads covers every other test.

Run by auth_test.sh, which generates the stubs and sets TENANTRY_SERVER.
"""

import hashlib
import os
import secrets
import sqlite3
import unittest

import grpc
from google.protobuf import field_mask_pb2

import auth_testing
import raw_http2
from auth_testing import RPC_TIMEOUT_SECONDS
from auth_testing import bearer
from auth_testing import tenant_call_metadata
from tenantry.v1 import document_pb2
from tenantry.v1 import document_pb2_grpc
from tenantry.v1 import profile_pb2
from tenantry.v1 import profile_pb2_grpc
from tenantry.v1 import tenant_pb2
from tenantry.v1 import tenant_pb2_grpc
from tenantry.v1 import user_pb2
from tenantry.v1 import user_pb2_grpc

OK = grpc.StatusCode.OK
UNAUTHENTICATED = grpc.StatusCode.UNAUTHENTICATED
PERMISSION_DENIED = grpc.StatusCode.PERMISSION_DENIED
INVALID_ARGUMENT = grpc.StatusCode.INVALID_ARGUMENT
NOT_FOUND = grpc.StatusCode.NOT_FOUND
FAILED_PRECONDITION = grpc.StatusCode.FAILED_PRECONDITION

# Numeric gRPC codes, as raw_http2 reads them from the trailers.
GRPC_OK = 0
GRPC_UNAUTHENTICATED = 16

SERVICE_MODULES = {
    "TenantService": tenant_pb2,
    "UserService": user_pb2,
    "ProfileService": profile_pb2,
    "DocumentService": document_pb2,
}
TENANT_SCOPED_SERVICES = ("ProfileService", "DocumentService")
SHARED_SERVICES = ("TenantService", "UserService")

# A well-formed resource id that no server issues, because issued ids begin
# with the current time in milliseconds.
UNKNOWN_RESOURCE_ID = "0" * 26

# Longer than gRPC's default limit of 8 KiB for the metadata of a call.
OVERSIZED_HEADER_CHARACTERS = 100 * 1024
# Within that limit, so the interceptor receives the whole value.
LONG_HEADER_CHARACTERS = 6 * 1024

ADMIN_KEY = auth_testing.new_admin_key()
# Every tenant key and near-miss key that the tests send; LogTest checks
# that none of them appears in the server log.
SENT_KEYS = []

_server = None
_channel = None


def setUpModule():
    global _server, _channel
    work_dir = auth_testing.make_work_dir("api-keys-")
    _server = auth_testing.ServerProcess(
        os.path.join(work_dir, "data"),
        environment=auth_testing.server_environment(ADMIN_KEY)).start()
    _channel = grpc.insecure_channel(_server.address)


def tearDownModule():
    if _channel is not None:
        _channel.close()
    if _server is not None:
        _server.stop()


def method_path(service, method):
    return f"/tenantry.v1.{service}/{method}"


def methods_of(services):
    """Yield (service, method, request class) for each method of `services`."""
    for service in services:
        module = SERVICE_MODULES[service]
        descriptor = module.DESCRIPTOR.services_by_name[service]
        for method in descriptor.methods:
            yield service, method.name, getattr(module, method.input_type.name)


def call_method(service, method, request, metadata=None):
    """Call any tenantry.v1 method by name; return its grpc.StatusCode."""
    stub = _channel.unary_unary(
        method_path(service, method),
        request_serializer=type(request).SerializeToString)
    return auth_testing.status_code_of(stub, request, metadata=metadata)


def new_key(tenant_id):
    """Create a tenant key with the admin key; return the ApiKey."""
    api_key = auth_testing.create_api_key(_channel, ADMIN_KEY, tenant_id)
    SENT_KEYS.append(api_key.key)
    return api_key


def query_shared_store(sql, *parameters):
    """Run a query on the server's shared.db, opened read-only."""
    path = os.path.join(_server.data_dir, "shared.db")
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return connection.execute(sql, parameters).fetchall()
    finally:
        connection.close()


def near_miss(key):
    changed = auth_testing.key_with_last_character_changed(key)
    SENT_KEYS.append(changed)
    return changed


class AuthTestCase(unittest.TestCase):
    """Base class with a stub per service and helpers for the tests."""

    def setUp(self):
        self.tenants = tenant_pb2_grpc.TenantServiceStub(_channel)
        self.users = user_pb2_grpc.UserServiceStub(_channel)
        self.profiles = profile_pb2_grpc.ProfileServiceStub(_channel)
        self.documents = document_pb2_grpc.DocumentServiceStub(_channel)

    def create_tenant(self, prefix):
        tenant_id = auth_testing.unique_tenant_id(prefix)
        auth_testing.create_tenant(_channel, ADMIN_KEY, tenant_id)
        return tenant_id

    def delete_tenant(self, tenant_id, force=True):
        """Delete the tenant: for good by default, else soft."""
        return self.tenants.DeleteTenant(
            tenant_pb2.DeleteTenantRequest(name=f"tenants/{tenant_id}",
                                           force=force),
            metadata=bearer(ADMIN_KEY), timeout=RPC_TIMEOUT_SECONDS)

    def suspend_tenant(self, tenant_id):
        self.tenants.UpdateTenant(
            tenant_pb2.UpdateTenantRequest(
                tenant=tenant_pb2.Tenant(name=f"tenants/{tenant_id}",
                                         state=tenant_pb2.Tenant.SUSPENDED),
                update_mask=field_mask_pb2.FieldMask(paths=["state"])),
            metadata=bearer(ADMIN_KEY), timeout=RPC_TIMEOUT_SECONDS)

    def create_user(self):
        return self.users.CreateUser(
            user_pb2.CreateUserRequest(user=user_pb2.User(
                email=f"{secrets.token_hex(6)}@example.com",
                display_name="Test User")),
            metadata=bearer(ADMIN_KEY), timeout=RPC_TIMEOUT_SECONDS)

    def list_profiles_code(self, metadata, tenant_id):
        return auth_testing.status_code_of(
            self.profiles.ListProfiles,
            profile_pb2.ListProfilesRequest(parent=f"tenants/{tenant_id}"),
            metadata=metadata)

    def assertKeyWorks(self, key, tenant_id):
        self.assertEqual(
            self.list_profiles_code(tenant_call_metadata(key, tenant_id),
                                    tenant_id), OK)

    def assertKeyRejected(self, key, tenant_id):
        self.assertEqual(
            self.list_profiles_code(tenant_call_metadata(key, tenant_id),
                                    tenant_id), UNAUTHENTICATED)

    def call_ok(self, description, call, request, metadata):
        """Make a call that must succeed; return its response."""
        try:
            return call(request, metadata=metadata,
                        timeout=RPC_TIMEOUT_SECONDS)
        except grpc.RpcError as error:
            self.fail(f"{description} failed with {error.code().name}: "
                      f"{error.details()}")

    def run_every_tenant_scoped_method(self, metadata, tenant_id, user_name):
        """Call each ProfileService and DocumentService method once, all OK.

        Returns the names of the methods called.
        """
        parent = f"tenants/{tenant_id}"
        profile = self.call_ok(
            "CreateProfile", self.profiles.CreateProfile,
            profile_pb2.CreateProfileRequest(
                parent=parent,
                profile=profile_pb2.Profile(
                    user=user_name, full_name="Ann", role=profile_pb2.STUDENT,
                    student_info=profile_pb2.StudentInfo(
                        school="Tenantry High"))),
            metadata)
        self.call_ok("GetProfile", self.profiles.GetProfile,
                     profile_pb2.GetProfileRequest(name=profile.name),
                     metadata)
        self.call_ok(
            "LookupProfileByUser", self.profiles.LookupProfileByUser,
            profile_pb2.LookupProfileByUserRequest(parent=parent,
                                                   user=user_name), metadata)
        self.call_ok("ListProfiles", self.profiles.ListProfiles,
                     profile_pb2.ListProfilesRequest(parent=parent), metadata)
        self.call_ok(
            "UpdateProfile", self.profiles.UpdateProfile,
            profile_pb2.UpdateProfileRequest(
                profile=profile_pb2.Profile(name=profile.name,
                                            full_name="Ann Lee"),
                update_mask=field_mask_pb2.FieldMask(paths=["full_name"])),
            metadata)
        self.call_ok(
            "CreatePost", self.profiles.CreatePost,
            profile_pb2.CreatePostRequest(
                parent=profile.name, post=profile_pb2.Post(content="hello")),
            metadata)
        self.call_ok("ListPosts", self.profiles.ListPosts,
                     profile_pb2.ListPostsRequest(parent=profile.name),
                     metadata)
        document = self.call_ok(
            "CreateDocument", self.documents.CreateDocument,
            document_pb2.CreateDocumentRequest(
                parent=parent,
                document=document_pb2.Document(title="notes", content=b"abc")),
            metadata)
        self.call_ok("GetDocument", self.documents.GetDocument,
                     document_pb2.GetDocumentRequest(name=document.name),
                     metadata)
        self.call_ok("ListDocuments", self.documents.ListDocuments,
                     document_pb2.ListDocumentsRequest(parent=parent),
                     metadata)
        self.call_ok(
            "UpdateDocument", self.documents.UpdateDocument,
            document_pb2.UpdateDocumentRequest(
                document=document_pb2.Document(name=document.name,
                                               title="new notes"),
                update_mask=field_mask_pb2.FieldMask(paths=["title"])),
            metadata)
        content = b"streamed content"
        uploaded = self.call_ok(
            "UploadDocument", self.documents.UploadDocument,
            iter([
                document_pb2.UploadDocumentRequest(
                    parent=parent,
                    document=document_pb2.Document(title="streamed"),
                    sha256=hashlib.sha256(content).hexdigest()),
                document_pb2.UploadDocumentRequest(chunk=content),
            ]), metadata)
        downloaded = self.call_ok(
            "DownloadDocument", self.documents.DownloadDocument,
            document_pb2.DownloadDocumentRequest(name=uploaded.name),
            metadata)
        self.assertEqual(b"".join(part.chunk for part in downloaded), content)
        self.call_ok("DeleteDocument", self.documents.DeleteDocument,
                     document_pb2.DeleteDocumentRequest(name=document.name),
                     metadata)
        self.call_ok("DeleteProfile", self.profiles.DeleteProfile,
                     profile_pb2.DeleteProfileRequest(name=profile.name),
                     metadata)
        return {
            "CreateProfile", "GetProfile", "LookupProfileByUser",
            "ListProfiles", "UpdateProfile", "CreatePost", "ListPosts",
            "CreateDocument", "GetDocument", "ListDocuments",
            "UpdateDocument", "UploadDocument", "DownloadDocument",
            "DeleteDocument", "DeleteProfile"
        }


class AdminKeyTest(AuthTestCase):

    def test_admin_key_calls_every_method(self):
        admin = bearer(ADMIN_KEY)
        called = set()
        tenant_id = auth_testing.unique_tenant_id("admin")
        name = f"tenants/{tenant_id}"
        self.call_ok(
            "CreateTenant", self.tenants.CreateTenant,
            tenant_pb2.CreateTenantRequest(
                tenant_id=tenant_id,
                tenant=tenant_pb2.Tenant(display_name="Admin Test")), admin)
        self.call_ok("GetTenant", self.tenants.GetTenant,
                     tenant_pb2.GetTenantRequest(name=name), admin)
        self.call_ok("ListTenants", self.tenants.ListTenants,
                     tenant_pb2.ListTenantsRequest(), admin)
        self.call_ok(
            "UpdateTenant", self.tenants.UpdateTenant,
            tenant_pb2.UpdateTenantRequest(
                tenant=tenant_pb2.Tenant(name=name, display_name="Renamed"),
                update_mask=field_mask_pb2.FieldMask(paths=["display_name"])),
            admin)
        self.call_ok("CheckTenantDatabase", self.tenants.CheckTenantDatabase,
                     tenant_pb2.CheckTenantDatabaseRequest(name=name), admin)
        self.call_ok("GetTenantUsage", self.tenants.GetTenantUsage,
                     tenant_pb2.GetTenantUsageRequest(name=f"{name}/usage"),
                     admin)
        exported = self.call_ok(
            "ExportTenant", self.tenants.ExportTenant,
            tenant_pb2.ExportTenantRequest(name=name), admin)
        self.assertTrue(b"".join(part.data for part in exported).startswith(
            b"SQLite format 3\0"))
        api_key = self.call_ok(
            "CreateApiKey", self.tenants.CreateApiKey,
            tenant_pb2.CreateApiKeyRequest(
                parent=name, api_key=tenant_pb2.ApiKey(display_name="ci")),
            admin)
        SENT_KEYS.append(api_key.key)
        self.call_ok("ListApiKeys", self.tenants.ListApiKeys,
                     tenant_pb2.ListApiKeysRequest(parent=name), admin)
        self.call_ok("DeleteApiKey", self.tenants.DeleteApiKey,
                     tenant_pb2.DeleteApiKeyRequest(name=api_key.name), admin)
        called |= {
            "CreateTenant", "GetTenant", "ListTenants", "UpdateTenant",
            "CheckTenantDatabase", "GetTenantUsage", "ExportTenant",
            "CreateApiKey", "ListApiKeys", "DeleteApiKey"
        }

        user = self.call_ok(
            "CreateUser", self.users.CreateUser,
            user_pb2.CreateUserRequest(user=user_pb2.User(
                email=f"{tenant_id}@example.com", display_name="Admin")),
            admin)
        self.call_ok("GetUser", self.users.GetUser,
                     user_pb2.GetUserRequest(name=user.name), admin)
        self.call_ok("ListUsers", self.users.ListUsers,
                     user_pb2.ListUsersRequest(), admin)
        self.call_ok(
            "UpdateUser", self.users.UpdateUser,
            user_pb2.UpdateUserRequest(
                user=user_pb2.User(name=user.name, display_name="Renamed"),
                update_mask=field_mask_pb2.FieldMask(paths=["display_name"])),
            admin)
        called |= {"CreateUser", "GetUser", "ListUsers", "UpdateUser"}

        called |= self.run_every_tenant_scoped_method(
            tenant_call_metadata(ADMIN_KEY, tenant_id), tenant_id, user.name)

        self.call_ok("DeleteTenant", self.tenants.DeleteTenant,
                     tenant_pb2.DeleteTenantRequest(name=name), admin)
        self.call_ok("UndeleteTenant", self.tenants.UndeleteTenant,
                     tenant_pb2.UndeleteTenantRequest(name=name), admin)
        called |= {"DeleteTenant", "UndeleteTenant"}

        every_method = {
            method for _, method, _ in methods_of(SERVICE_MODULES)
        }
        self.assertEqual(called, every_method,
                         "a tenantry.v1 method is missing from this test")

    def test_admin_key_calls_any_tenant(self):
        tenant_id = self.create_tenant("anytenant")
        self.assertKeyWorks(ADMIN_KEY, tenant_id)

    def test_admin_key_near_miss_is_unauthenticated(self):
        # A timing difference cannot be measured reliably here, so this
        # checks that a key differing only in its last character fails.
        changed = auth_testing.key_with_last_character_changed(ADMIN_KEY)
        code = auth_testing.status_code_of(self.tenants.ListTenants,
                                           tenant_pb2.ListTenantsRequest(),
                                           metadata=bearer(changed))
        self.assertEqual(code, UNAUTHENTICATED)

    def test_admin_key_prefix_is_unauthenticated(self):
        code = auth_testing.status_code_of(self.tenants.ListTenants,
                                           tenant_pb2.ListTenantsRequest(),
                                           metadata=bearer(ADMIN_KEY[:-1]))
        self.assertEqual(code, UNAUTHENTICATED)

    def test_admin_key_with_suffix_is_unauthenticated(self):
        code = auth_testing.status_code_of(self.tenants.ListTenants,
                                           tenant_pb2.ListTenantsRequest(),
                                           metadata=bearer(ADMIN_KEY + "0"))
        self.assertEqual(code, UNAUTHENTICATED)


class MissingKeyTest(AuthTestCase):

    def test_every_method_without_key_is_unauthenticated(self):
        tenant_id = self.create_tenant("nokey")
        for service, method, request_class in methods_of(SERVICE_MODULES):
            metadata = ((("x-tenant-id", tenant_id),)
                        if service in TENANT_SCOPED_SERVICES else None)
            with self.subTest(method=method):
                self.assertEqual(
                    call_method(service, method, request_class(), metadata),
                    UNAUTHENTICATED)

    def test_without_key_and_tenant_is_unauthenticated(self):
        # Not INVALID_ARGUMENT: a caller without a key learns nothing about
        # the tenant metadata.
        self.assertEqual(
            self.list_profiles_code(None, "missing"), UNAUTHENTICATED)

    def test_without_key_unknown_tenant_is_unauthenticated(self):
        # Not NOT_FOUND: the status must not show which tenants exist.
        self.assertEqual(
            self.list_profiles_code((("x-tenant-id", "nosuchtenant"),),
                                    "nosuchtenant"), UNAUTHENTICATED)

    def test_health_check_needs_no_key(self):
        self.assertEqual(auth_testing.check_health(_channel),
                         auth_testing.HEALTH_SERVING_RESPONSE)

    def test_health_check_ignores_invalid_key(self):
        self.assertEqual(
            auth_testing.check_health(_channel, metadata=bearer("wrong")),
            auth_testing.HEALTH_SERVING_RESPONSE)

    def test_reflection_needs_no_key(self):
        services = auth_testing.reflection_service_list(_channel)
        self.assertIn(b"tenantry.v1.TenantService", services)


class TenantKeyScopeTest(AuthTestCase):

    @classmethod
    def setUpClass(cls):
        cls.tenant_id = auth_testing.unique_tenant_id("scope")
        cls.other_tenant_id = auth_testing.unique_tenant_id("other")
        auth_testing.create_tenant(_channel, ADMIN_KEY, cls.tenant_id)
        auth_testing.create_tenant(_channel, ADMIN_KEY, cls.other_tenant_id)
        cls.key = new_key(cls.tenant_id).key
        cls.other_key = new_key(cls.other_tenant_id).key

    def test_tenant_key_calls_every_method_of_own_tenant(self):
        user = self.create_user()
        called = self.run_every_tenant_scoped_method(
            tenant_call_metadata(self.key, self.tenant_id), self.tenant_id,
            user.name)
        every_method = {
            method for _, method, _ in methods_of(TENANT_SCOPED_SERVICES)
        }
        self.assertEqual(called, every_method)

    def test_tenant_key_other_tenant_is_permission_denied(self):
        metadata = tenant_call_metadata(self.key, self.other_tenant_id)
        for service, method, request_class in methods_of(
                TENANT_SCOPED_SERVICES):
            with self.subTest(method=method):
                self.assertEqual(
                    call_method(service, method, request_class(), metadata),
                    PERMISSION_DENIED)

    def test_tenant_key_unknown_tenant_is_permission_denied(self):
        # Not NOT_FOUND: the key's holder learns nothing about other tenants.
        metadata = tenant_call_metadata(self.key, "nosuchtenant")
        for service, method, request_class in methods_of(
                TENANT_SCOPED_SERVICES):
            with self.subTest(method=method):
                self.assertEqual(
                    call_method(service, method, request_class(), metadata),
                    PERMISSION_DENIED)

    def test_tenant_key_shared_services_are_permission_denied(self):
        for service, method, request_class in methods_of(SHARED_SERVICES):
            with self.subTest(method=method):
                self.assertEqual(
                    call_method(service, method, request_class(),
                                bearer(self.key)), PERMISSION_DENIED)

    def test_tenant_key_cannot_manage_own_tenant(self):
        # Valid requests about the key's own tenant, so that only the key
        # stops them: a tenant key must not mint keys, reactivate or
        # delete its tenant.
        own = f"tenants/{self.tenant_id}"
        requests = {
            "GetTenant": tenant_pb2.GetTenantRequest(name=own),
            "UpdateTenant": tenant_pb2.UpdateTenantRequest(
                tenant=tenant_pb2.Tenant(name=own, display_name="Mine"),
                update_mask=field_mask_pb2.FieldMask(paths=["display_name"])),
            "CreateApiKey": tenant_pb2.CreateApiKeyRequest(
                parent=own, api_key=tenant_pb2.ApiKey(display_name="more")),
            "ListApiKeys": tenant_pb2.ListApiKeysRequest(parent=own),
            "DeleteTenant": tenant_pb2.DeleteTenantRequest(name=own),
        }
        for method, request in requests.items():
            with self.subTest(method=method):
                self.assertEqual(
                    call_method("TenantService", method, request,
                                bearer(self.key)), PERMISSION_DENIED)
        self.assertKeyWorks(self.key, self.tenant_id)

    def test_tenant_key_shared_call_with_tenant_id(self):
        code = call_method("TenantService", "ListTenants",
                           tenant_pb2.ListTenantsRequest(),
                           tenant_call_metadata(self.key, self.tenant_id))
        self.assertEqual(code, PERMISSION_DENIED)

    def test_other_tenants_key_is_permission_denied(self):
        self.assertEqual(
            self.list_profiles_code(
                tenant_call_metadata(self.other_key, self.tenant_id),
                self.tenant_id), PERMISSION_DENIED)

    def test_name_of_other_tenant_in_request_is_rejected(self):
        document = self.documents.CreateDocument(
            document_pb2.CreateDocumentRequest(
                parent=f"tenants/{self.other_tenant_id}",
                document=document_pb2.Document(title="theirs",
                                               content=b"private")),
            metadata=tenant_call_metadata(ADMIN_KEY, self.other_tenant_id),
            timeout=RPC_TIMEOUT_SECONDS)
        code = auth_testing.status_code_of(
            self.documents.GetDocument,
            document_pb2.GetDocumentRequest(name=document.name),
            metadata=tenant_call_metadata(self.key, self.tenant_id))
        self.assertEqual(code, INVALID_ARGUMENT)

    def test_two_tenant_ids_with_tenant_key_are_rejected(self):
        metadata = (("authorization", f"Bearer {self.key}"),
                    ("x-tenant-id", self.tenant_id),
                    ("x-tenant-id", self.other_tenant_id))
        self.assertEqual(self.list_profiles_code(metadata, self.tenant_id),
                         INVALID_ARGUMENT)


class SuspendedTenantTest(AuthTestCase):

    @classmethod
    def setUpClass(cls):
        cls.active_id = auth_testing.unique_tenant_id("active")
        cls.suspended_id = auth_testing.unique_tenant_id("suspended")
        auth_testing.create_tenant(_channel, ADMIN_KEY, cls.active_id)
        auth_testing.create_tenant(_channel, ADMIN_KEY, cls.suspended_id)
        cls.active_key = new_key(cls.active_id).key
        cls.suspended_key = new_key(cls.suspended_id).key

    def setUp(self):
        super().setUp()
        self.suspend_tenant(self.suspended_id)

    def test_own_suspended_tenant_is_failed_precondition(self):
        self.assertEqual(
            self.list_profiles_code(
                tenant_call_metadata(self.suspended_key, self.suspended_id),
                self.suspended_id), FAILED_PRECONDITION)

    def test_other_suspended_tenant_is_permission_denied(self):
        # Not FAILED_PRECONDITION: the state of another tenant stays hidden.
        self.assertEqual(
            self.list_profiles_code(
                tenant_call_metadata(self.active_key, self.suspended_id),
                self.suspended_id), PERMISSION_DENIED)

    def test_suspended_tenant_without_key_is_unauthenticated(self):
        self.assertEqual(
            self.list_profiles_code((("x-tenant-id", self.suspended_id),),
                                    self.suspended_id), UNAUTHENTICATED)

    def test_suspended_tenants_key_cannot_reactivate_it(self):
        code = auth_testing.status_code_of(
            self.tenants.UpdateTenant,
            tenant_pb2.UpdateTenantRequest(
                tenant=tenant_pb2.Tenant(name=f"tenants/{self.suspended_id}",
                                         state=tenant_pb2.Tenant.ACTIVE),
                update_mask=field_mask_pb2.FieldMask(paths=["state"])),
            metadata=bearer(self.suspended_key))
        self.assertEqual(code, PERMISSION_DENIED)


class ApiKeyLifecycleTest(AuthTestCase):

    def test_created_key_has_documented_format(self):
        tenant_id = self.create_tenant("format")
        api_key = new_key(tenant_id)
        match = auth_testing.TENANT_KEY_PATTERN.fullmatch(api_key.key)
        self.assertIsNotNone(match, api_key.key)
        self.assertEqual(api_key.name,
                         f"tenants/{tenant_id}/apiKeys/{match.group(1)}")
        self.assertEqual(api_key.display_name, "test key")
        self.assertTrue(api_key.HasField("create_time"))

    def test_two_keys_differ(self):
        tenant_id = self.create_tenant("twokeys")
        first = new_key(tenant_id)
        second = new_key(tenant_id)
        self.assertNotEqual(first.name, second.name)
        self.assertNotEqual(auth_testing.secret_part(first.key),
                            auth_testing.secret_part(second.key))

    def test_list_returns_keys_without_secret(self):
        tenant_id = self.create_tenant("list")
        created = new_key(tenant_id)
        response = self.tenants.ListApiKeys(
            tenant_pb2.ListApiKeysRequest(parent=f"tenants/{tenant_id}"),
            metadata=bearer(ADMIN_KEY), timeout=RPC_TIMEOUT_SECONDS)
        self.assertEqual([key.name for key in response.api_keys],
                         [created.name])
        self.assertEqual(response.api_keys[0].key, "")
        self.assertEqual(response.api_keys[0].display_name, "test key")

    def test_create_without_display_name_is_invalid(self):
        tenant_id = self.create_tenant("noname")
        code = auth_testing.status_code_of(
            self.tenants.CreateApiKey,
            tenant_pb2.CreateApiKeyRequest(parent=f"tenants/{tenant_id}",
                                           api_key=tenant_pb2.ApiKey()),
            metadata=bearer(ADMIN_KEY))
        self.assertEqual(code, INVALID_ARGUMENT)

    def test_create_for_unknown_tenant_is_not_found(self):
        code = auth_testing.status_code_of(
            self.tenants.CreateApiKey,
            tenant_pb2.CreateApiKeyRequest(
                parent="tenants/nosuchtenant",
                api_key=tenant_pb2.ApiKey(display_name="k")),
            metadata=bearer(ADMIN_KEY))
        self.assertEqual(code, NOT_FOUND)

    def test_list_for_unknown_tenant_is_not_found(self):
        code = auth_testing.status_code_of(
            self.tenants.ListApiKeys,
            tenant_pb2.ListApiKeysRequest(parent="tenants/nosuchtenant"),
            metadata=bearer(ADMIN_KEY))
        self.assertEqual(code, NOT_FOUND)

    def test_revocation_takes_effect_on_next_call(self):
        tenant_id = self.create_tenant("revoke")
        api_key = new_key(tenant_id)
        # The first call puts the key in the server's cache.
        self.assertKeyWorks(api_key.key, tenant_id)
        self.tenants.DeleteApiKey(
            tenant_pb2.DeleteApiKeyRequest(name=api_key.name),
            metadata=bearer(ADMIN_KEY), timeout=RPC_TIMEOUT_SECONDS)
        self.assertKeyRejected(api_key.key, tenant_id)

    def test_revoked_key_is_not_listed(self):
        tenant_id = self.create_tenant("unlisted")
        api_key = new_key(tenant_id)
        self.tenants.DeleteApiKey(
            tenant_pb2.DeleteApiKeyRequest(name=api_key.name),
            metadata=bearer(ADMIN_KEY), timeout=RPC_TIMEOUT_SECONDS)
        response = self.tenants.ListApiKeys(
            tenant_pb2.ListApiKeysRequest(parent=f"tenants/{tenant_id}"),
            metadata=bearer(ADMIN_KEY), timeout=RPC_TIMEOUT_SECONDS)
        self.assertEqual(list(response.api_keys), [])

    def test_revoking_keeps_other_keys_of_tenant(self):
        tenant_id = self.create_tenant("keepother")
        revoked = new_key(tenant_id)
        remaining = new_key(tenant_id)
        self.tenants.DeleteApiKey(
            tenant_pb2.DeleteApiKeyRequest(name=revoked.name),
            metadata=bearer(ADMIN_KEY), timeout=RPC_TIMEOUT_SECONDS)
        self.assertKeyWorks(remaining.key, tenant_id)

    def test_delete_under_wrong_tenant_keeps_key(self):
        tenant_id = self.create_tenant("owner")
        other_id = self.create_tenant("notowner")
        api_key = new_key(tenant_id)
        self.assertKeyWorks(api_key.key, tenant_id)
        key_id = api_key.name.rsplit("/", 1)[1]
        code = auth_testing.status_code_of(
            self.tenants.DeleteApiKey,
            tenant_pb2.DeleteApiKeyRequest(
                name=f"tenants/{other_id}/apiKeys/{key_id}"),
            metadata=bearer(ADMIN_KEY))
        self.assertEqual(code, NOT_FOUND)
        self.assertKeyWorks(api_key.key, tenant_id)

    def test_key_works_after_other_tenant_is_deleted(self):
        kept_id = self.create_tenant("kept")
        deleted_id = self.create_tenant("deleted")
        kept_key = new_key(kept_id).key
        deleted_key = new_key(deleted_id).key
        self.assertKeyWorks(kept_key, kept_id)
        self.assertKeyWorks(deleted_key, deleted_id)
        self.delete_tenant(deleted_id)
        self.assertKeyWorks(kept_key, kept_id)

    def test_delete_tenant_revokes_its_keys(self):
        tenant_id = self.create_tenant("gone")
        api_key = new_key(tenant_id)
        self.assertKeyWorks(api_key.key, tenant_id)
        self.delete_tenant(tenant_id)
        self.assertKeyRejected(api_key.key, tenant_id)
        code = auth_testing.status_code_of(
            self.tenants.ListApiKeys,
            tenant_pb2.ListApiKeysRequest(parent=f"tenants/{tenant_id}"),
            metadata=bearer(ADMIN_KEY))
        self.assertEqual(code, NOT_FOUND)

    def test_soft_deleted_tenant_refuses_its_keys(self):
        tenant_id = self.create_tenant("asleep")
        api_key = new_key(tenant_id)
        self.assertKeyWorks(api_key.key, tenant_id)
        self.delete_tenant(tenant_id, force=False)
        self.assertEqual(
            self.list_profiles_code(
                tenant_call_metadata(api_key.key, tenant_id), tenant_id),
            NOT_FOUND)
        self.tenants.UndeleteTenant(
            tenant_pb2.UndeleteTenantRequest(name=f"tenants/{tenant_id}"),
            metadata=bearer(ADMIN_KEY), timeout=RPC_TIMEOUT_SECONDS)
        self.assertKeyWorks(api_key.key, tenant_id)

    def test_delete_tenant_removes_key_rows(self):
        tenant_id = self.create_tenant("norows")
        new_key(tenant_id)
        new_key(tenant_id)
        count_sql = "SELECT COUNT(*) FROM api_keys WHERE tenant_id = ?"
        self.assertEqual(query_shared_store(count_sql, tenant_id), [(2,)])
        self.delete_tenant(tenant_id)
        self.assertEqual(query_shared_store(count_sql, tenant_id), [(0,)])

    def test_recreated_tenant_does_not_revive_keys(self):
        tenant_id = self.create_tenant("reborn")
        api_key = new_key(tenant_id)
        self.assertKeyWorks(api_key.key, tenant_id)
        self.delete_tenant(tenant_id)
        auth_testing.create_tenant(_channel, ADMIN_KEY, tenant_id)
        self.assertKeyRejected(api_key.key, tenant_id)


class KeyFormatTest(AuthTestCase):
    """Malformed, forged and oddly sent keys."""

    @classmethod
    def setUpClass(cls):
        cls.tenant_id = auth_testing.unique_tenant_id("format")
        auth_testing.create_tenant(_channel, ADMIN_KEY, cls.tenant_id)
        cls.key = new_key(cls.tenant_id).key

    def authorization_code(self, *values):
        """ListProfiles in the test tenant with these authorization values."""
        metadata = tuple(("authorization", value) for value in values)
        metadata += (("x-tenant-id", self.tenant_id),)
        return self.list_profiles_code(metadata, self.tenant_id)

    def test_valid_key_works(self):
        self.assertEqual(self.authorization_code(f"Bearer {self.key}"), OK)

    def test_last_character_changed_is_unauthenticated(self):
        # A timing difference cannot be measured reliably here, so this
        # checks that a key differing only in its last character fails.
        self.assertEqual(
            self.authorization_code(f"Bearer {near_miss(self.key)}"),
            UNAUTHENTICATED)

    def test_unknown_well_formed_key_is_unauthenticated(self):
        forged = f"tk_{UNKNOWN_RESOURCE_ID}_{secrets.token_hex(32)}"
        self.assertEqual(self.authorization_code(f"Bearer {forged}"),
                         UNAUTHENTICATED)

    def test_key_id_with_other_secret_is_unauthenticated(self):
        other = new_key(self.tenant_id).key
        key_id = auth_testing.TENANT_KEY_PATTERN.fullmatch(self.key).group(1)
        spliced = f"tk_{key_id}_{auth_testing.secret_part(other)}"
        self.assertEqual(self.authorization_code(f"Bearer {spliced}"),
                         UNAUTHENTICATED)

    def test_uppercase_key_is_unauthenticated(self):
        self.assertEqual(self.authorization_code(f"Bearer {self.key.upper()}"),
                         UNAUTHENTICATED)

    def test_truncated_key_is_unauthenticated(self):
        self.assertEqual(self.authorization_code(f"Bearer {self.key[:-1]}"),
                         UNAUTHENTICATED)

    def test_secret_part_alone_is_unauthenticated(self):
        self.assertEqual(
            self.authorization_code(
                f"Bearer {auth_testing.secret_part(self.key)}"),
            UNAUTHENTICATED)

    def test_empty_bearer_key_is_unauthenticated(self):
        self.assertEqual(self.authorization_code("Bearer "), UNAUTHENTICATED)

    def test_bearer_without_key_is_unauthenticated(self):
        self.assertEqual(self.authorization_code("Bearer"), UNAUTHENTICATED)

    def test_key_without_scheme_is_unauthenticated(self):
        self.assertEqual(self.authorization_code(self.key), UNAUTHENTICATED)

    def test_other_scheme_is_unauthenticated(self):
        self.assertEqual(self.authorization_code(f"Basic {self.key}"),
                         UNAUTHENTICATED)

    def test_lowercase_scheme_works(self):
        # RFC 7235, section 2.1: the scheme name is case-insensitive.
        self.assertEqual(self.authorization_code(f"bearer {self.key}"), OK)

    def test_uppercase_scheme_works(self):
        self.assertEqual(self.authorization_code(f"BEARER {self.key}"), OK)

    def test_two_authorization_values_are_unauthenticated(self):
        self.assertEqual(
            self.authorization_code(f"Bearer {self.key}",
                                    f"Bearer {self.key}"),
            UNAUTHENTICATED)

    def test_admin_and_tenant_key_together_are_unauthenticated(self):
        self.assertEqual(
            self.authorization_code(f"Bearer {self.key}",
                                    f"Bearer {ADMIN_KEY}"), UNAUTHENTICATED)

    def test_binary_authorization_header_is_not_a_key(self):
        metadata = (("authorization-bin", f"Bearer {ADMIN_KEY}".encode()),
                    ("x-tenant-id", self.tenant_id))
        self.assertEqual(self.list_profiles_code(metadata, self.tenant_id),
                         UNAUTHENTICATED)

    def test_long_header_is_unauthenticated(self):
        self.assertEqual(
            self.authorization_code("Bearer " + "x" * LONG_HEADER_CHARACTERS),
            UNAUTHENTICATED)

    def test_oversized_header_fails_and_server_keeps_serving(self):
        metadata = (("authorization",
                     "Bearer " + "x" * OVERSIZED_HEADER_CHARACTERS),
                    ("x-tenant-id", self.tenant_id))
        # NOTE: gRPC 1.51 sometimes closes the connection after such a call,
        # and later calls on it fail with UNAVAILABLE. The call gets a
        # connection of its own, so that the shared channel stays usable.
        with grpc.insecure_channel(
                _server.address,
                options=[("grpc.use_local_subchannel_pool", 1)]) as channel:
            code = auth_testing.status_code_of(
                profile_pb2_grpc.ProfileServiceStub(channel).ListProfiles,
                profile_pb2.ListProfilesRequest(
                    parent=f"tenants/{self.tenant_id}"),
                metadata=metadata)
        self.assertNotEqual(code, OK)
        self.assertEqual(self.authorization_code(f"Bearer {self.key}"), OK)


class UppercaseHeaderNameTest(AuthTestCase):
    """`Authorization` as the header name, sent over raw HTTP/2."""

    @classmethod
    def setUpClass(cls):
        cls.tenant_id = auth_testing.unique_tenant_id("upper")
        auth_testing.create_tenant(_channel, ADMIN_KEY, cls.tenant_id)
        cls.key = new_key(cls.tenant_id).key
        cls.request = profile_pb2.ListProfilesRequest(
            parent=f"tenants/{cls.tenant_id}").SerializeToString()

    def raw_list_profiles(self, headers):
        return raw_http2.unary_call(
            _server.port, method_path("ProfileService", "ListProfiles"),
            [*headers, ("x-tenant-id", self.tenant_id)], self.request,
            timeout_seconds=RPC_TIMEOUT_SECONDS)

    def test_raw_client_lowercase_header_works(self):
        # Shows that raw_http2 makes calls that the server accepts.
        result = self.raw_list_profiles([("authorization",
                                          f"Bearer {self.key}")])
        self.assertEqual(result.grpc_status, GRPC_OK)
        self.assertTrue(result.has_response_message)

    def test_uppercase_header_with_valid_key_works(self):
        result = self.raw_list_profiles([("Authorization",
                                          f"Bearer {self.key}")])
        self.assertEqual(result.grpc_status, GRPC_OK)

    def test_uppercase_header_with_invalid_key_is_unauthenticated(self):
        result = self.raw_list_profiles([("Authorization",
                                          f"Bearer {near_miss(self.key)}")])
        self.assertEqual(result.grpc_status, GRPC_UNAUTHENTICATED)
        self.assertFalse(result.has_response_message)

    def test_tab_after_scheme_is_unauthenticated(self):
        # grpcio rejects a tab in a metadata value before sending it.
        result = self.raw_list_profiles([("authorization",
                                          f"Bearer\t{self.key}")])
        self.assertEqual(result.grpc_status, GRPC_UNAUTHENTICATED)

    def test_both_letter_cases_count_as_two_values(self):
        result = self.raw_list_profiles([
            ("Authorization", f"Bearer {ADMIN_KEY}"),
            ("authorization", f"Bearer {near_miss(self.key)}"),
        ])
        self.assertEqual(result.grpc_status, GRPC_UNAUTHENTICATED)
        self.assertFalse(result.has_response_message)


class SecretStorageTest(AuthTestCase):
    """The shared store keeps only SHA-256 of each key's secret part."""

    @classmethod
    def setUpClass(cls):
        cls.tenant_id = auth_testing.unique_tenant_id("stored")
        auth_testing.create_tenant(_channel, ADMIN_KEY, cls.tenant_id)
        cls.api_key = new_key(cls.tenant_id)
        cls.key_id = cls.api_key.name.rsplit("/", 1)[1]
        cls.secret = auth_testing.secret_part(cls.api_key.key)
        cls.shared_db = os.path.join(_server.data_dir, "shared.db")

    def data_file_bytes(self):
        """Return {path: bytes} of each data directory file but the log."""
        contents = {}
        for directory, _, files in os.walk(_server.data_dir):
            for file_name in files:
                path = os.path.join(directory, file_name)
                if path == _server.log_path:
                    continue
                with open(path, "rb") as data_file:
                    contents[path] = data_file.read()
        return contents

    def shared_store_bytes(self):
        """Return the bytes of shared.db followed by those of its -wal file.

        New rows are in the -wal file until SQLite checkpoints it.
        """
        data = b""
        for suffix in ("", "-wal"):
            path = self.shared_db + suffix
            if os.path.exists(path):
                with open(path, "rb") as data_file:
                    data += data_file.read()
        return data

    def test_shared_store_contains_key_id(self):
        # Shows that the byte scans below can see the key's row.
        self.assertIn(self.key_id.encode(), self.shared_store_bytes())

    def test_shared_store_contains_sha256_of_secret(self):
        digest = hashlib.sha256(self.secret.encode()).hexdigest()
        self.assertIn(digest.encode(), self.shared_store_bytes())

    def test_stored_hash_is_sha256_of_secret_part(self):
        rows = query_shared_store(
            "SELECT secret_sha256 FROM api_keys WHERE id = ?", self.key_id)
        self.assertEqual(rows,
                         [(hashlib.sha256(self.secret.encode()).hexdigest(),)])

    def test_no_data_file_contains_secret(self):
        secret_forms = {
            "secret hex": self.secret.encode(),
            "secret bytes": bytes.fromhex(self.secret),
            "first half of the secret": self.secret[:32].encode(),
            "whole key": self.api_key.key.encode(),
            "admin key": ADMIN_KEY.encode(),
        }
        for path, data in self.data_file_bytes().items():
            for form, secret_bytes in secret_forms.items():
                with self.subTest(path=os.path.basename(path), form=form):
                    self.assertNotIn(secret_bytes, data)


class LogTest(AuthTestCase):
    """Runs after every other class; see load_tests."""

    def test_log_records_calls(self):
        # Shows that the checks below read the server's log.
        self.assertIn("code=UNAUTHENTICATED", _server.log())

    def test_log_never_contains_a_key(self):
        self.assertTrue(SENT_KEYS, "the other tests sent no tenant key")
        log = _server.log_bytes()
        secrets_to_find = {"admin key": ADMIN_KEY}
        for index, key in enumerate(SENT_KEYS):
            secrets_to_find[f"key {index}"] = key
            secrets_to_find[f"secret of key {index}"] = key[-64:]
            secrets_to_find[f"first half of the secret of key {index}"] = (
                key[-64:-32])
        for name, secret in secrets_to_find.items():
            with self.subTest(secret=name):
                self.assertNotIn(secret.encode(), log)


def load_tests(loader, standard_tests, pattern):
    """Run the test classes in this order, with LogTest last."""
    suite = unittest.TestSuite()
    for test_class in (AdminKeyTest, MissingKeyTest, TenantKeyScopeTest,
                       SuspendedTenantTest, ApiKeyLifecycleTest, KeyFormatTest,
                       UppercaseHeaderNameTest, SecretStorageTest, LogTest):
        suite.addTests(loader.loadTestsFromTestCase(test_class))
    return suite


if __name__ == "__main__":
    unittest.main()
