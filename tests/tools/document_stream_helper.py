"""Helpers of document_transfer_test.sh, one command per run.

  count DATABASE TABLE
      prints the number of rows of TABLE in the SQLite file DATABASE
  paused-upload ADDRESS TENANT CHUNKS
      starts an UploadDocument of CHUNKS chunks of 1 MiB, then waits with
      the stream open until the server goes away or 60 seconds pass
  list ADDRESS TENANT
      calls ListDocuments and prints the number of documents
  check-rest JSON_LINES SHA256 SIZE
      checks the output of the gateway's GET .../documents/ID:download: one
      JSON object per line, the first with the document, the others with
      base64 chunks whose bytes have SHA256 and SIZE

Needs the stubs of proto/tenantry/v1 on PYTHONPATH for the gRPC commands.
"""

import base64
import hashlib
import json
import os
import sqlite3
import sys
import threading


def count(database, table):
    connection = sqlite3.connect(database)
    try:
        (rows,) = connection.execute(f"SELECT count(*) FROM {table}").fetchone()
    finally:
        connection.close()
    print(rows)


def paused_upload(address, tenant, chunks):
    import grpc
    from tenantry.v1 import document_pb2, document_pb2_grpc

    never = threading.Event()

    def messages():
        yield document_pb2.UploadDocumentRequest(
            parent=f"tenants/{tenant}",
            document=document_pb2.Document(title="Interrupted"))
        for _ in range(chunks):
            yield document_pb2.UploadDocumentRequest(chunk=os.urandom(1 << 20))
        # The stream stays open: the server has written the chunks but has
        # no documents row for them.
        never.wait(60)

    channel = grpc.insecure_channel(address)
    stub = document_pb2_grpc.DocumentServiceStub(channel)
    try:
        stub.UploadDocument(messages(), metadata=[("x-tenant-id", tenant)],
                            timeout=60)
    except grpc.RpcError as error:
        print(f"upload ended with {error.code().name}")
        return
    sys.exit("the upload succeeded, but it has no sha256 and must fail")


def list_documents(address, tenant):
    import grpc
    from tenantry.v1 import document_pb2, document_pb2_grpc

    channel = grpc.insecure_channel(address)
    stub = document_pb2_grpc.DocumentServiceStub(channel)
    response = stub.ListDocuments(
        document_pb2.ListDocumentsRequest(parent=f"tenants/{tenant}"),
        metadata=[("x-tenant-id", tenant)], timeout=10)
    print(len(response.documents))


def check_rest(path, sha256, size):
    with open(path) as lines:
        messages = [json.loads(line) for line in lines if line.strip()]
    if not messages:
        sys.exit("check-rest: the gateway sent no message")
    for message in messages:
        if "error" in message:
            sys.exit(f"check-rest: the stream ended with an error: {message}")
    document = messages[0]["result"]["document"]
    if document["sha256"] != sha256 or int(document["size_bytes"]) != size:
        sys.exit(f"check-rest: the first message announces "
                 f"{document['size_bytes']} bytes with SHA-256 "
                 f"{document['sha256']}; expected {size} and {sha256}")
    hash = hashlib.sha256()
    received = 0
    for message in messages[1:]:
        chunk = base64.b64decode(message["result"]["chunk"])
        hash.update(chunk)
        received += len(chunk)
    if hash.hexdigest() != sha256 or received != size:
        sys.exit(f"check-rest: the chunks hold {received} bytes with SHA-256 "
                 f"{hash.hexdigest()}; expected {size} and {sha256}")
    print(f"check-rest: {len(messages) - 1} chunks, {received} bytes, "
          f"SHA-256 matches")


def main():
    command, arguments = sys.argv[1], sys.argv[2:]
    if command == "count":
        count(*arguments)
    elif command == "paused-upload":
        paused_upload(arguments[0], arguments[1], int(arguments[2]))
    elif command == "list":
        list_documents(*arguments)
    elif command == "check-rest":
        check_rest(arguments[0], arguments[1], int(arguments[2]))
    else:
        sys.exit(f"unknown command {command}; see the docstring")


if __name__ == "__main__":
    main()
