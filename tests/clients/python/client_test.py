#!/usr/bin/python3
"""End-to-end tests of the Tenantry gRPC API through Python's grpcio.

The tests call a running tenantry_server at TENANTRY_ADDRESS (host:port).
The tenantry.v1 stubs, generated from proto/ with grpc_tools.protoc, must
be on PYTHONPATH. tests/clients/python/client_test.sh generates them,
starts the server and runs this file with Debian's /usr/bin/python3.

Each test class works in tenants and users of its own, with ids made
unique per run, so the classes share one server and run in any order.
"""

import os
import unittest
import uuid

import grpc
from google.protobuf import field_mask_pb2

from tenantry.v1 import document_pb2
from tenantry.v1 import document_pb2_grpc
from tenantry.v1 import profile_pb2
from tenantry.v1 import profile_pb2_grpc
from tenantry.v1 import tenant_pb2
from tenantry.v1 import tenant_pb2_grpc
from tenantry.v1 import user_pb2
from tenantry.v1 import user_pb2_grpc

# Deadline of every call, so that a hung server fails a test instead of
# blocking the suite until Bazel's timeout.
RPC_TIMEOUT_SECONDS = 10

# Every page walk stops after this many pages, so that a page token that
# never ends fails the test instead of looping forever.
MAX_PAGES = 100

# A well-formed resource id (26 characters of lowercase Crockford base32)
# that no server issues, because issued ids begin with the current time in
# milliseconds.
UNKNOWN_RESOURCE_ID = "0" * 26

_channel = None


def setUpModule():
    global _channel
    address = os.environ.get("TENANTRY_ADDRESS")
    if not address:
        raise RuntimeError(
            "TENANTRY_ADDRESS is not set. Set it to the host:port of a "
            "running tenantry_server, or run client_test.sh, which starts one")
    _channel = grpc.insecure_channel(address)
    try:
        grpc.channel_ready_future(_channel).result(timeout=RPC_TIMEOUT_SECONDS)
    except grpc.FutureTimeoutError:
        raise RuntimeError(
            f"no gRPC server answered at {address} within "
            f"{RPC_TIMEOUT_SECONDS} seconds") from None


def tearDownModule():
    if _channel is not None:
        _channel.close()


def unique_id(prefix):
    """Return `prefix` followed by 8 random hex digits, a valid tenant id."""
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def tenant_metadata(tenant_id):
    return (("x-tenant-id", tenant_id),)


class ApiTestCase(unittest.TestCase):
    """Base class with a stub per service and helpers shared by the tests."""

    def setUp(self):
        self.tenants = tenant_pb2_grpc.TenantServiceStub(_channel)
        self.users = user_pb2_grpc.UserServiceStub(_channel)
        self.profiles = profile_pb2_grpc.ProfileServiceStub(_channel)
        self.documents = document_pb2_grpc.DocumentServiceStub(_channel)

    def call(self, rpc, request, tenant_id=None):
        """Call `rpc` with the deadline, adding x-tenant-id if given."""
        metadata = tenant_metadata(tenant_id) if tenant_id else None
        return rpc(request, metadata=metadata, timeout=RPC_TIMEOUT_SECONDS)

    def assert_status(self, code, rpc, request, metadata=None):
        """Call `rpc` and assert that it fails with status `code`.

        Return the error so that a test can check its message.
        """
        with self.assertRaises(grpc.RpcError) as raised:
            rpc(request, metadata=metadata, timeout=RPC_TIMEOUT_SECONDS)
        error = raised.exception
        self.assertEqual(
            error.code(), code,
            f"the call failed with {error.code().name} "
            f"({error.details()}), expected {code.name}")
        return error

    def create_tenant(self, prefix="t"):
        tenant_id = unique_id(prefix)
        self.call(
            self.tenants.CreateTenant,
            tenant_pb2.CreateTenantRequest(
                tenant_id=tenant_id,
                tenant=tenant_pb2.Tenant(display_name=f"Tenant {tenant_id}")))
        return tenant_id

    def create_user(self, display_name="Test User"):
        email = f"{unique_id('user-')}@example.com"
        return self.call(
            self.users.CreateUser,
            user_pb2.CreateUserRequest(
                user=user_pb2.User(email=email, display_name=display_name)))

    def create_student_profile(self, tenant_id, user):
        return self.call(
            self.profiles.CreateProfile,
            profile_pb2.CreateProfileRequest(
                parent=f"tenants/{tenant_id}",
                profile=profile_pb2.Profile(
                    user=user.name,
                    full_name=user.display_name,
                    role=profile_pb2.STUDENT,
                    student_info=profile_pb2.StudentInfo(
                        school="Tenantry High School",
                        class_name="10A",
                        major="Mathematics",
                        academic_year="2025-2026"))),
            tenant_id)

    def walk_pages(self, list_page):
        """Call `list_page(page_token)` from the first page to the last.

        `list_page` returns a (items, next_page_token) pair. Return the
        items of each page as a list of lists, failing the test if the walk
        does not end within MAX_PAGES pages.
        """
        pages = []
        page_token = ""
        for _ in range(MAX_PAGES):
            items, page_token = list_page(page_token)
            pages.append(list(items))
            if not page_token:
                return pages
        self.fail(f"the page walk did not end after {MAX_PAGES} pages")


