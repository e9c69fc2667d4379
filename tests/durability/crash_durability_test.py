#!/usr/bin/python3
"""Check that every write tenantry_server acknowledged survives SIGKILL.

The test starts the server on a fresh data directory and creates two
tenants. Four client threads then write in a loop: a user (shared store),
a student profile for that user and a document of 1 to 16 KiB of random
bytes owned by the profile (tenant databases). A resource counts as
acknowledged only once its OK reply has arrived. After KILL_AFTER_WRITES
acknowledged tenant writes, or KILL_AFTER_SECONDS, the server gets SIGKILL
while at least one call is still waiting for its reply. The test restarts
the server on the same data directory and reads every acknowledged
resource back. Each must be found and equal to the create reply, and each
document must also return its exact content. Then the restarted server
must pass health_check, report `ok` from PRAGMA quick_check for each
tenant, accept new writes and exit 0 on SIGTERM.

SIGKILL ends only the process, so the kernel keeps every write() that
SQLite made before the kill. This test shows that the server commits
before it replies and that SQLite recovers the WAL on restart, for either
--synchronous value. It cannot show what survives a power loss, which
depends on fsync.

With --remove_tenant_wal the test deletes the tenants' -wal and -shm
files between the kill and the restart. That throws away the commits not
yet checkpointed into the database files. The test then passes only if
the read-back reports acknowledged tenant writes as missing while every
user (stored in shared.db, which is left alone) is still found. This
shows that the read-back detects lost writes.

The tenantry.v1 stubs, generated from proto/ with grpc_tools.protoc, must
be on PYTHONPATH; crash_durability_test.sh generates them.

Exit code: 0 on success, 1 on failure.
"""

import argparse
import dataclasses
import glob
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
import uuid

import grpc

from tenantry.v1 import document_pb2
from tenantry.v1 import document_pb2_grpc
from tenantry.v1 import profile_pb2
from tenantry.v1 import profile_pb2_grpc
from tenantry.v1 import tenant_pb2
from tenantry.v1 import tenant_pb2_grpc
from tenantry.v1 import user_pb2
from tenantry.v1 import user_pb2_grpc

CLIENT_THREADS = 4
TENANT_COUNT = 2

# The server gets SIGKILL once this many profiles and documents are
# acknowledged, or after KILL_AFTER_SECONDS of load, whichever comes first.
KILL_AFTER_WRITES = 1000
KILL_AFTER_SECONDS = 15

# Fewer acknowledged profiles and documents than this at the kill fail the
# test, because a read-back of almost nothing proves almost nothing.
MIN_ACKNOWLEDGED_WRITES = 20

# Each thread stops after this many steps of user, profile and document,
# 3000 tenant writes over the 4 threads, far more than KILL_AFTER_WRITES.
MAX_STEPS_PER_THREAD = 375

DOCUMENT_MIN_BYTES = 1024
DOCUMENT_MAX_BYTES = 16 * 1024

# Deadline of every call, so that a hung server fails the test instead of
# blocking it until Bazel's timeout.
RPC_TIMEOUT_SECONDS = 10

# How long the server may take to log its port, and how long the client
# threads may take to end after the kill.
SERVER_START_SECONDS = 10
THREAD_JOIN_SECONDS = 10

# Problems listed in full before the rest are only counted.
MAX_PROBLEMS_SHOWN = 10

LISTENING_PATTERN = re.compile(r"listening on .* \(port (\d+)\)")

# Each access log line contains this. A failure prints only the other
# lines of the server logs.
ACCESS_LOG_MARKER = " call method="
LOG_LINES_SHOWN = 40


class TestFailure(Exception):
    """A failed check. The message names the check and the cause."""


