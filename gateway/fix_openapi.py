#!/usr/bin/python3
"""Rewrite protoc-gen-swagger 1.6.4's output into valid OpenAPI 2.0.

Usage: fix_openapi.py SWAGGER_JSON DESCRIPTOR_SET OUTPUT_JSON

SWAGGER_JSON is protoc-gen-swagger's merged file, and DESCRIPTOR_SET is
protoc's --descriptor_set_out of the same protos, which gives each RPC's
request fields and google.api.http rule. The script changes four things:

- Path keys. protoc-gen-swagger keeps templates such as
  /v1/{name=tenants/*/profiles/*} as keys, with one path parameter "name"
  that does not match the key. Each `*` of a template becomes its own
  parameter, named after the collection before it in singular:
  /v1/tenants/{tenant}/profiles/{profile}. A client fills each parameter
  with one id and percent-encodes it, and the URL is the same that the
  gateway matches against tenants/*/profiles/*. The alternative,
  /v1/{name} with name = "tenants/t1/profiles/p1", would give GetTenant
  and GetUser the same key, GET /v1/{name}, and clients would send the
  slashes of the name as %2F. Each such parameter names the request field
  it builds in x-field and that field's template in x-pattern, and each
  operation keeps its google.api.http path in x-template.
- Query parameters. protoc-gen-swagger 1.6.4 writes none for an RPC whose
  body is one field, so it leaves out CreateTenant's tenant_id and the
  Update methods' update_mask. Every request field that is neither in the
  path nor the body is added as a query parameter with its type.
- The X-Tenant-ID header, required by every operation of the
  tenant-scoped services.
- info.title and info.version.

The script fails, so that generate.sh fails, on a template or field type
that it cannot map. Only Python's standard library is used.
"""

import json
import re
import sys

TENANT_SCOPED_SERVICES = {
    "tenantry.v1.ProfileService",
    "tenantry.v1.DocumentService",
}

TENANT_HEADER = {
    "name": "X-Tenant-ID",
    "in": "header",
    "required": True,
    "type": "string",
    "description": "Tenant of the call. It must be the tenant in the path; "
                   "the server rejects a call without it.",
}

INFO = {
    "title": "Tenantry API",
    "version": "v1",
    "description": "Tenantry's gRPC API as JSON over HTTP, served by "
                   "tenantry_gateway. Errors have the body {\"error\", "
                   "\"message\", \"code\", \"details\"} with the gRPC code "
                   "number in code.",
}

# google.api.http is extension 72295728 of google.protobuf.MethodOptions,
# and the body field is field 7 of its HttpRule.
HTTP_RULE_EXTENSION = 72295728
HTTP_RULE_BODY = 7

# FieldDescriptorProto.Type numbers, mapped to OpenAPI 2.0 (type, format)
# as primitiveSchema in protoc-gen-swagger 1.6.4's template.go maps them:
# 64-bit integers are strings, because proto3 JSON writes them as strings.
SCALAR_TYPES = {
    1: ("number", "double"),
    2: ("number", "float"),
    3: ("string", "int64"),
    4: ("string", "uint64"),
    5: ("integer", "int32"),
    6: ("string", "uint64"),
    7: ("integer", "int64"),
    8: ("boolean", "boolean"),
    9: ("string", None),
    12: ("string", "byte"),
    13: ("integer", "int64"),
    15: ("integer", "int32"),
    16: ("string", "int64"),
    17: ("integer", "int32"),
    18: ("string", "int64"),
}
TYPE_MESSAGE = 11
TYPE_ENUM = 14
LABEL_REPEATED = 3


class FixError(Exception):
    """The input has something that this script cannot rewrite."""


def read_varint(data, position):
    """Return the varint at data[position:] and the position after it."""
    value = 0
    shift = 0
    while True:
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, position
        shift += 7


def parse_message(data):
    """Return {field number: [values]} of a serialized protobuf message.

    Length-delimited values stay bytes and varints become ints. Fixed-width
    values are skipped, since no field read here has that wire type.
    """
    fields = {}
    position = 0
    while position < len(data):
        key, position = read_varint(data, position)
        number, wire_type = key >> 3, key & 7
        if wire_type == 0:
            value, position = read_varint(data, position)
        elif wire_type == 2:
            length, position = read_varint(data, position)
            value = data[position:position + length]
            position += length
        elif wire_type == 1:
            position += 8
            continue
        elif wire_type == 5:
            position += 4
            continue
        else:
            raise FixError(f"unsupported protobuf wire type {wire_type}")
        fields.setdefault(number, []).append(value)
    return fields


def text(fields, number, default=""):
    values = fields.get(number)
    return values[-1].decode("utf-8") if values else default