class TenantServiceTest(ApiTestCase):

    def test_create_get_list_update(self):
        tenant_id = unique_id("acme-")
        created = self.call(
            self.tenants.CreateTenant,
            tenant_pb2.CreateTenantRequest(
                tenant_id=tenant_id,
                tenant=tenant_pb2.Tenant(display_name="Acme School")))
        self.assertEqual(created.name, f"tenants/{tenant_id}")
        self.assertEqual(created.display_name, "Acme School")
        self.assertEqual(created.state, tenant_pb2.Tenant.ACTIVE)
        self.assertTrue(created.etag)
        self.assertGreater(created.create_time.seconds, 0)

        read = self.call(self.tenants.GetTenant,
                         tenant_pb2.GetTenantRequest(name=created.name))
        self.assertEqual(read, created)

        pages = self.walk_pages(self._list_tenant_page)
        listed = [tenant for page in pages for tenant in page]
        self.assertIn(created, listed)
        listed_ids = [tenant.name for tenant in listed]
        self.assertEqual(listed_ids, sorted(listed_ids),
                         "ListTenants must return tenants in id order")

        updated = self.call(
            self.tenants.UpdateTenant,
            tenant_pb2.UpdateTenantRequest(
                tenant=tenant_pb2.Tenant(name=created.name,
                                         display_name="Acme Academy",
                                         state=tenant_pb2.Tenant.SUSPENDED),
                update_mask=field_mask_pb2.FieldMask(paths=["display_name"])))
        self.assertEqual(updated.display_name, "Acme Academy")
        self.assertEqual(updated.state, tenant_pb2.Tenant.ACTIVE,
                         "state is outside the mask and must not change")
        self.assertNotEqual(updated.etag, created.etag)
        read = self.call(self.tenants.GetTenant,
                         tenant_pb2.GetTenantRequest(name=created.name))
        self.assertEqual(read, updated)

    def _list_tenant_page(self, page_token):
        response = self.call(
            self.tenants.ListTenants,
            tenant_pb2.ListTenantsRequest(page_size=100,
                                          page_token=page_token))
        return response.tenants, response.next_page_token

    def test_create_taken_id(self):
        tenant_id = self.create_tenant()
        self.assert_status(
            grpc.StatusCode.ALREADY_EXISTS, self.tenants.CreateTenant,
            tenant_pb2.CreateTenantRequest(
                tenant_id=tenant_id,
                tenant=tenant_pb2.Tenant(display_name="Second")))

    def test_create_malformed_id(self):
        self.assert_status(
            grpc.StatusCode.INVALID_ARGUMENT, self.tenants.CreateTenant,
            tenant_pb2.CreateTenantRequest(
                tenant_id="Not A Tenant",
                tenant=tenant_pb2.Tenant(display_name="Bad")))

    def test_get_unknown_tenant(self):
        self.assert_status(
            grpc.StatusCode.NOT_FOUND, self.tenants.GetTenant,
            tenant_pb2.GetTenantRequest(name=f"tenants/{unique_id('none-')}"))

    def test_update_stale_etag(self):
        tenant_id = self.create_tenant()
        name = f"tenants/{tenant_id}"
        first = self.call(self.tenants.GetTenant,
                          tenant_pb2.GetTenantRequest(name=name))
        self.call(
            self.tenants.UpdateTenant,
            tenant_pb2.UpdateTenantRequest(
                tenant=tenant_pb2.Tenant(name=name, display_name="Changed")))
        self.assert_status(
            grpc.StatusCode.ABORTED, self.tenants.UpdateTenant,
            tenant_pb2.UpdateTenantRequest(
                tenant=tenant_pb2.Tenant(name=name,
                                         display_name="Stale",
                                         etag=first.etag)))

    def test_check_database(self):
        tenant_id = self.create_tenant()
        result = self.call(
            self.tenants.CheckTenantDatabase,
            tenant_pb2.CheckTenantDatabaseRequest(name=f"tenants/{tenant_id}"))
        self.assertEqual(result.quick_check, "ok")
        self.assertGreater(result.schema_version, 0)

    def test_delete_tenant(self):
        tenant_id = self.create_tenant()
        name = f"tenants/{tenant_id}"
        deleted = self.call(self.tenants.DeleteTenant,
                            tenant_pb2.DeleteTenantRequest(name=name))
        self.assertEqual(deleted.state, tenant_pb2.Tenant.DELETED)
        self.assertGreater(deleted.purge_time.seconds,
                           deleted.delete_time.seconds)
        self.assert_status(
            grpc.StatusCode.NOT_FOUND, self.profiles.ListProfiles,
            profile_pb2.ListProfilesRequest(parent=name),
            tenant_metadata(tenant_id))
        restored = self.call(
            self.tenants.UndeleteTenant,
            tenant_pb2.UndeleteTenantRequest(name=name, etag=deleted.etag))
        self.assertEqual(restored.state, tenant_pb2.Tenant.ACTIVE)
        self.call(self.profiles.ListProfiles,
                  profile_pb2.ListProfilesRequest(parent=name), tenant_id)

    def test_force_delete_tenant(self):
        tenant_id = self.create_tenant()
        name = f"tenants/{tenant_id}"
        self.call(self.tenants.DeleteTenant,
                  tenant_pb2.DeleteTenantRequest(name=name, force=True))
        self.assert_status(grpc.StatusCode.NOT_FOUND, self.tenants.GetTenant,
                           tenant_pb2.GetTenantRequest(name=name))
        self.assert_status(
            grpc.StatusCode.NOT_FOUND, self.profiles.ListProfiles,
            profile_pb2.ListProfilesRequest(parent=name),
            tenant_metadata(tenant_id))


