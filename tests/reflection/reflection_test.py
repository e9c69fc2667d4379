"""Checks server reflection the way grpcurl uses it: list the services, then
fetch the file descriptors that describe each one, with all their imports.

Usage: reflection_test.py ADDRESS STUBS_DIR
"""

import sys
import unittest

import grpc
from google.protobuf import descriptor_pb2

ADDRESS = None
EXPECTED_SERVICES = {
    "grpc.health.v1.Health",
    "tenantry.v1.DocumentService",
    "tenantry.v1.ProfileService",
    "tenantry.v1.TenantService",
    "tenantry.v1.UserService",
}


class ReflectionTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        from grpc_reflection import reflection_pb2, reflection_pb2_grpc
        cls.messages = reflection_pb2
        cls.channel = grpc.insecure_channel(ADDRESS)
        cls.stub = reflection_pb2_grpc.ServerReflectionStub(cls.channel)

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()

    def call_reflection(self, **request):
        """Sends one reflection request and returns the one response."""
        responses = list(
            self.stub.ServerReflectionInfo(
                iter([self.messages.ServerReflectionRequest(**request)]),
                timeout=10))
        self.assertEqual(len(responses), 1)
        return responses[0]

    def files_for(self, **request):
        """Returns the FileDescriptorProtos in a response, by file name."""
        response = self.call_reflection(**request)
        self.assertEqual(response.WhichOneof("message_response"),
                         "file_descriptor_response", response)
        files = {}
        for serialized in response.file_descriptor_response.file_descriptor_proto:
            file = descriptor_pb2.FileDescriptorProto.FromString(serialized)
            files[file.name] = file
        return files

    def test_lists_every_service(self):
        response = self.call_reflection(list_services="")
        names = {service.name for service in
                 response.list_services_response.service}
        self.assertTrue(EXPECTED_SERVICES <= names, names)

    def test_describes_each_service_with_its_imports(self):
        for service in sorted(EXPECTED_SERVICES):
            with self.subTest(service=service):
                files = self.files_for(file_containing_symbol=service)
                package, _, name = service.rpartition(".")
                defining = [f for f in files.values()
                            if f.package == package and
                            name in {s.name for s in f.service}]
                self.assertEqual(len(defining), 1, sorted(files))
                # grpcurl needs every import to rebuild the descriptors.
                known = set(files)
                for dependency in defining[0].dependency:
                    if dependency not in known:
                        known.update(
                            self.files_for(file_by_filename=dependency))
                    self.assertIn(dependency, known)

    def test_profile_methods_carry_http_annotations(self):
        files = self.files_for(
            file_containing_symbol="tenantry.v1.ProfileService")
        profile = files["tenantry/v1/profile.proto"]
        self.assertIn("google/api/annotations.proto", profile.dependency)
        service = next(s for s in profile.service if s.name == "ProfileService")
        methods = {method.name: method for method in service.method}
        self.assertIn("GetProfile", methods)
        # google.api.http is extension 72295728 of MethodOptions.
        self.assertIn(b"/v1/{name=tenants/*/profiles/*}",
                      methods["GetProfile"].options.SerializeToString())

    def test_unknown_symbol_is_not_found(self):
        response = self.call_reflection(file_containing_symbol="tenantry.v1.NoSuchService")
        self.assertEqual(response.WhichOneof("message_response"),
                         "error_response")
        self.assertEqual(response.error_response.error_code,
                         grpc.StatusCode.NOT_FOUND.value[0])


if __name__ == "__main__":
    ADDRESS = sys.argv[1]
    sys.path.insert(0, sys.argv[2])
    unittest.main(argv=sys.argv[:1], verbosity=2)