def integer(fields, number, default=0):
    values = fields.get(number)
    return values[-1] if values else default


class Descriptors:
    """The messages, enums and RPCs of a FileDescriptorSet."""

    def __init__(self, data):
        self.messages = {}  # ".pkg.Message" -> [field dict]
        self.enums = {}     # ".pkg.Enum" -> [value name]
        self.methods = {}   # method name -> method dict
        for file_bytes in parse_message(data).get(1, []):
            file = parse_message(file_bytes)
            package = text(file, 2)
            scope = f".{package}" if package else ""
            for message in file.get(4, []):
                self.add_message(scope, parse_message(message))
            for enum in file.get(5, []):
                self.add_enum(scope, parse_message(enum))
            for service in file.get(6, []):
                self.add_service(package, parse_message(service))

    def add_message(self, scope, message):
        name = f"{scope}.{text(message, 1)}"
        self.messages[name] = [
            {
                "name": text(field, 1),
                "label": integer(field, 4),
                "type": integer(field, 5),
                "type_name": text(field, 6),
            }
            for field in map(parse_message, message.get(2, []))
        ]
        for nested in message.get(3, []):
            self.add_message(name, parse_message(nested))
        for enum in message.get(4, []):
            self.add_enum(name, parse_message(enum))

    def add_enum(self, scope, enum):
        self.enums[f"{scope}.{text(enum, 1)}"] = [
            text(parse_message(value), 1) for value in enum.get(2, [])
        ]

    def add_service(self, package, service):
        service_name = f"{package}.{text(service, 1)}"
        for method in map(parse_message, service.get(2, [])):
            name = text(method, 1)
            if name in self.methods:
                raise FixError(f"RPC name {name} is used twice, and "
                               "protoc-gen-swagger uses it as operationId")
            self.methods[name] = {
                "service": service_name,
                "input_type": text(method, 2),
                "http_body": http_body(method),
            }


def http_body(method):
    """Return the body field of a method's google.api.http rule."""
    for options in method.get(4, []):
        for rule in parse_message(options).get(HTTP_RULE_EXTENSION, []):
            return text(parse_message(rule), HTTP_RULE_BODY)
    return ""


def split_template(template):
    """Split a google.api.http path template into segments and a verb.

    Returns (segments, verb), where each segment is a literal string or a
    (field, pattern segments) tuple: "/v1/{name=tenants/*}:check" gives
    (["v1", ("name", ["tenants", "*"])], "check").
    """
    verb = ""
    closing = template.rfind("}")
    colon = template.rfind(":")
    if colon > closing:
        template, verb = template[:colon], template[colon + 1:]
    segments = []
    for match in re.finditer(r"\{([^}=]+)(?:=([^}]*))?\}|([^/{}]+)",
                             template):
        field, pattern, literal = match.groups()
        if literal is not None:
            segments.append(literal)
        else:
            segments.append((field, (pattern or "*").split("/")))
    return segments, verb


def parameter_name(collection, template):
    """Return the singular of a collection, such as tenant for tenants."""
    if collection.endswith("ies"):
        return collection[:-3] + "y"
    if collection.endswith("s") and len(collection) > 1:
        return collection[:-1]
    raise FixError(f"cannot name the parameter after {collection!r} in "
                   f"{template}: the collection name is not a plural")


def rewrite_path(template):
    """Return the OpenAPI path of a template and its path parameters."""
    segments, verb = split_template(template)
    parts = []
    parameters = []
    for segment in segments:
        if isinstance(segment, str):
            parts.append(segment)
            continue
        field, pattern = segment
        pattern_text = "/".join(pattern)
        names = []
        for i, piece in enumerate(pattern):
            if piece == "**" or "{" in piece:
                raise FixError(f"unsupported pattern {pattern_text} in "
                               f"{template}")
            if piece != "*":
                names.append(piece)
            elif i == 0:
                raise FixError(f"pattern {pattern_text} in {template} "
                               "starts with *, so no collection names it")
            else:
                names.append("{" + parameter_name(pattern[i - 1], template)
                             + "}")
        parts.extend(names)
        resource_name = "/".join(names)
        for piece in names:
            if not piece.startswith("{"):
                continue
            parameters.append({
                "name": piece[1:-1],
                "in": "path",
                "required": True,
                "type": "string",
                "pattern": "^[^/]+$",
                "description": (
                    f"One segment of the request field `{field}`, which "
                    f"is the resource name `{resource_name}`."),
                "x-field": field,
                "x-pattern": pattern_text,
            })
    names = [parameter["name"] for parameter in parameters]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise FixError(f"{template} would have the path parameter "
                       f"{duplicates[0]} twice")
    path = "/" + "/".join(parts) + (f":{verb}" if verb else "")
    return path, parameters


