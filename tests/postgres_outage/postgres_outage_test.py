#!/usr/bin/python3
"""Checks tenantry_server while the PostgreSQL server of its shared store is down.

The test runs a PostgreSQL 15 cluster of its own on a free 127.0.0.1 port
and one tenantry_server whose --shared_db points at it. The outage tests
stop PostgreSQL while the server runs and check that every call that needs
the shared store fails with UNAVAILABLE before its deadline, with a message
that names the shared store and tells the caller to retry. Then they start PostgreSQL
again on the same port and check that the same server process serves
again.

A gRPC client also gets UNAVAILABLE when the server itself is gone, so the
checks also require the shared store in the message and a live server.

Environment: TENANTRY_SERVER is the server binary, TENANTRY_WORK_DIR a
directory that the postgres user can enter, and PYTHONPATH must contain
the tenantry.v1 stubs. postgres_outage_test.sh sets all three.
"""

import concurrent.futures
import os
import pwd
import re
import secrets
import signal
import socket
import subprocess
import time
import unittest
import uuid

import grpc
from google.protobuf import field_mask_pb2

from tenantry.v1 import profile_pb2
from tenantry.v1 import profile_pb2_grpc
from tenantry.v1 import tenant_pb2
from tenantry.v1 import tenant_pb2_grpc
from tenantry.v1 import user_pb2
from tenantry.v1 import user_pb2_grpc

POSTGRES_BIN = "/usr/lib/postgresql/15/bin"

# Deadline of each call made while PostgreSQL is down. The checks require
# that the call ends before it and set no speed target below it.
OUTAGE_DEADLINE_SECONDS = 5

# Deadline of the other calls, so that a hung server fails the test
# instead of blocking it.
CALL_DEADLINE_SECONDS = 10

# How long the server may take to serve again once PostgreSQL is back, and
# the pause between the calls that check.
RECOVERY_LIMIT_SECONDS = 20
RECOVERY_POLL_SECONDS = 0.2

# The server's --shared_db_pool_size. It is larger than the 3 attempts
# that the server makes for a call whose connection broke.
SHARED_DB_POOL_SIZE = 4

# Calls sent at once to make the server open more than one pooled
# connection, and the maximum number of such rounds.
CONCURRENT_CALLS = 8
MAX_POOL_FILL_ROUNDS = 50

# How long the server may take to start, or to give up starting.
SERVER_START_LIMIT_SECONDS = 30

_cluster = None
_server = None
_channel = None