class ServerProcess:
    """One tenantry_server on a free 127.0.0.1 port, logging to a file."""

    def __init__(self, server_path, data_dir, log_path, extra_flags):
        self.command = [
            server_path,
            f"--data_dir={data_dir}",
            "--listen=127.0.0.1:0",
            "--allow_unauthenticated",
        ] + extra_flags
        self.log_path = log_path
        self.process = None
        self.port = None

    def start(self):
        """Start the server and wait until it logs the port it listens on."""
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(self.command,
                                            stdin=subprocess.DEVNULL,
                                            stdout=log,
                                            stderr=log)
        self._wait_for_port()

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def _wait_for_port(self):
        deadline = time.monotonic() + SERVER_START_SECONDS
        while time.monotonic() < deadline:
            match = LISTENING_PATTERN.search(self.read_log())
            if match:
                self.port = int(match.group(1))
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise TestFailure(
            f"tenantry_server did not log its port within "
            f"{SERVER_START_SECONDS} seconds")

    def read_log(self):
        if not os.path.exists(self.log_path):
            return ""
        with open(self.log_path, "r", errors="replace") as log:
            return log.read()

    def kill(self):
        """Send SIGKILL and return the exit status that wait() reports."""
        self.process.send_signal(signal.SIGKILL)
        return self.process.wait(timeout=SERVER_START_SECONDS)

    def terminate(self):
        """Send SIGTERM and return the exit code."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=SERVER_START_SECONDS)

    def stop(self):
        """Send SIGTERM if the process still runs, then SIGKILL if it has not
        exited within SERVER_START_SECONDS.
        """
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=SERVER_START_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()


class Stubs:
    """One channel to the server with a stub per service."""

    def __init__(self, address):
        self.channel = grpc.insecure_channel(address)
        try:
            grpc.channel_ready_future(self.channel).result(
                timeout=RPC_TIMEOUT_SECONDS)
        except grpc.FutureTimeoutError:
            self.channel.close()
            raise TestFailure(f"no gRPC server answered at {address} within "
                              f"{RPC_TIMEOUT_SECONDS} seconds") from None
        self.tenants = tenant_pb2_grpc.TenantServiceStub(self.channel)
        self.users = user_pb2_grpc.UserServiceStub(self.channel)
        self.profiles = profile_pb2_grpc.ProfileServiceStub(self.channel)
        self.documents = document_pb2_grpc.DocumentServiceStub(self.channel)

    def close(self):
        self.channel.close()


def call(rpc, request, tenant_id=None):
    """Call `rpc` with the deadline, adding x-tenant-id if given."""
    metadata = (("x-tenant-id", tenant_id),) if tenant_id else None
    return rpc(request, metadata=metadata, timeout=RPC_TIMEOUT_SECONDS)


@dataclasses.dataclass
class AcknowledgedUser:
    reply: user_pb2.User


@dataclasses.dataclass
class AcknowledgedProfile:
    tenant_id: str
    reply: profile_pb2.Profile


@dataclasses.dataclass
class AcknowledgedDocument:
    tenant_id: str
    # CreateDocument replies without the content, so the sent bytes are
    # kept to compare with what GetDocument returns.
    content: bytes
    reply: document_pb2.Document


class LoadState:
    """What the client threads record, guarded by one lock.

    The main thread takes the lock to send SIGKILL, so every call either
    started before the kill (and counts in `calls_in_flight`) or after it.
    """

    def __init__(self):
        self.lock = threading.Lock()
        self.killed = False
        self.calls_in_flight = 0
        self.users = []
        self.profiles = []
        self.documents = []
        # Errors of calls that failed before the kill. Each fails the test.
        self.errors_before_kill = []
        # Status codes of calls that failed after the kill. Their writes
        # may or may not be stored, so the read-back does not check them.
        self.codes_after_kill = []


def make_user_request(thread_index, step):
    email = f"crash-{thread_index}-{step}-{uuid.uuid4().hex[:8]}@example.com"
    return user_pb2.CreateUserRequest(user=user_pb2.User(
        email=email, display_name=f"Crash Test {thread_index}-{step}"))


def make_profile_request(tenant_id, user, step):
    return profile_pb2.CreateProfileRequest(
        parent=f"tenants/{tenant_id}",
        profile=profile_pb2.Profile(
            user=user.name,
            full_name=user.display_name,
            bio=f"Written in step {step} of the crash durability test.",
            role=profile_pb2.STUDENT,
            student_info=profile_pb2.StudentInfo(school="Tenantry High School",
                                                 class_name=f"{step % 12 + 1}A",
                                                 major="Mathematics",
                                                 academic_year="2025-2026")))


def make_document_request(tenant_id, profile, content, step):
    return document_pb2.CreateDocumentRequest(
        parent=f"tenants/{tenant_id}",
        document=document_pb2.Document(title=f"Crash test document {step}",
                                       content=content,
                                       content_type="application/octet-stream",
                                       owner=profile.name))


def run_client_thread(thread_index, address, tenant_id, state, stop_time):
    """Write users, profiles and documents, recording each OK reply in
    `state`, until a call fails, MAX_STEPS_PER_THREAD or `stop_time`
    (time.monotonic()).
    """
    rng = random.Random(thread_index)
    channel = grpc.insecure_channel(address)
    users = user_pb2_grpc.UserServiceStub(channel)
    profiles = profile_pb2_grpc.ProfileServiceStub(channel)
    documents = document_pb2_grpc.DocumentServiceStub(channel)

    def tracked_call(rpc, request, tenant=None):
        with state.lock:
            state.calls_in_flight += 1
        try:
            return call(rpc, request, tenant)
        finally:
            with state.lock:
                state.calls_in_flight -= 1

    try:
        for step in range(MAX_STEPS_PER_THREAD):
            if time.monotonic() > stop_time:
                return
            user = tracked_call(users.CreateUser,
                                make_user_request(thread_index, step))
            with state.lock:
                state.users.append(AcknowledgedUser(user))

            profile = tracked_call(profiles.CreateProfile,
                                   make_profile_request(tenant_id, user, step),
                                   tenant_id)
            with state.lock:
                state.profiles.append(AcknowledgedProfile(tenant_id, profile))

            content = rng.randbytes(
                rng.randint(DOCUMENT_MIN_BYTES, DOCUMENT_MAX_BYTES))
            document = tracked_call(
                documents.CreateDocument,
                make_document_request(tenant_id, profile, content, step),
                tenant_id)
            with state.lock:
                state.documents.append(
                    AcknowledgedDocument(tenant_id, content, document))
    except grpc.RpcError as error:
        with state.lock:
            if state.killed:
                state.codes_after_kill.append(error.code().name)
            else:
                state.errors_before_kill.append(
                    f"thread {thread_index}: {error.code().name}: "
                    f"{error.details()}")
    finally:
        channel.close()


def kill_during_load(server, state, threads):
    """Send SIGKILL once the kill condition is met and a call is in flight."""
    load_start = time.monotonic()
    while True:
        elapsed = time.monotonic() - load_start
        threads_running = any(thread.is_alive() for thread in threads)
        with state.lock:
            if state.errors_before_kill or not threads_running:
                break
            enough_writes = (len(state.profiles) + len(state.documents) >=
                             KILL_AFTER_WRITES)
            if ((enough_writes or elapsed > KILL_AFTER_SECONDS) and
                    state.calls_in_flight > 0):
                state.killed = True
                calls_in_flight = state.calls_in_flight
                exit_status = server.kill()
                break
        time.sleep(0.001)

    if not state.killed:
        raise TestFailure(
            "the client threads stopped before the kill; errors: " +
            ("; ".join(state.errors_before_kill) or "none"))
    if exit_status != -signal.SIGKILL:
        raise TestFailure(f"tenantry_server ended with status {exit_status} "
                          "before SIGKILL reached it")
    print(f"SIGKILL after {time.monotonic() - load_start:.1f} s of load, "
          f"with {calls_in_flight} calls waiting for a reply")


def describe_difference(expected, actual):
    """Name the fields that differ between two messages of one type."""
    differences = []
    for field in expected.DESCRIPTOR.fields:
        expected_value = getattr(expected, field.name)
        actual_value = getattr(actual, field.name)
        if expected_value != actual_value:
            differences.append(f"{field.name}: expected {expected_value!r}, "
                               f"got {actual_value!r}")
    return "; ".join(differences)


def read_back(acknowledged, get_reply, compare):
    """Read each acknowledged resource back and return the problems found."""
    problems = []
    for record in acknowledged:
        name = record.reply.name
        try:
            reply = get_reply(record)
        except grpc.RpcError as error:
            problems.append(f"{name}: {error.code().name}: {error.details()}")
            continue
        difference = compare(record, reply)
        if difference:
            problems.append(f"{name} changed: {difference}")
    return problems


def compare_reply(record, reply):
    return describe_difference(record.reply, reply)


def compare_document(record, reply):
    if reply.content != record.content:
        return (f"content: the {len(reply.content)} bytes read differ from "
                f"the {len(record.content)} bytes sent")
    without_content = document_pb2.Document()
    without_content.CopyFrom(reply)
    without_content.ClearField("content")
    return describe_difference(record.reply, without_content)


def check_users(stubs, users):
    def get_user(record):
        request = user_pb2.GetUserRequest(name=record.reply.name)
        return call(stubs.users.GetUser, request)

    return read_back(users, get_user, compare_reply)


def check_profiles(stubs, profiles):
    def get_profile(record):
        request = profile_pb2.GetProfileRequest(name=record.reply.name)
        return call(stubs.profiles.GetProfile, request, record.tenant_id)

    return read_back(profiles, get_profile, compare_reply)


def check_documents(stubs, documents):
    def get_document(record):
        request = document_pb2.GetDocumentRequest(name=record.reply.name,
                                                  view=document_pb2.FULL)
        return call(stubs.documents.GetDocument, request, record.tenant_id)

    return read_back(documents, get_document, compare_document)


def print_problems(kind, problems):
    for problem in problems[:MAX_PROBLEMS_SHOWN]:
        print(f"  {kind} {problem}")
    if len(problems) > MAX_PROBLEMS_SHOWN:
        print(f"  ... and {len(problems) - MAX_PROBLEMS_SHOWN} more {kind} "
              "problems")


def remove_tenant_wal_files(data_dir):
    removed = []
    for suffix in ("-wal", "-shm"):
        pattern = os.path.join(data_dir, "tenants", "*.db" + suffix)
        for path in glob.glob(pattern):
            os.remove(path)
            removed.append(os.path.basename(path))
    print(f"--remove_tenant_wal removed {', '.join(removed) or 'nothing'}")


def print_wal_sizes(data_dir):
    """Print the size of each -wal file that the kill left for the restart
    to recover. The size includes frames that a checkpoint already copied.
    """
    for path in sorted(glob.glob(os.path.join(data_dir, "**", "*.db-wal"),
                                 recursive=True)):
        print(f"after the kill {os.path.relpath(path, data_dir)} has "
              f"{os.path.getsize(path)} bytes")


def check_restarted_server(stubs, server, health_check_path, tenant_ids):
    """Check health, database integrity and new writes on the restarted
    server.
    """
    health = subprocess.run(
        [health_check_path, f"--address={server.address}", "--timeout=5s"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=RPC_TIMEOUT_SECONDS)
    if health.returncode != 0 or health.stdout.strip() != "SERVING":
        raise TestFailure(
            f"health_check exited {health.returncode} with output "
            f"{health.stdout.strip()!r} {health.stderr.strip()!r}, expected "
            "exit code 0 and SERVING")

    for tenant_id in tenant_ids:
        check = call(
            stubs.tenants.CheckTenantDatabase,
            tenant_pb2.CheckTenantDatabaseRequest(name=f"tenants/{tenant_id}"))
        if check.quick_check != "ok":
            raise TestFailure(
                f"PRAGMA quick_check of tenant {tenant_id} returned "
                f"{check.quick_check!r} after the restart, expected 'ok'")

    for index, tenant_id in enumerate(tenant_ids):
        user = call(stubs.users.CreateUser,
                    make_user_request(CLIENT_THREADS + index, 0))
        profile = call(stubs.profiles.CreateProfile,
                       make_profile_request(tenant_id, user, 0), tenant_id)
        content = os.urandom(DOCUMENT_MIN_BYTES)
        document = call(stubs.documents.CreateDocument,
                        make_document_request(tenant_id, profile, content, 0),
                        tenant_id)
        problems = (check_users(stubs, [AcknowledgedUser(user)]) +
                    check_profiles(stubs,
                                   [AcknowledgedProfile(tenant_id, profile)]) +
                    check_documents(
                        stubs,
                        [AcknowledgedDocument(tenant_id, content, document)]))
        if problems:
            raise TestFailure(
                f"a write after the restart did not read back in tenant "
                f"{tenant_id}: {'; '.join(problems)}")
    print("the restarted server is SERVING, its tenant databases pass "
          "quick_check, and it accepts new writes")


def print_log_tail(server):
    """Print the last lines of a server log, leaving out the access log."""
    lines = [
        line for line in server.read_log().splitlines()
        if ACCESS_LOG_MARKER not in line
    ]
    log_name = os.path.basename(server.log_path)
    print(f"--- {log_name}, last {LOG_LINES_SHOWN} lines other than the "
          "access log:")
    print("\n".join(lines[-LOG_LINES_SHOWN:]))


def run(args, work_dir):
    data_dir = os.path.join(work_dir, "data")
    server_flags = [f"--synchronous={args.synchronous}"]
    servers = []
    try:
        # Load.
        server = ServerProcess(args.server, data_dir,
                               os.path.join(work_dir, "server-before-kill.log"),
                               server_flags)
        servers.append(server)
        server.start()
        stubs = Stubs(server.address)
        tenant_ids = []
        for index in range(TENANT_COUNT):
            tenant_id = f"crash{index}{uuid.uuid4().hex[:8]}"
            call(
                stubs.tenants.CreateTenant,
                tenant_pb2.CreateTenantRequest(
                    tenant_id=tenant_id,
                    tenant=tenant_pb2.Tenant(display_name=f"Crash {index}")))
            tenant_ids.append(tenant_id)
        stubs.close()

        state = LoadState()
        stop_time = time.monotonic() + KILL_AFTER_SECONDS + RPC_TIMEOUT_SECONDS
        threads = [
            threading.Thread(target=run_client_thread,
                             args=(index, server.address,
                                   tenant_ids[index % TENANT_COUNT], state,
                                   stop_time),
                             name=f"client-{index}")
            for index in range(CLIENT_THREADS)
        ]
        for thread in threads:
            thread.start()
        kill_during_load(server, state, threads)
        join_deadline = time.monotonic() + THREAD_JOIN_SECONDS
        for thread in threads:
            thread.join(timeout=max(0, join_deadline - time.monotonic()))
            if thread.is_alive():
                raise TestFailure(f"{thread.name} did not end within "
                                  f"{THREAD_JOIN_SECONDS} seconds of the kill")

        tenant_writes = len(state.profiles) + len(state.documents)
        print(f"acknowledged before the kill: {len(state.users)} users, "
              f"{len(state.profiles)} profiles, {len(state.documents)} "
              f"documents; calls failed after the kill: "
              f"{len(state.codes_after_kill)} "
              f"({', '.join(sorted(set(state.codes_after_kill))) or 'none'})")
        if tenant_writes < MIN_ACKNOWLEDGED_WRITES:
            raise TestFailure(
                f"only {tenant_writes} profiles and documents were "
                f"acknowledged before the kill, expected at least "
                f"{MIN_ACKNOWLEDGED_WRITES}")
        print_wal_sizes(data_dir)
        if args.remove_tenant_wal:
            remove_tenant_wal_files(data_dir)

        # Restart and read back.
        server = ServerProcess(args.server, data_dir,
                               os.path.join(work_dir, "server-restarted.log"),
                               server_flags)
        servers.append(server)
        server.start()
        stubs = Stubs(server.address)
        user_problems = check_users(stubs, state.users)
        profile_problems = check_profiles(stubs, state.profiles)
        document_problems = check_documents(stubs, state.documents)
        print_problems("user", user_problems)
        print_problems("profile", profile_problems)
        print_problems("document", document_problems)
        checked = len(state.users) + tenant_writes
        tenant_problem_count = len(profile_problems) + len(document_problems)
        print(f"checked {checked} acknowledged writes after the restart: "
              f"{len(user_problems)} of {len(state.users)} users and "
              f"{tenant_problem_count} of {tenant_writes} profiles and "
              "documents missing or changed")

        if args.remove_tenant_wal:
            if user_problems:
                raise TestFailure(
                    "users are missing or changed although only the tenant "
                    "WAL files were removed")
            # NOTE: a tenant loses nothing if its last commit before the kill
            # ran an automatic checkpoint, which copies the whole WAL into the
            # database file. The default checkpoint threshold of 1000 pages
            # takes hundreds of these commits, so both tenants doing so is
            # rare, but it would fail this check.
            if not tenant_problem_count:
                raise TestFailure(
                    "the read-back found every profile and document although "
                    "the tenant WAL files were removed, so it cannot detect "
                    "lost writes")
            print("the read-back detected the writes lost with the WAL")
        else:
            if user_problems or tenant_problem_count:
                raise TestFailure(
                    "acknowledged writes are missing or changed after the "
                    "restart")
            check_restarted_server(stubs, server, args.health_check,
                                   tenant_ids)
        stubs.close()

        exit_code = server.terminate()
        if exit_code != 0:
            raise TestFailure(f"SIGTERM ended the restarted server with exit "
                              f"code {exit_code}, expected 0")
    except (TestFailure, grpc.RpcError):
        for server in servers:
            print_log_tail(server)
        raise
    finally:
        for server in servers:
            server.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server",
                        required=True,
                        help="path of the tenantry_server binary")
    parser.add_argument("--health_check",
                        required=True,
                        help="path of the health_check binary")
    parser.add_argument("--work_dir",
                        required=True,
                        help="empty directory for the data directory and the "
                        "server logs")
    parser.add_argument("--synchronous",
                        choices=["FULL", "NORMAL"],
                        default="FULL",
                        help="the server's --synchronous flag")
    parser.add_argument(
        "--remove_tenant_wal",
        action="store_true",
        help="delete the tenants' -wal and -shm files before the restart and "
        "pass only if the read-back reports lost writes")
    args = parser.parse_args()

    # SystemExit runs the finally blocks, which stop the servers, when
    # `timeout` in crash_durability_test.sh sends SIGTERM.
    signal.signal(
        signal.SIGTERM, lambda signum, frame: sys.exit(
            "FAIL: the test timed out, SIGTERM arrived before it ended"))

    try:
        run(args, args.work_dir)
    except TestFailure as failure:
        print(f"FAIL: {failure}")
        return 1
    except grpc.RpcError as error:
        print(f"FAIL: a call failed with {error.code().name}: "
              f"{error.details()}")
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
