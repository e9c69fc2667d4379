"""Runs the README's grpcurl examples without grpcurl.

grpcurl is not packaged in Debian 12, so this script does what grpcurl
does for the flags the README uses. It learns the services from server
reflection and turns the -d JSON into a request of the method's type. It
sends the -H headers as metadata and prints the response as JSON. A
command that grpcurl would reject, or that the server returns an error
for, fails the test.

Usage: grpcurl_examples_test.py README ADDRESS STUBS_DIR [BLOCK]

BLOCK is the name in the README's `<!-- BLOCK:start -->` and
`<!-- BLOCK:end -->` markers; it defaults to grpcurl-examples. In the
api-key-examples block, $TENANTRY_ADMIN_KEY comes from the environment and
TENANT_KEY is the key that the CreateApiKey example returns.
"""

import json
import re
import shlex
import sys

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, json_format
from google.protobuf import message_factory

import os

README_ADDRESS = "127.0.0.1:50051"
# The minimum number of commands in each block, so that a moved marker
# fails the test.
MIN_COMMANDS = {"grpcurl-examples": 5, "api-key-examples": 2}


def read_examples(readme_path, block_name):
    """Returns the grpcurl commands between the markers, one per entry."""
    with open(readme_path) as file:
        text = file.read()
    start_marker = f"<!-- {block_name}:start -->"
    start = text.index(start_marker) + len(start_marker)
    block = text[start:text.index(f"<!-- {block_name}:end -->")]
    commands = []
    for line in block.replace("\\\n", " ").splitlines():
        line = line.strip()
        if line.startswith("grpcurl "):
            commands.append(line)
    return commands


class Reflection:
    """Builds message classes from the server's reflection service."""

    def __init__(self, channel, stubs):
        self.stubs = stubs
        self.stub = stubs.reflection_pb2_grpc.ServerReflectionStub(channel)
        self.pool = descriptor_pool.DescriptorPool()
        self.factory = message_factory.MessageFactory(self.pool)
        self.loaded = set()

    def call(self, **request):
        responses = list(self.stub.ServerReflectionInfo(
            iter([self.stubs.reflection_pb2.ServerReflectionRequest(
                **request)]), timeout=10))
        response = responses[0]
        if response.HasField("error_response"):
            raise LookupError(response.error_response.error_message)
        return response

    def services(self):
        response = self.call(list_services="")
        return [service.name for service in
                response.list_services_response.service]

    def load(self, **request):
        """Adds the files of a response, dependencies first, to the pool."""
        files = {}
        for serialized in self.call(
                **request).file_descriptor_response.file_descriptor_proto:
            file = descriptor_pb2.FileDescriptorProto.FromString(serialized)
            files[file.name] = file
        for name in files:
            self.add(name, files)

    def add(self, name, files):
        if name in self.loaded:
            return
        if name not in files:
            self.load(file_by_filename=name)
            return
        for dependency in files[name].dependency:
            self.add(dependency, files)
        self.pool.Add(files[name])
        self.loaded.add(name)

    def service(self, name):
        self.load(file_containing_symbol=name)
        return self.pool.FindServiceByName(name)


def run(command, channel, reflection, placeholders):
    """Runs one grpcurl command line and returns its output as text."""
    words = shlex.split(command)[1:]
    headers, data, rest = [], None, []
    while words:
        word = words.pop(0)
        if word == "-plaintext":
            continue
        if word == "-H":
            header = words.pop(0)
            for placeholder, value in placeholders.items():
                header = header.replace(placeholder, value)
            key, _, value = header.partition(":")
            headers.append((key.strip().lower(), value.strip()))
        elif word == "-d":
            data = words.pop(0)
        elif word.startswith("-"):
            raise ValueError(f"flag {word} is not supported by this runner")
        else:
            rest.append(word)
    if rest[0] != README_ADDRESS:
        raise ValueError(f"address {rest[0]} is not {README_ADDRESS}")
    verb = rest[1:]

    if verb == ["list"]:
        return "\n".join(reflection.services())
    if verb[0] == "describe":
        service = reflection.service(verb[1])
        return "\n".join(method.full_name for method in service.methods)

    service_name, _, method_name = verb[0].rpartition("/")
    method = reflection.service(service_name).methods_by_name[method_name]
    request_class = reflection.factory.GetPrototype(method.input_type)
    response_class = reflection.factory.GetPrototype(method.output_type)
    for placeholder, value in placeholders.items():
        data = data.replace(placeholder, value)
    request = json_format.Parse(data or "{}", request_class())
    call = channel.unary_unary(
        f"/{service_name}/{method_name}",
        request_serializer=lambda message: message.SerializeToString(),
        response_deserializer=response_class.FromString)
    response = call(request, metadata=headers, timeout=10)
    return json_format.MessageToJson(response, preserving_proto_field_name=True)


def main():
    readme, address, stubs_dir = sys.argv[1:4]
    block_name = sys.argv[4] if len(sys.argv) > 4 else "grpcurl-examples"
    sys.path.insert(0, stubs_dir)
    import grpc_reflection.reflection_pb2
    import grpc_reflection.reflection_pb2_grpc
    channel = grpc.insecure_channel(address)
    reflection = Reflection(channel, grpc_reflection)

    commands = read_examples(readme, block_name)
    if len(commands) < MIN_COMMANDS[block_name]:
        sys.exit(f"FAIL: found {len(commands)} grpcurl examples in the "
                 f"{block_name} block of {readme}")
    placeholders = {}
    if "TENANTRY_ADMIN_KEY" in os.environ:
        placeholders["$TENANTRY_ADMIN_KEY"] = os.environ["TENANTRY_ADMIN_KEY"]
    failures = 0
    for command in commands:
        try:
            output = run(command, channel, reflection, placeholders)
        except (grpc.RpcError, LookupError, ValueError, KeyError,
                json_format.ParseError) as error:
            failures += 1
            print(f"FAIL: {command}\n  {error}")
            continue
        print(f"ok: {command}")
        # Later examples refer to resources that earlier ones create.
        if "UserService/CreateUser" in command:
            placeholders["USER_ID"] = json.loads(output)["name"].split("/")[-1]
        if "TenantService/CreateApiKey" in command:
            placeholders["TENANT_KEY"] = json.loads(output)["key"]
        if "ProfileService/CreateProfile" in command:
            placeholders["PROFILE_ID"] = (
                json.loads(output)["name"].split("/")[-1])
    if failures == 0:
        print(f"all {len(commands)} grpcurl examples succeeded")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