def path_fields(template):
    """Return the request fields that a template binds."""
    segments, _ = split_template(template)
    return [segment[0] for segment in segments if not isinstance(segment, str)]


def query_parameter(descriptors, field, operation_id):
    """Return the OpenAPI query parameter of a request field."""
    name = field["name"]
    parameter = {"name": name, "in": "query", "required": False}
    if field["type"] == TYPE_MESSAGE:
        if field["type_name"] != ".google.protobuf.FieldMask":
            raise FixError(f"{operation_id}: query field {name} is a "
                           f"{field['type_name']} message, which has no "
                           "query form here")
        parameter.update(
            type="string",
            description="Comma-separated field paths, such as "
                        "full_name,bio. The gateway also accepts the "
                        "parameter repeated, updateMask, and "
                        "update_mask.paths.")
        return parameter
    if field["type"] == TYPE_ENUM:
        values = descriptors.enums.get(field["type_name"])
        if values is None:
            raise FixError(f"{operation_id}: enum {field['type_name']} of "
                           f"field {name} is not in the descriptor set")
        item = {"type": "string", "enum": values}
    elif field["type"] in SCALAR_TYPES:
        openapi_type, openapi_format = SCALAR_TYPES[field["type"]]
        item = {"type": openapi_type}
        if openapi_format:
            item["format"] = openapi_format
    else:
        raise FixError(f"{operation_id}: field {name} has protobuf type "
                       f"{field['type']}, which has no query form here")
    if field["label"] == LABEL_REPEATED:
        parameter.update(type="array", items=item, collectionFormat="multi")
    else:
        parameter.update(item)
    return parameter


def fix_operation(descriptors, template, operation):
    """Rewrite one operation's parameters and return its OpenAPI path."""
    operation_id = operation.get("operationId", "")
    method = descriptors.methods.get(operation_id)
    if method is None:
        raise FixError(f"operation {operation_id!r} of {template} matches "
                       "no RPC in the descriptor set")
    fields = descriptors.messages.get(method["input_type"])
    if fields is None:
        raise FixError(f"{operation_id}: request message "
                       f"{method['input_type']} is not in the descriptor set")

    path, new_path_parameters = rewrite_path(template)
    bound = set(path_fields(template))
    other_parameters = [
        parameter for parameter in operation.get("parameters", [])
        if not (parameter["in"] == "path" and parameter["name"] in bound)]

    body = method["http_body"]
    top_level_bound = {field.split(".")[0] for field in bound}
    known = {parameter["name"] for parameter in other_parameters}
    added = []
    if body != "*":
        for field in fields:
            name = field["name"]
            if name == body or name in top_level_bound or name in known:
                continue
            added.append(query_parameter(descriptors, field, operation_id))

    path_names = {parameter["name"] for parameter in new_path_parameters}
    for parameter in other_parameters + added:
        if parameter["name"] in path_names:
            raise FixError(f"{operation_id}: query parameter "
                           f"{parameter['name']} has the name of a path "
                           f"parameter of {path}")
    if method["service"] in TENANT_SCOPED_SERVICES:
        added.append(dict(TENANT_HEADER))
    operation["parameters"] = new_path_parameters + other_parameters + added
    return path


def fix_spec(spec, descriptors):
    """Return spec with rewritten paths, parameters and info."""
    paths = {}
    for template, operations in spec["paths"].items():
        for http_method, operation in operations.items():
            path = fix_operation(descriptors, template, operation)
            item = paths.setdefault(path, {})
            if http_method in item:
                raise FixError(
                    f"{http_method.upper()} {path} comes from two templates: "
                    f"{item[http_method]['x-template']} and {template}")
            operation["x-template"] = template
            item[http_method] = operation
    spec["paths"] = {path: paths[path] for path in sorted(paths)}
    spec["info"] = dict(INFO)
    return spec


def main(argv):
    if len(argv) != 4:
        sys.exit("usage: fix_openapi.py SWAGGER_JSON DESCRIPTOR_SET "
                 "OUTPUT_JSON")
    with open(argv[1], encoding="utf-8") as file:
        spec = json.load(file)
    with open(argv[2], "rb") as file:
        descriptor_set = file.read()
    try:
        fixed = fix_spec(spec, Descriptors(descriptor_set))
    except FixError as error:
        sys.exit(f"fix_openapi.py: {error}")
    with open(argv[3], "w", encoding="utf-8") as file:
        json.dump(fixed, file, indent=2)
        file.write("\n")


if __name__ == "__main__":
    main(sys.argv)
