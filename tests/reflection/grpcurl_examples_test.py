"""Runs the README's grpcurl examples without grpcurl.

grpcurl is not packaged in Debian 12, so this script does what grpcurl
does for the flags the README uses. It learns the services from server
reflection and turns the -d JSON into a request of the method's type. It
sends the -H headers as metadata and prints the response as JSON. A
command that grpcurl would reject, or that the server returns an error
for, fails the test.

Usage: grpcurl_examples_test.py README ADDRESS STUBS_DIR
"""

import json
import re
import shlex
import sys

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, json_format
from google.protobuf import message_factory

EXAMPLES_START = "<!-- grpcurl-examples:start -->"
EXAMPLES_END = "<!-- grpcurl-examples:end -->"
README_ADDRESS = "127.0.0.1:50051"


def read_examples(readme_path):
    """Returns the grpcurl commands between the markers, one per entry."""
    with open(readme_path) as file:
        text = file.read()
    start = text.index(EXAMPLES_START) + len(EXAMPLES_START)
    block = text[start:text.index(EXAMPLES_END)]
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
            key, _, value = words.pop(0).partition(":")
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
    sys.path.insert(0, stubs_dir)
    import grpc_reflection.reflection_pb2
    import grpc_reflection.reflection_pb2_grpc
    channel = grpc.insecure_channel(address)
    reflection = Reflection(channel, grpc_reflection)

    commands = read_examples(readme)
    if len(commands) < 5:
        sys.exit(f"FAIL: found {len(commands)} grpcurl examples in {readme}")
    placeholders = {}
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
        if "ProfileService/CreateProfile" in command:
            placeholders["PROFILE_ID"] = (
                json.loads(output)["name"].split("/")[-1])
    if failures == 0:
        print(f"all {len(commands)} grpcurl examples succeeded")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
