#!/usr/bin/python3
"""Creates a user and a student profile in dev_tenant, then reads it back.

Usage: example_client.py ADDRESS STUBS_DIR

STUBS_DIR contains Python code generated from proto/ with grpc_tools.protoc;
tools/run_example_client.sh generates it and runs this script.
"""

import sys
import uuid

import grpc


def main():
    address, stubs_dir = sys.argv[1], sys.argv[2]
    sys.path.insert(0, stubs_dir)
    from tenantry.v1 import profile_pb2, profile_pb2_grpc, user_pb2, user_pb2_grpc

    channel = grpc.insecure_channel(address)
    users = user_pb2_grpc.UserServiceStub(channel)
    profiles = profile_pb2_grpc.ProfileServiceStub(channel)
    tenant = [("x-tenant-id", "dev_tenant")]

    email = f"student-{uuid.uuid4().hex[:8]}@example.com"
    user = users.CreateUser(
        user_pb2.CreateUserRequest(
            user=user_pb2.User(email=email, display_name="Example Student")))
    created = profiles.CreateProfile(
        profile_pb2.CreateProfileRequest(
            parent="tenants/dev_tenant",
            profile=profile_pb2.Profile(
                user=user.name,
                full_name="Example Student",
                role=profile_pb2.STUDENT,
                student_info=profile_pb2.StudentInfo(
                    school="Tenantry High School", class_name="10A"))),
        metadata=tenant)
    read = profiles.GetProfile(
        profile_pb2.GetProfileRequest(name=created.name), metadata=tenant)

    if read != created:
        sys.exit(f"read back a different profile:\n{read}\nexpected:\n{created}")
    print(f"created and read back {read.name} for {user.name} ({email})")


if __name__ == "__main__":
    main()