def unique_id(prefix):
    """Return `prefix` followed by 8 random hex digits, a valid tenant id."""
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def free_port():
    """Return a TCP port on 127.0.0.1 that is free now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_as_postgres(command):
    """Run `command` as the postgres user, which PostgreSQL needs as root.

    Raise AssertionError with the command's output if it fails.
    """
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--"] + command
    result = subprocess.run(command, capture_output=True, text=True,
                            timeout=60, check=False)
    if result.returncode != 0:
        raise AssertionError(
            f"{' '.join(command)} failed with exit code {result.returncode}:"
            f"\n{result.stdout}{result.stderr}")


class PostgresCluster:
    """A PostgreSQL 15 cluster in `directory` on a fixed 127.0.0.1 port.

    It keeps its port across stops and starts, so that a server keeps
    reaching it at the same URL. It listens on no Unix socket.
    """

    def __init__(self, directory):
        self.directory = directory
        self.data_dir = os.path.join(directory, "data")
        self.log_path = os.path.join(directory, "postgres.log")
        self.password = secrets.token_hex(12)
        self.port = free_port()

    def initialize(self):
        os.mkdir(self.directory, 0o700)
        password_file = os.path.join(self.directory, "pwfile")
        with open(password_file, "w", encoding="utf-8") as output:
            output.write(self.password + "\n")
        if os.geteuid() == 0:
            postgres = pwd.getpwnam("postgres")
            for path in (self.directory, password_file):
                os.chown(path, postgres.pw_uid, postgres.pw_gid)
        run_as_postgres([
            f"{POSTGRES_BIN}/initdb", f"--pgdata={self.data_dir}",
            "--username=tenantry", f"--pwfile={password_file}",
            "--auth=scram-sha-256", "--encoding=UTF8", "--locale=C",
            "--no-sync"
        ])

    def start(self):
        run_as_postgres([
            f"{POSTGRES_BIN}/pg_ctl", f"--pgdata={self.data_dir}",
            f"--log={self.log_path}", "--wait", "--timeout=30", "-o",
            f"-c listen_addresses=127.0.0.1 -c port={self.port} "
            "-c unix_socket_directories='' -c fsync=off", "start"
        ])

    def stop(self, mode):
        """Stop the cluster with pg_ctl's shutdown `mode`: fast or immediate."""
        run_as_postgres([
            f"{POSTGRES_BIN}/pg_ctl", f"--pgdata={self.data_dir}",
            f"--mode={mode}", "--wait", "--timeout=30", "stop"
        ])

    def is_running(self):
        return os.path.exists(os.path.join(self.data_dir, "postmaster.pid"))

    def url(self, database):
        return (f"postgresql://tenantry:{self.password}@127.0.0.1:"
                f"{self.port}/{database}")

    def redacted_url(self, database):
        return f"postgresql://tenantry:***@127.0.0.1:{self.port}/{database}"

    def psql(self, database, sql):
        """Run `sql` on `database` and return psql's unaligned output."""
        result = subprocess.run(
            [
                f"{POSTGRES_BIN}/psql", "--no-psqlrc", "--tuples-only",
                "--no-align", "--host=127.0.0.1", f"--port={self.port}",
                "--username=tenantry", f"--command={sql}", database
            ],
            env=dict(os.environ, PGPASSWORD=self.password),
            capture_output=True, text=True, timeout=30, check=False)
        if result.returncode != 0:
            raise AssertionError(f"psql failed on {sql!r}: {result.stderr}")
        return result.stdout.strip()