class UserServiceTest(ApiTestCase):

    def test_create_get_update(self):
        email = f"{unique_id('ann-')}@example.com"
        created = self.call(
            self.users.CreateUser,
            user_pb2.CreateUserRequest(
                user=user_pb2.User(email=email, display_name="Ann")))
        self.assertRegex(created.name, r"^users/[^/]+$")
        self.assertEqual(created.email, email)
        self.assertEqual(created.display_name, "Ann")
        self.assertTrue(created.etag)

        read = self.call(self.users.GetUser,
                         user_pb2.GetUserRequest(name=created.name))
        self.assertEqual(read, created)

        updated = self.call(
            self.users.UpdateUser,
            user_pb2.UpdateUserRequest(
                user=user_pb2.User(name=created.name,
                                   email="ignored@example.com",
                                   display_name="Ann Lee"),
                update_mask=field_mask_pb2.FieldMask(paths=["display_name"])))
        self.assertEqual(updated.display_name, "Ann Lee")
        self.assertEqual(updated.email, email,
                         "email is outside the mask and must not change")
        self.assertNotEqual(updated.etag, created.etag)

    def test_duplicate_email_other_case(self):
        local_part = unique_id("bob-")
        self.call(
            self.users.CreateUser,
            user_pb2.CreateUserRequest(user=user_pb2.User(
                email=f"{local_part}@example.com", display_name="Bob")))
        self.assert_status(
            grpc.StatusCode.ALREADY_EXISTS, self.users.CreateUser,
            user_pb2.CreateUserRequest(user=user_pb2.User(
                email=f"{local_part.upper()}@Example.COM",
                display_name="Bob Again")))

    def test_update_to_taken_email(self):
        first = self.create_user("First")
        second = self.create_user("Second")
        self.assert_status(
            grpc.StatusCode.ALREADY_EXISTS, self.users.UpdateUser,
            user_pb2.UpdateUserRequest(
                user=user_pb2.User(name=second.name,
                                   email=first.email.upper()),
                update_mask=field_mask_pb2.FieldMask(paths=["email"])))

    def test_list_includes_new_users(self):
        created = [self.create_user(f"Listed {i}") for i in range(3)]

        def list_page(page_token):
            response = self.call(
                self.users.ListUsers,
                user_pb2.ListUsersRequest(page_size=100,
                                          page_token=page_token))
            return response.users, response.next_page_token

        listed = [user.name for page in self.walk_pages(list_page)
                  for user in page]
        created_names = [user.name for user in created]
        self.assertEqual([name for name in listed if name in created_names],
                         created_names,
                         "ListUsers must return users in creation order")

    def test_get_unknown_user(self):
        self.assert_status(
            grpc.StatusCode.NOT_FOUND, self.users.GetUser,
            user_pb2.GetUserRequest(name=f"users/{UNKNOWN_RESOURCE_ID}"))

    def test_invalid_utf8_is_invalid_argument(self):
        # A CreateUserRequest whose user.email (field 2 of field 1) is the
        # single byte 0xff, which is not UTF-8. Python stubs refuse to
        # build such a message, so the bytes are sent as they are.
        create_user = _channel.unary_unary(
            "/tenantry.v1.UserService/CreateUser",
            request_serializer=None, response_deserializer=None)
        with self.assertRaises(grpc.RpcError) as raised:
            create_user(b"\x0a\x03\x12\x01\xff", timeout=10)
        self.assertEqual(raised.exception.code(),
                         grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("UTF-8", raised.exception.details())

    def test_get_malformed_user_name(self):
        self.assert_status(grpc.StatusCode.INVALID_ARGUMENT, self.users.GetUser,
                           user_pb2.GetUserRequest(name="users/unknown"))


class ProfileServiceTest(ApiTestCase):

    @classmethod
    def setUpClass(cls):
        cls.tenant_id = unique_id("school-")
        tenant_pb2_grpc.TenantServiceStub(_channel).CreateTenant(
            tenant_pb2.CreateTenantRequest(
                tenant_id=cls.tenant_id,
                tenant=tenant_pb2.Tenant(display_name="Profile tests")),
            timeout=RPC_TIMEOUT_SECONDS)

    def test_create_student_and_read_back(self):
        user = self.create_user("Carla Student")
        created = self.create_student_profile(self.tenant_id, user)
        self.assertRegex(created.name,
                         rf"^tenants/{self.tenant_id}/profiles/[^/]+$")
        self.assertEqual(created.user, user.name)
        self.assertEqual(created.full_name, "Carla Student")
        self.assertEqual(created.role, profile_pb2.STUDENT)
        self.assertEqual(created.student_info.school, "Tenantry High School")
        self.assertEqual(created.student_info.class_name, "10A")
        self.assertEqual(created.student_info.major, "Mathematics")
        self.assertEqual(created.student_info.academic_year, "2025-2026")
        self.assertFalse(created.HasField("teacher_info"))
        self.assertEqual(created.verification_status,
                         profile_pb2.Profile.UNVERIFIED)
        self.assertTrue(created.etag)

        read = self.call(self.profiles.GetProfile,
                         profile_pb2.GetProfileRequest(name=created.name),
                         self.tenant_id)
        self.assertEqual(read, created)

    def test_second_profile_for_user(self):
        user = self.create_user()
        self.create_student_profile(self.tenant_id, user)
        self.assert_status(
            grpc.StatusCode.ALREADY_EXISTS, self.profiles.CreateProfile,
            profile_pb2.CreateProfileRequest(
                parent=f"tenants/{self.tenant_id}",
                profile=profile_pb2.Profile(user=user.name,
                                            full_name="Second")),
            tenant_metadata(self.tenant_id))

    def test_taken_slug(self):
        slug = unique_id("slug-")
        first = self.call(
            self.profiles.CreateProfile,
            profile_pb2.CreateProfileRequest(
                parent=f"tenants/{self.tenant_id}",
                profile=profile_pb2.Profile(user=self.create_user().name,
                                            full_name="First", slug=slug)),
            self.tenant_id)
        self.assertEqual(first.slug, slug)
        self.assert_status(
            grpc.StatusCode.ALREADY_EXISTS, self.profiles.CreateProfile,
            profile_pb2.CreateProfileRequest(
                parent=f"tenants/{self.tenant_id}",
                profile=profile_pb2.Profile(user=self.create_user().name,
                                            full_name="Second", slug=slug)),
            tenant_metadata(self.tenant_id))

        listed = self.call(
            self.profiles.ListProfiles,
            profile_pb2.ListProfilesRequest(parent=f"tenants/{self.tenant_id}",
                                            filter=f'slug = "{slug}"'),
            self.tenant_id)
        self.assertEqual([profile.name for profile in listed.profiles],
                         [first.name])

    def test_create_for_unknown_user(self):
        self.assert_status(
            grpc.StatusCode.NOT_FOUND, self.profiles.CreateProfile,
            profile_pb2.CreateProfileRequest(
                parent=f"tenants/{self.tenant_id}",
                profile=profile_pb2.Profile(user=f"users/{UNKNOWN_RESOURCE_ID}",
                                            full_name="Nobody")),
            tenant_metadata(self.tenant_id))

    def test_lookup_by_user(self):
        user = self.create_user("Dan Lookup")
        profile = self.create_student_profile(self.tenant_id, user)
        found = self.call(
            self.profiles.LookupProfileByUser,
            profile_pb2.LookupProfileByUserRequest(
                parent=f"tenants/{self.tenant_id}", user=user.name),
            self.tenant_id)
        self.assertEqual(found.user, user)
        self.assertEqual(found.profile, profile)

    def test_lookup_user_without_profile(self):
        user = self.create_user("Eve No Profile")
        found = self.call(
            self.profiles.LookupProfileByUser,
            profile_pb2.LookupProfileByUserRequest(
                parent=f"tenants/{self.tenant_id}", user=user.name),
            self.tenant_id)
        self.assertEqual(found.user, user)
        self.assertFalse(found.HasField("profile"))

    def test_update_with_mask(self):
        user = self.create_user("Finn Before")
        created = self.create_student_profile(self.tenant_id, user)
        updated = self.call(
            self.profiles.UpdateProfile,
            profile_pb2.UpdateProfileRequest(
                profile=profile_pb2.Profile(
                    name=created.name,
                    full_name="Finn After",
                    bio="not in the mask",
                    student_info=profile_pb2.StudentInfo(class_name="11B"),
                    privacy_settings=profile_pb2.PrivacySettings(
                        visibility=profile_pb2.PRIVATE)),
                update_mask=field_mask_pb2.FieldMask(
                    paths=["full_name", "privacy_settings.visibility"])),
            self.tenant_id)
        self.assertEqual(updated.full_name, "Finn After")
        self.assertEqual(updated.privacy_settings.visibility,
                         profile_pb2.PRIVATE)
        self.assertEqual(updated.bio, "", "bio is outside the mask")
        self.assertEqual(updated.student_info, created.student_info,
                         "student_info is outside the mask")
        self.assertEqual(updated.role, profile_pb2.STUDENT)
        self.assertNotEqual(updated.etag, created.etag)

        read = self.call(self.profiles.GetProfile,
                         profile_pb2.GetProfileRequest(name=created.name),
                         self.tenant_id)
        self.assertEqual(read, updated)

    def test_update_stale_etag(self):
        created = self.create_student_profile(self.tenant_id,
                                              self.create_user())
        self.call(
            self.profiles.UpdateProfile,
            profile_pb2.UpdateProfileRequest(
                profile=profile_pb2.Profile(name=created.name, bio="First"),
                update_mask=field_mask_pb2.FieldMask(paths=["bio"])),
            self.tenant_id)
        self.assert_status(
            grpc.StatusCode.ABORTED, self.profiles.UpdateProfile,
            profile_pb2.UpdateProfileRequest(
                profile=profile_pb2.Profile(name=created.name,
                                            bio="Second",
                                            etag=created.etag),
                update_mask=field_mask_pb2.FieldMask(paths=["bio"])),
            tenant_metadata(self.tenant_id))

    def test_create_and_list_posts(self):
        author = self.create_student_profile(self.tenant_id,
                                             self.create_user("Gia Author"))
        contents = ["First post", "Second post", "Third post"]
        created = []
        for content in contents:
            post = self.call(
                self.profiles.CreatePost,
                profile_pb2.CreatePostRequest(
                    parent=author.name,
                    post=profile_pb2.Post(
                        content=content,
                        media_urls=["https://example.com/a.png"])),
                self.tenant_id)
            self.assertRegex(post.name, rf"^{author.name}/posts/[^/]+$")
            self.assertEqual(post.content, content)
            self.assertEqual(post.visibility, profile_pb2.PUBLIC)
            created.append(post)

        listed = self.call(self.profiles.ListPosts,
                           profile_pb2.ListPostsRequest(parent=author.name),
                           self.tenant_id)
        self.assertEqual(list(listed.posts), created)
        self.assertEqual(listed.next_page_token, "")

    def test_list_filtered_by_role(self):
        student = self.create_student_profile(self.tenant_id,
                                              self.create_user())
        teacher = self.call(
            self.profiles.CreateProfile,
            profile_pb2.CreateProfileRequest(
                parent=f"tenants/{self.tenant_id}",
                profile=profile_pb2.Profile(
                    user=self.create_user("Hal Teacher").name,
                    full_name="Hal Teacher",
                    role=profile_pb2.TEACHER,
                    teacher_info=profile_pb2.TeacherInfo(subject="Physics"))),
            self.tenant_id)

        def list_page(page_token):
            response = self.call(
                self.profiles.ListProfiles,
                profile_pb2.ListProfilesRequest(
                    parent=f"tenants/{self.tenant_id}",
                    filter="role = TEACHER",
                    page_size=100,
                    page_token=page_token),
                self.tenant_id)
            return response.profiles, response.next_page_token

        teachers = [profile.name for page in self.walk_pages(list_page)
                    for profile in page]
        self.assertIn(teacher.name, teachers)
        self.assertNotIn(student.name, teachers)


class DocumentServiceTest(ApiTestCase):

    # Every byte value once, including NUL, 0x80 and bytes that are not
    # valid UTF-8 on their own.
    ALL_BYTES = bytes(range(256))

    @classmethod
    def setUpClass(cls):
        cls.tenant_id = unique_id("docs-")
        tenant_pb2_grpc.TenantServiceStub(_channel).CreateTenant(
            tenant_pb2.CreateTenantRequest(
                tenant_id=cls.tenant_id,
                tenant=tenant_pb2.Tenant(display_name="Document tests")),
            timeout=RPC_TIMEOUT_SECONDS)

    def create_binary_document(self, owner=""):
        return self.call(
            self.documents.CreateDocument,
            document_pb2.CreateDocumentRequest(
                parent=f"tenants/{self.tenant_id}",
                document=document_pb2.Document(title="All bytes",
                                               content=self.ALL_BYTES,
                                               owner=owner)),
            self.tenant_id)

    def get_document(self, name, view):
        return self.call(self.documents.GetDocument,
                         document_pb2.GetDocumentRequest(name=name, view=view),
                         self.tenant_id)

    def test_binary_content_round_trip(self):
        created = self.create_binary_document()
        self.assertRegex(created.name,
                         rf"^tenants/{self.tenant_id}/documents/[^/]+$")
        self.assertEqual(created.size_bytes, 256)
        self.assertEqual(created.content_type, "application/octet-stream")

        for view in (document_pb2.FULL, document_pb2.DOCUMENT_VIEW_UNSPECIFIED):
            with self.subTest(view=document_pb2.DocumentView.Name(view)):
                read = self.get_document(created.name, view)
                self.assertEqual(read.content, self.ALL_BYTES)
                self.assertEqual(read.size_bytes, 256)
                self.assertEqual(read.title, "All bytes")
                self.assertEqual(read.etag, created.etag)

    def test_basic_view_omits_content(self):
        created = self.create_binary_document()
        read = self.get_document(created.name, document_pb2.BASIC)
        self.assertEqual(read.content, b"")
        self.assertEqual(read.size_bytes, 256)
        self.assertEqual(read.title, "All bytes")

    def test_list_views(self):
        created = self.create_binary_document()
        for view, expected_content in (
                (document_pb2.DOCUMENT_VIEW_UNSPECIFIED, b""),
                (document_pb2.BASIC, b""),
                (document_pb2.FULL, self.ALL_BYTES)):
            with self.subTest(view=document_pb2.DocumentView.Name(view)):
                documents = self._list_all(view)
                matches = [document for document in documents
                           if document.name == created.name]
                self.assertEqual(len(matches), 1)
                self.assertEqual(matches[0].content, expected_content)
                self.assertEqual(matches[0].size_bytes, 256)

    def _list_all(self, view):
        def list_page(page_token):
            response = self.call(
                self.documents.ListDocuments,
                document_pb2.ListDocumentsRequest(
                    parent=f"tenants/{self.tenant_id}",
                    page_size=100,
                    page_token=page_token,
                    view=view),
                self.tenant_id)
            return response.documents, response.next_page_token

        return [document for page in self.walk_pages(list_page)
                for document in page]

    def test_update_content_with_mask(self):
        created = self.create_binary_document()
        updated = self.call(
            self.documents.UpdateDocument,
            document_pb2.UpdateDocumentRequest(
                document=document_pb2.Document(name=created.name,
                                               title="not in the mask",
                                               content=b"\x00\xff\x00",
                                               content_type="text/plain"),
                update_mask=field_mask_pb2.FieldMask(
                    paths=["content", "content_type"])),
            self.tenant_id)
        self.assertEqual(updated.title, "All bytes")
        self.assertEqual(updated.content_type, "text/plain")
        self.assertEqual(updated.size_bytes, 3)
        read = self.get_document(created.name, document_pb2.FULL)
        self.assertEqual(read.content, b"\x00\xff\x00")

    def test_delete(self):
        created = self.create_binary_document()
        self.call(self.documents.DeleteDocument,
                  document_pb2.DeleteDocumentRequest(name=created.name),
                  self.tenant_id)
        self.assert_status(
            grpc.StatusCode.NOT_FOUND, self.documents.GetDocument,
            document_pb2.GetDocumentRequest(name=created.name),
            tenant_metadata(self.tenant_id))

    def test_unknown_owner(self):
        self.assert_status(
            grpc.StatusCode.NOT_FOUND, self.documents.CreateDocument,
            document_pb2.CreateDocumentRequest(
                parent=f"tenants/{self.tenant_id}",
                document=document_pb2.Document(
                    title="Orphan",
                    owner=(f"tenants/{self.tenant_id}/profiles/"
                           f"{UNKNOWN_RESOURCE_ID}"))),
            tenant_metadata(self.tenant_id))


class PaginationTest(ApiTestCase):

    DOCUMENT_COUNT = 30
    PAGE_SIZE = 7

    def test_documents_in_pages_of_seven(self):
        tenant_id = self.create_tenant("pages-")
        parent = f"tenants/{tenant_id}"
        created = []
        for i in range(self.DOCUMENT_COUNT):
            document = self.call(
                self.documents.CreateDocument,
                document_pb2.CreateDocumentRequest(
                    parent=parent,
                    document=document_pb2.Document(title=f"Document {i}",
                                                   content=bytes([i]))),
                tenant_id)
            created.append(document.name)

        def list_page(page_token):
            response = self.call(
                self.documents.ListDocuments,
                document_pb2.ListDocumentsRequest(parent=parent,
                                                  page_size=self.PAGE_SIZE,
                                                  page_token=page_token),
                tenant_id)
            return ([document.name for document in response.documents],
                    response.next_page_token)

        pages = self.walk_pages(list_page)
        self.assertEqual([len(page) for page in pages], [7, 7, 7, 7, 2])
        listed = [name for page in pages for name in page]
        self.assertEqual(len(listed), len(set(listed)),
                         "a document appeared on more than one page")
        self.assertEqual(listed, created,
                         "pages must hold every document once, in "
                         "creation order")

    def test_token_with_other_parent(self):
        first_tenant = self.create_tenant("pages-")
        for i in range(3):
            self.call(
                self.documents.CreateDocument,
                document_pb2.CreateDocumentRequest(
                    parent=f"tenants/{first_tenant}",
                    document=document_pb2.Document(title=f"Document {i}")),
                first_tenant)
        first_page = self.call(
            self.documents.ListDocuments,
            document_pb2.ListDocumentsRequest(parent=f"tenants/{first_tenant}",
                                              page_size=1),
            first_tenant)
        self.assertTrue(first_page.next_page_token)

        second_tenant = self.create_tenant("pages-")
        self.assert_status(
            grpc.StatusCode.INVALID_ARGUMENT, self.documents.ListDocuments,
            document_pb2.ListDocumentsRequest(
                parent=f"tenants/{second_tenant}",
                page_size=1,
                page_token=first_page.next_page_token),
            tenant_metadata(second_tenant))

    def test_negative_page_size(self):
        tenant_id = self.create_tenant("pages-")
        self.assert_status(
            grpc.StatusCode.INVALID_ARGUMENT, self.documents.ListDocuments,
            document_pb2.ListDocumentsRequest(parent=f"tenants/{tenant_id}",
                                              page_size=-1),
            tenant_metadata(tenant_id))


class TenantResolutionTest(ApiTestCase):
    """The x-tenant-id checks that every tenant-scoped call goes through."""

    def setUp(self):
        super().setUp()
        self.tenant_id = self.create_tenant("own-")
        self.parent = f"tenants/{self.tenant_id}"

    def list_profiles_request(self):
        return profile_pb2.ListProfilesRequest(parent=self.parent)

    def test_missing_tenant_id(self):
        self.assert_status(grpc.StatusCode.INVALID_ARGUMENT,
                           self.profiles.ListProfiles,
                           self.list_profiles_request())
        self.assert_status(
            grpc.StatusCode.INVALID_ARGUMENT, self.documents.ListDocuments,
            document_pb2.ListDocumentsRequest(parent=self.parent))

    def test_empty_tenant_id(self):
        self.assert_status(grpc.StatusCode.INVALID_ARGUMENT,
                           self.profiles.ListProfiles,
                           self.list_profiles_request(), tenant_metadata(""))

    def test_malformed_tenant_id(self):
        for malformed in ("Acme", "1acme", "acme!", "a" * 64):
            with self.subTest(tenant_id=malformed):
                self.assert_status(
                    grpc.StatusCode.INVALID_ARGUMENT,
                    self.profiles.ListProfiles,
                    profile_pb2.ListProfilesRequest(
                        parent=f"tenants/{malformed}"),
                    tenant_metadata(malformed))

    def test_two_tenant_ids(self):
        self.assert_status(
            grpc.StatusCode.INVALID_ARGUMENT, self.profiles.ListProfiles,
            self.list_profiles_request(),
            tenant_metadata(self.tenant_id) + tenant_metadata(self.tenant_id))

    def test_unknown_tenant(self):
        unknown = unique_id("unknown-")
        self.assert_status(
            grpc.StatusCode.NOT_FOUND, self.profiles.ListProfiles,
            profile_pb2.ListProfilesRequest(parent=f"tenants/{unknown}"),
            tenant_metadata(unknown))
        self.assert_status(
            grpc.StatusCode.NOT_FOUND, self.documents.ListDocuments,
            document_pb2.ListDocumentsRequest(parent=f"tenants/{unknown}"),
            tenant_metadata(unknown))

    def test_suspended_tenant(self):
        self.set_state(tenant_pb2.Tenant.SUSPENDED)
        self.assert_status(grpc.StatusCode.FAILED_PRECONDITION,
                           self.profiles.ListProfiles,
                           self.list_profiles_request(),
                           tenant_metadata(self.tenant_id))
        self.assert_status(
            grpc.StatusCode.FAILED_PRECONDITION, self.documents.CreateDocument,
            document_pb2.CreateDocumentRequest(
                parent=self.parent,
                document=document_pb2.Document(title="While suspended")),
            tenant_metadata(self.tenant_id))

        self.set_state(tenant_pb2.Tenant.ACTIVE)
        listed = self.call(self.profiles.ListProfiles,
                           self.list_profiles_request(), self.tenant_id)
        self.assertEqual(len(listed.profiles), 0)

    def set_state(self, state):
        updated = self.call(
            self.tenants.UpdateTenant,
            tenant_pb2.UpdateTenantRequest(
                tenant=tenant_pb2.Tenant(name=self.parent, state=state),
                update_mask=field_mask_pb2.FieldMask(paths=["state"])))
        self.assertEqual(updated.state, state)

    def test_parent_of_other_tenant(self):
        other_id = self.create_tenant("other-")
        self.assert_status(
            grpc.StatusCode.INVALID_ARGUMENT, self.profiles.ListProfiles,
            profile_pb2.ListProfilesRequest(parent=f"tenants/{other_id}"),
            tenant_metadata(self.tenant_id))
        self.assert_status(
            grpc.StatusCode.INVALID_ARGUMENT, self.documents.CreateDocument,
            document_pb2.CreateDocumentRequest(
                parent=f"tenants/{other_id}",
                document=document_pb2.Document(title="Wrong tenant")),
            tenant_metadata(self.tenant_id))

    def test_profile_of_other_tenant(self):
        other_id = self.create_tenant("other-")
        other_profile = self.create_student_profile(other_id,
                                                    self.create_user())
        own_metadata = tenant_metadata(self.tenant_id)
        self.assert_status(
            grpc.StatusCode.INVALID_ARGUMENT, self.profiles.GetProfile,
            profile_pb2.GetProfileRequest(name=other_profile.name),
            own_metadata)
        self.assert_status(
            grpc.StatusCode.INVALID_ARGUMENT, self.profiles.CreatePost,
            profile_pb2.CreatePostRequest(
                parent=other_profile.name,
                post=profile_pb2.Post(content="Wrong tenant")),
            own_metadata)
        self.assert_status(
            grpc.StatusCode.INVALID_ARGUMENT, self.documents.CreateDocument,
            document_pb2.CreateDocumentRequest(
                parent=self.parent,
                document=document_pb2.Document(title="Foreign owner",
                                               owner=other_profile.name)),
            own_metadata)

        read = self.call(self.profiles.GetProfile,
                         profile_pb2.GetProfileRequest(name=other_profile.name),
                         other_id)
        self.assertEqual(read, other_profile,
                         "the rejected calls must leave the profile as it was")

    def test_document_of_other_tenant(self):
        other_id = self.create_tenant("other-")
        document = self.call(
            self.documents.CreateDocument,
            document_pb2.CreateDocumentRequest(
                parent=f"tenants/{other_id}",
                document=document_pb2.Document(title="Other tenant's")),
            other_id)
        own_metadata = tenant_metadata(self.tenant_id)
        self.assert_status(
            grpc.StatusCode.INVALID_ARGUMENT, self.documents.GetDocument,
            document_pb2.GetDocumentRequest(name=document.name), own_metadata)
        self.assert_status(
            grpc.StatusCode.INVALID_ARGUMENT, self.documents.DeleteDocument,
            document_pb2.DeleteDocumentRequest(name=document.name),
            own_metadata)
        read = self.call(self.documents.GetDocument,
                         document_pb2.GetDocumentRequest(name=document.name),
                         other_id)
        self.assertEqual(read.name, document.name)


if __name__ == "__main__":
    unittest.main()