class TenantryServer:
    """A tenantry_server process on a free 127.0.0.1 port.

    Its PID is written to `pid_file` while it runs, so that
    postgres_outage_test.sh can stop it if this test crashes.
    """

    def __init__(self, binary, data_dir, shared_db, pid_file):
        self.binary = binary
        self.data_dir = data_dir
        self.shared_db = shared_db
        self.pid_file = pid_file
        self.log_path = os.path.join(data_dir, "server.log")
        self.process = None
        self.port = None

    def launch(self):
        os.makedirs(self.data_dir, exist_ok=True)
        with open(self.log_path, "w", encoding="utf-8") as log:
            self.process = subprocess.Popen(
                [
                    self.binary, f"--data_dir={self.data_dir}",
                    "--listen=127.0.0.1:0", "--allow_unauthenticated",
                    f"--shared_db={self.shared_db}",
                    f"--shared_db_pool_size={SHARED_DB_POOL_SIZE}",
                    "--shutdown_grace=2s"
                ],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=log)
        with open(self.pid_file, "w", encoding="utf-8") as output:
            output.write(f"{self.process.pid}\n")

    def start(self):
        """Launch the server and wait until it listens.

        Raise AssertionError with the server log if it exits or does not
        listen within SERVER_START_LIMIT_SECONDS.
        """
        self.launch()
        give_up = time.monotonic() + SERVER_START_LIMIT_SECONDS
        while time.monotonic() < give_up:
            match = re.search(r"listening on .* \(port (\d+)\)", self.log())
            if match:
                self.port = int(match.group(1))
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        log = self.log()
        self.stop()
        raise AssertionError(f"tenantry_server did not start; its log:\n{log}")

    def wait_for_exit(self, limit_seconds):
        """Return the exit code, or None if the server still runs after
        `limit_seconds`."""
        try:
            code = self.process.wait(timeout=limit_seconds)
        except subprocess.TimeoutExpired:
            return None
        self._forget_pid()
        return code

    def is_running(self):
        return self.process is not None and self.process.poll() is None

    def stop(self):
        """Send SIGTERM, wait, and return the exit code.

        A server that ignores SIGTERM for 15 seconds gets SIGKILL.
        """
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._forget_pid()
        return self.process.returncode

    def log(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as log:
            return log.read()

    def _forget_pid(self):
        if os.path.exists(self.pid_file):
            os.remove(self.pid_file)


def setUpModule():
    global _cluster, _server, _channel
    work_dir = os.environ.get("TENANTRY_WORK_DIR")
    binary = os.environ.get("TENANTRY_SERVER")
    if not work_dir or not binary:
        raise RuntimeError(
            "TENANTRY_WORK_DIR and TENANTRY_SERVER must be set; run "
            "postgres_outage_test.sh, which sets them")
    _cluster = PostgresCluster(os.path.join(work_dir, "postgres"))
    _cluster.initialize()
    _cluster.start()
    _cluster.psql("postgres", "CREATE DATABASE tenantry_outage")
    _server = TenantryServer(binary, os.path.join(work_dir, "data"),
                             _cluster.url("tenantry_outage"),
                             os.path.join(work_dir, "server.pid"))
    _server.start()
    _channel = grpc.insecure_channel(f"127.0.0.1:{_server.port}")


def tearDownModule():
    if _channel is not None:
        _channel.close()
    if _server is not None:
        code = _server.stop()
        if code != 0:
            print(f"tenantry_server exited with code {code}; its log:\n"
                  f"{_server.log()}")
    if _cluster is not None and _cluster.is_running():
        _cluster.stop("immediate")


class OutageTest(unittest.TestCase):
    """Outages of PostgreSQL under the running server of setUpModule.

    Each test starts with PostgreSQL running and two tenants. The server
    has resolved the first one, which has a profile, for a tenant-scoped
    call. It has never resolved the second one. There is also a user
    without a profile.
    """

    def setUp(self):
        if not _cluster.is_running():
            _cluster.start()
        self.tenants = tenant_pb2_grpc.TenantServiceStub(_channel)
        self.users = user_pb2_grpc.UserServiceStub(_channel)
        self.profiles = profile_pb2_grpc.ProfileServiceStub(_channel)

        self.tenant_id = self.create_tenant()
        self.user = self.create_user()
        # The first tenant-scoped call resolves the tenant and opens its
        # database. The server keeps both in memory for a while.
        self.profile = self.create_profile(self.tenant_id, self.user)
        self.unresolved_tenant_id = self.create_tenant()
        self.user_without_profile = self.create_user()

    def tearDown(self):
        if not _cluster.is_running():
            _cluster.start()

    # Calls and their checks.

    def create_tenant(self):
        tenant_id = unique_id("outage-")
        self.tenants.CreateTenant(
            tenant_pb2.CreateTenantRequest(
                tenant_id=tenant_id,
                tenant=tenant_pb2.Tenant(display_name="Outage School")),
            timeout=CALL_DEADLINE_SECONDS)
        return tenant_id

    def create_user(self):
        return self.users.CreateUser(
            user_pb2.CreateUserRequest(user=user_pb2.User(
                email=f"{unique_id('user-')}@example.com",
                display_name="Outage User")),
            timeout=CALL_DEADLINE_SECONDS)

    def create_profile(self, tenant_id, user, deadline=CALL_DEADLINE_SECONDS):
        return self.profiles.CreateProfile(
            profile_pb2.CreateProfileRequest(
                parent=f"tenants/{tenant_id}",
                profile=profile_pb2.Profile(
                    user=user.name,
                    full_name=user.display_name,
                    role=profile_pb2.STUDENT,
                    student_info=profile_pb2.StudentInfo(
                        school="Tenantry High School"))),
            metadata=(("x-tenant-id", tenant_id),),
            timeout=deadline)

    def list_profiles(self, tenant_id, deadline):
        return self.profiles.ListProfiles(
            profile_pb2.ListProfilesRequest(parent=f"tenants/{tenant_id}"),
            metadata=(("x-tenant-id", tenant_id),),
            timeout=deadline)

    def shared_store_calls(self):
        """Return (name, call) pairs; each call needs the shared store.

        Each call takes its deadline in seconds. CreateProfile looks up its
        user in the shared store. A tenant-scoped call to a tenant that the
        server has not resolved yet looks up the tenant there.
        """
        tenant_name = f"tenants/{self.tenant_id}"
        return [
            ("TenantService.GetTenant", lambda deadline: self.tenants.GetTenant(
                tenant_pb2.GetTenantRequest(name=tenant_name),
                timeout=deadline)),
            ("TenantService.ListTenants",
             lambda deadline: self.tenants.ListTenants(
                 tenant_pb2.ListTenantsRequest(), timeout=deadline)),
            ("TenantService.CreateTenant",
             lambda deadline: self.tenants.CreateTenant(
                 tenant_pb2.CreateTenantRequest(
                     tenant_id=self.outage_tenant_id,
                     tenant=tenant_pb2.Tenant(display_name="Never Created")),
                 timeout=deadline)),
            ("TenantService.UpdateTenant",
             lambda deadline: self.tenants.UpdateTenant(
                 tenant_pb2.UpdateTenantRequest(
                     tenant=tenant_pb2.Tenant(name=tenant_name,
                                              display_name="Renamed"),
                     update_mask=field_mask_pb2.FieldMask(
                         paths=["display_name"])),
                 timeout=deadline)),
            ("UserService.GetUser", lambda deadline: self.users.GetUser(
                user_pb2.GetUserRequest(name=self.user.name),
                timeout=deadline)),
            ("UserService.ListUsers", lambda deadline: self.users.ListUsers(
                user_pb2.ListUsersRequest(), timeout=deadline)),
            ("UserService.CreateUser", lambda deadline: self.users.CreateUser(
                user_pb2.CreateUserRequest(user=user_pb2.User(
                    email=f"{unique_id('outage-user-')}@example.com",
                    display_name="Never Created")),
                timeout=deadline)),
            ("ProfileService.CreateProfile",
             lambda deadline: self.create_profile(
                 self.tenant_id, self.user_without_profile, deadline)),
            ("ProfileService.ListProfiles of an unresolved tenant",
             lambda deadline: self.list_profiles(self.unresolved_tenant_id,
                                                 deadline)),
        ]

    def resolved_tenant_calls(self):
        """Return (name, call) pairs of calls to the resolved tenant.

        Apart from resolving the tenant, these calls read only the tenant's
        own database. The server may resolve the tenant from a row that it
        keeps in memory, without the shared store.
        """
        return [
            ("ProfileService.GetProfile of a resolved tenant",
             lambda deadline: self.profiles.GetProfile(
                 profile_pb2.GetProfileRequest(name=self.profile.name),
                 metadata=(("x-tenant-id", self.tenant_id),),
                 timeout=deadline)),
            ("ProfileService.ListProfiles of a resolved tenant",
             lambda deadline: self.list_profiles(self.tenant_id, deadline)),
        ]

    @staticmethod
    def call_during_outage(call):
        """Make `call` with OUTAGE_DEADLINE_SECONDS.

        Return its status code, the elapsed seconds and the message. A call
        that succeeds returns grpc.StatusCode.OK.
        """
        start = time.monotonic()
        try:
            call(OUTAGE_DEADLINE_SECONDS)
        except grpc.RpcError as error:
            return error.code(), time.monotonic() - start, error.details() or ""
        return grpc.StatusCode.OK, time.monotonic() - start, ""

    def assert_outcome(self, label, outcome, allowed_codes):
        """Check the (code, elapsed, message) of a call during the outage.

        The code must be one of `allowed_codes`, and an UNAVAILABLE message
        must name the shared store and tell the caller to retry. Print the
        outcome for the test log.
        """
        code, elapsed, details = outcome
        print(f"{label}: {code.name} after {elapsed:.3f} s: {details}")
        self.assertIn(code, allowed_codes,
                      f"{label} returned {code.name}: {details}")
        self.assertLess(
            elapsed, OUTAGE_DEADLINE_SECONDS,
            f"{label} took {elapsed:.3f} s, not less than its deadline")
        if code != grpc.StatusCode.UNAVAILABLE:
            return
        self.assertIn("shared store", details.lower(),
                      f"{label}: the message does not name the shared store")
        self.assertIn("retry", details.lower(),
                      f"{label}: the message does not say to retry")
        self.assertNotIn(_cluster.password, details,
                         f"{label}: the message contains the password")

    def assert_unavailable(self, label, outcome):
        self.assert_outcome(label, outcome, [grpc.StatusCode.UNAVAILABLE])

    def check_calls_fail_fast(self, mode):
        """Check the calls of the outage, one by one and then at once."""
        # These come first, because a failed UpdateTenant drops the tenant
        # row that the server keeps in memory. Served from that row, the
        # calls may succeed.
        for name, call in self.resolved_tenant_calls():
            label = f"{mode} stop, {name}"
            with self.subTest(label):
                self.assert_outcome(
                    label, self.call_during_outage(call),
                    [grpc.StatusCode.OK, grpc.StatusCode.UNAVAILABLE])

        self.outage_tenant_id = unique_id("during-outage-")
        unregistered_tenant_id = unique_id("unregistered-")
        calls = self.shared_store_calls() + [
            ("ProfileService.ListProfiles of an unregistered tenant",
             lambda deadline: self.list_profiles(unregistered_tenant_id,
                                                 deadline)),
        ]
        # In round 1 the pool still contains the connections that
        # PostgreSQL closed. In round 2 it contains none.
        for round_number in (1, 2):
            for name, call in calls:
                label = f"{mode} stop, round {round_number}, {name}"
                with self.subTest(label):
                    self.assert_unavailable(label,
                                            self.call_during_outage(call))

        # The threads only make the calls. The main thread checks and
        # prints the outcomes.
        get_tenant = dict(calls)["TenantService.GetTenant"]
        with concurrent.futures.ThreadPoolExecutor(CONCURRENT_CALLS) as pool:
            outcomes = list(
                pool.map(self.call_during_outage,
                         [get_tenant] * CONCURRENT_CALLS))
        for index, outcome in enumerate(outcomes):
            label = f"{mode} stop, concurrent GetTenant {index}"
            with self.subTest(label):
                self.assert_unavailable(label, outcome)

        self.assertFalse(
            os.path.exists(
                os.path.join(_server.data_dir, "tenants",
                             f"{self.outage_tenant_id}.db")),
            "CreateTenant during the outage left a tenant database file")

    def wait_until_serving(self, mode):
        """Call GetTenant until it succeeds; fail after RECOVERY_LIMIT_SECONDS.

        Return the number of calls made.
        """
        start = time.monotonic()
        attempts = 0
        last_error = None
        while time.monotonic() - start < RECOVERY_LIMIT_SECONDS:
            attempts += 1
            try:
                self.tenants.GetTenant(
                    tenant_pb2.GetTenantRequest(
                        name=f"tenants/{self.tenant_id}"),
                    timeout=CALL_DEADLINE_SECONDS)
            except grpc.RpcError as error:
                last_error = f"{error.code().name}: {error.details()}"
                time.sleep(RECOVERY_POLL_SECONDS)
                continue
            print(f"{mode} stop: serving again after {attempts} GetTenant "
                  f"calls, {time.monotonic() - start:.3f} s after PostgreSQL "
                  f"started; last error: {last_error}")
            return attempts
        self.fail(f"the server did not serve GetTenant within "
                  f"{RECOVERY_LIMIT_SECONDS} s after PostgreSQL started; "
                  f"{attempts} calls, the last failed with {last_error}")

    def check_calls_succeed(self, label):
        """Check that the calls of the outage succeed, writes included."""
        self.outage_tenant_id = unique_id("after-outage-")
        for name, call in (self.shared_store_calls() +
                           self.resolved_tenant_calls()):
            with self.subTest(f"{label}, {name}"):
                try:
                    call(CALL_DEADLINE_SECONDS)
                except grpc.RpcError as error:
                    self.fail(f"{label}: {name} failed with "
                              f"{error.code().name}: {error.details()}")
        # The test never restarts the server, so this is the process that
        # ran through the outage.
        self.assertTrue(_server.is_running(), "the server exited")

    def fill_pool(self, minimum_connections):
        """Send concurrent calls until the server has `minimum_connections`
        sessions on PostgreSQL; fail after MAX_POOL_FILL_ROUNDS rounds."""
        count_sessions = ("SELECT count(*) FROM pg_stat_activity WHERE "
                          "datname = 'tenantry_outage'")
        list_tenants = dict(
            self.shared_store_calls())["TenantService.ListTenants"]
        with concurrent.futures.ThreadPoolExecutor(CONCURRENT_CALLS) as pool:
            for _ in range(MAX_POOL_FILL_ROUNDS):
                sessions = int(_cluster.psql("postgres", count_sessions))
                if sessions >= minimum_connections:
                    return sessions
                futures = [
                    pool.submit(list_tenants, CALL_DEADLINE_SECONDS)
                    for _ in range(CONCURRENT_CALLS)
                ]
                for future in futures:
                    future.result()
        self.fail(f"the server kept fewer than {minimum_connections} "
                  f"connections after {MAX_POOL_FILL_ROUNDS} rounds of "
                  f"{CONCURRENT_CALLS} concurrent calls")

    def check_outage_and_recovery(self, mode):
        sessions = self.fill_pool(2)
        print(f"{mode} stop: the server has {sessions} sessions on PostgreSQL")
        _cluster.stop(mode)
        self.check_calls_fail_fast(mode)
        _cluster.start()
        self.wait_until_serving(mode)
        self.check_calls_succeed(f"after the {mode} stop")

    # Tests.

    def test_fast_stop_then_restart(self):
        self.check_outage_and_recovery("fast")

    def test_immediate_stop_then_restart(self):
        self.check_outage_and_recovery("immediate")

    def test_restart_between_calls(self):
        # Every pooled connection breaks while no call runs. The first call
        # after the restart must replace them rather than fail, also when
        # the pool contains more closed connections than a call has
        # attempts.
        sessions = self.fill_pool(SHARED_DB_POOL_SIZE)
        print(f"restart: the server has {sessions} sessions on PostgreSQL")
        _cluster.stop("fast")
        _cluster.start()
        get_tenant = dict(self.shared_store_calls())["TenantService.GetTenant"]
        try:
            get_tenant(CALL_DEADLINE_SECONDS)
        except grpc.RpcError as error:
            self.fail(f"the first GetTenant after the restart failed with "
                      f"{error.code().name}: {error.details()}")
        self.check_calls_succeed("after the restart")

    def test_server_start_while_postgres_down(self):
        _cluster.stop("fast")
        work_dir = os.environ["TENANTRY_WORK_DIR"]
        second = TenantryServer(os.environ["TENANTRY_SERVER"],
                                os.path.join(work_dir, "data-second"),
                                _cluster.url("tenantry_outage"),
                                os.path.join(work_dir, "second-server.pid"))
        second.launch()
        code = second.wait_for_exit(SERVER_START_LIMIT_SECONDS)
        log = second.log()
        if code is None:
            second.stop()
            self.fail(f"the server still runs {SERVER_START_LIMIT_SECONDS} s "
                      f"after it started without PostgreSQL; its log:\n{log}")
        print(f"start without PostgreSQL: exit code {code}; log:\n{log}")
        self.assertNotEqual(code, 0)
        self.assertIn("failed to start", log)
        self.assertIn("Connection refused", log)
        self.assertIn(_cluster.redacted_url("tenantry_outage"), log)
        self.assertNotIn(_cluster.password, log)


if __name__ == "__main__":
    unittest.main()
