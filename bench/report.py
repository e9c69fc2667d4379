#!/usr/bin/python3
"""Collect the results of bench/run.sh and write its report.

Subcommands, called by run.sh and large_document.sh:
  record        append one run (a loadgen, raw_sqlite or document_transfer
                JSON file, with the scenario, the server and its memory and
                open files) to the runs file, one JSON object per line
  create-calls  print the --calls limit of a CreateProfile run, from the
                raw SQLite inserts or the scenario's earlier runs
  finish        write results.json, the README with its tables and target
                ratios, and the SVG plot (with gnuplot)
  merge         replace the large document runs of results.json with those
                of a runs file, keep the other runs, and write the README
                and the plot again

Uses only the standard library and the gnuplot program.
"""

import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile

# Sweep scenarios in the order of the README: the name run.sh records,
# a title, and what the scenario calls.
SWEEP_SCENARIOS = [
    ("empty", "Empty call (baseline)",
     "`tenantry.bench.EmptyService/Call` on `//bench:empty_server`: gRPC "
     "alone, with the ServerBuilder settings of `services/server.cc`."),
    ("health", "Health",
     "`grpc.health.v1.Health/Check` on Tenantry: gRPC plus Tenantry's "
     "interceptor, no tenant and no database."),
    ("get_profile", "GetProfile",
     "A random profile of the one tenant, by name."),
    ("list_profiles", "ListProfiles",
     "The first page of 50 profiles of the one tenant."),
    ("create_profile_normal", "CreateProfile, synchronous=NORMAL",
     "A profile for a new user in the one tenant; the users are created "
     "before the warm-up and not measured."),
    ("create_profile_full", "CreateProfile, synchronous=FULL",
     "As above, on a server with `--synchronous=FULL` (the default)."),
    ("create_document_4k", "CreateDocument, 4 KiB",
     "A document with 4096 bytes of content in the one tenant."),
    ("create_document_1m", "CreateDocument, 1 MiB",
     "A document with 1 MiB of content in the one tenant."),
]

# The large document scenarios of bench/large_document.sh and their titles.
LARGE_DOCUMENT_SCENARIOS = [
    ("large_document_upload", "UploadDocument"),
    ("large_document_download", "DownloadDocument"),
]

# The maximum peak memory of the server while it streams a large document,
# in MB (10^6 bytes): well below the 256 MiB document, which it must never
# hold whole.
LARGE_DOCUMENT_MAX_SERVER_MB = 100

README_START = """# Benchmarks

`bench/run.sh` measures Tenantry's throughput and latency against two
baselines, writes every number to
[results/results.json](results/results.json) and rewrites this page. Run it
from the repository root, as root or with gnuplot installed:

    bash bench/run.sh                  # 5 s per run
    BENCH_SECONDS=2 bash bench/run.sh  # a quick check

The header of `run.sh` lists its settings (`BENCH_*` variables). It
builds with `-c opt` in the Bazel output base
`~/.cache/tenantry-bench/bazel`, so the dev build keeps its cache. Then it:

1. runs `//bench:raw_sqlite`, SQLite alone on the profiles table with
   the server's INSERT, SELECT and PRAGMAs, from one thread, with
   `synchronous` NORMAL and FULL, and FULL again with a busy CPU;
2. runs `//bench:empty_server`, a gRPC server with one method that does
   nothing and the same ServerBuilder settings as Tenantry;
3. prepares one tenant with profiles through the API (`loadgen
   prepare`), and measures Health, GetProfile, ListProfiles,
   CreateProfile and CreateDocument on `tenantry_server` at each number of
   calls in flight;
4. prepares many tenants with a few profiles each and measures
   GetProfile over the first 1, 100, 1,000 and 10,000 of them, uniform
   and Zipf (s = 1), with a server of its own per run and
   `--tenant_cache_size=64`. It records the server's VmRSS, VmHWM (peak
   RSS) and open files at the end of each run. Later runs reuse this data
   set (under `~/.cache/tenantry-bench/data`) while the schema is the same;
5. runs `bench/large_document.sh`: one upload and one download of a
   256 MiB random file with `//tools:document_transfer` on a server of
   its own, with the peak resident memory of the server and the client.
   `bash bench/large_document.sh` alone measures only these and replaces
   them in the results.

Servers run with `--allow_unauthenticated --access_log=false` on
127.0.0.1. Each run is a closed loop (`//tools/loadgen`): every call in
flight starts the next as soon as the previous one returns, after a
warm-up that is not measured. Both data sets are prepared on a server
with `--synchronous=NORMAL` in `/dev/shm` and then copied to disk, because
on disk each CreateUser waits for an fsync. The measured servers run on
disk. Latencies are in milliseconds.

The numbers hold for the machine and the moment below. Other processes on
the machine (builds, tests) slow the runs down, and the load average
before and after shows how busy it was. On a virtual machine whose idle
vCPUs halt (cpuidle driver `haltpoll`), a thread that waits for fsync or
for a single call on an otherwise idle CPU wakes up late, by up to a few
milliseconds. That slows raw SQLite's FULL inserts from one thread, and
the latencies at 1 call in flight, more than a busy server. So the raw
FULL inserts also run with a busy CPU, and the targets compare
CreateProfile with both.
"""

SERVER_OPTIONS_START = "<!-- server-options:start -->"
SERVER_OPTIONS_END = "<!-- server-options:end -->"
SERVER_OPTIONS_PLACEHOLDER = """## Server options

TODO: the server options that these numbers depend on (thread pool,
HTTP/2 settings, SQLite settings) and why they are set that way.
"""

# Metadata values that run.sh passes as text but that are numbers or
# booleans.
INT_META = {
    "cpus", "memory_kib", "seconds", "warmup_seconds", "max_connections",
    "single_tenant_profiles", "many_tenants", "many_profiles",
    "many_concurrency", "tenant_cache_size",
}
FLOAT_META = {
    "build_seconds", "raw_seconds", "empty_seconds", "prepare_single_seconds",
    "single_seconds", "prepare_many_seconds", "many_seconds", "total_seconds",
    "large_document_seconds",
}
BOOL_META = {"git_dirty", "prepare_many_reused", "large_document_dirty"}

# Open files per open tenant database: up to 2 of the database file, 2 of
# its -wal and 1 of its -shm. SQLite's unixClose (os_unix.c) defers closing
# a descriptor while other connections of the process hold locks on the
# same file. That happens when two calls open a tenant at once and
# TenantCache keeps one connection. Measured on SQLite 3.40.1: 64 cached
# databases held 139, 128 and 64 descriptors of those files.
FILES_PER_TENANT_DATABASE = 5


def fail(message):
    print(f"bench/report.py: {message}", file=sys.stderr)
    sys.exit(1)


def load_runs(path):
    runs = []
    with open(path) as runs_file:
        for line in runs_file:
            if line.strip():
                runs.append(json.loads(line))
    return runs


def command_record(args):
    try:
        with open(args.result) as result_file:
            result = json.load(result_file)
    except (OSError, ValueError) as error:
        fail(f"failed to read the result {args.result}: {error}")
    run = {
        "scenario": args.scenario,
        "server": args.server,
        "synchronous": args.synchronous,
        "exit_code": args.exit_code,
        "result": result,
    }
    if args.tenant_cache_size is not None:
        run["tenant_cache_size"] = args.tenant_cache_size
    if args.resources:
        rss_kib, hwm_kib, fds = (int(value) for value in args.resources.split())
        run["server_resources"] = {
            "vm_rss_kib": rss_kib,
            "vm_hwm_kib": hwm_kib,
            "open_fds": fds,
        }
    with open(args.runs, "a") as runs_file:
        runs_file.write(json.dumps(run) + "\n")


def command_create_calls(args):
    runs = load_runs(args.runs)
    earlier = [run["result"]["throughput"] for run in runs
               if run["scenario"] == args.scenario]
    if earlier:
        calls = math.ceil(3 * max(earlier) * args.seconds)
    else:
        raw = find_raw(runs, args.synchronous)
        if raw is None:
            fail(f"no raw SQLite run with synchronous={args.synchronous} in "
                 f"{args.runs}; run.sh runs it first")
        calls = math.ceil(2 * raw["result"]["insert"]["per_second"] * args.seconds)
    print(max(200, min(args.max_calls, calls)))


def find_raw(runs, synchronous, busy_cpu=False):
    for run in runs:
        if (run["scenario"] == "raw_sqlite" and run["synchronous"] == synchronous
                and run["result"].get("busy_cpu", False) == busy_cpu):
            return run
    return None


def find_run(runs, scenario, concurrency=None):
    for run in runs:
        if run["scenario"] != scenario:
            continue
        if concurrency is None or run["result"].get("concurrency") == concurrency:
            return run
    return None


def describe_problem(run):
    """Return why the run's numbers are not valid, or "" if they are.

    loadgen exits with 2 also when --duration ends a run before its
    --calls limit, which run.sh expects for CreateProfile, so the status
    counts and the stop reason decide.
    """
    result = run["result"]
    counts = result.get("status_counts", {})
    failed = {code: count for code, count in counts.items() if code != "OK"}
    if failed:
        return ", ".join(f"{code}={count}" for code, count in sorted(failed.items()))
    if result.get("calls", 1) == 0:
        return "no call recorded"
    stop = result.get("stop_reason", "duration")
    if stop not in ("calls", "duration"):
        return f"stopped early ({stop})"
    return ""


def number(value, digits=1):
    if value is None:
        return "n/a"
    return f"{value:,.{digits}f}"


def milliseconds(value):
    if value is None:
        return "n/a"
    if value < 1:
        return f"{value:.3f}"
    return f"{value:.2f}"


def megabytes_from_kib(kib):
    return kib * 1024 / 1e6


# ---------------------------------------------------------------- targets


def compute_targets(runs, meta):
    """Return the target rows: name, measured text, goal text, verdict."""
    targets = []

    def add(name, value_text, goal, met, runs_used, note=""):
        if any(run is None for run in runs_used):
            targets.append({"target": name, "measured": "not measured",
                            "goal": goal, "verdict": "NOT MEASURED",
                            "note": note})
            return
        failures = [run for run in runs_used if describe_problem(run)]
        if failures:
            labels = ", ".join(run["result"].get("label") or run["scenario"]
                               for run in failures)
            note = f"{note} Calls failed or stopped early in {labels}.".strip()
            met = False
        targets.append({"target": name, "measured": value_text, "goal": goal,
                        "verdict": "MET" if met else "NOT MET", "note": note})

    empty = find_run(runs, "empty", 32)
    get_profile = find_run(runs, "get_profile", 32)
    if empty and get_profile:
        ratio = get_profile["result"]["throughput"] / empty["result"]["throughput"]
        text = (f"{ratio:.2f} ({number(get_profile['result']['throughput'])} / "
                f"{number(empty['result']['throughput'])} calls/s)")
        add("GetProfile / Empty throughput, 32 in flight", text, ">= 0.80",
            ratio >= 0.80, [get_profile, empty])
    else:
        add("GetProfile / Empty throughput, 32 in flight", "", ">= 0.80",
            False, [get_profile, empty])
    if get_profile:
        p99 = get_profile["result"]["latency_ms"]["p99"]
        add("GetProfile p99, 32 in flight", f"{milliseconds(p99)} ms",
            "<= 5 ms", p99 <= 5.0, [get_profile])
    else:
        add("GetProfile p99, 32 in flight", "", "<= 5 ms", False, [None])

    raw_normal = find_raw(runs, "NORMAL")
    normal_runs = [run for run in runs if run["scenario"] == "create_profile_normal"]
    best_normal = max(normal_runs, key=lambda run: run["result"]["throughput"],
                      default=None)
    if raw_normal and best_normal:
        raw_rate = raw_normal["result"]["insert"]["per_second"]
        ratio = best_normal["result"]["throughput"] / raw_rate
        text = (f"{ratio:.2f} ({number(best_normal['result']['throughput'])} "
                f"calls/s at {best_normal['result']['concurrency']} in flight / "
                f"{number(raw_rate)} inserts/s)")
        add("CreateProfile / raw SQLite inserts, NORMAL", text, ">= 0.60",
            ratio >= 0.60, [best_normal, raw_normal],
            "The server's best number of calls in flight.")
    else:
        add("CreateProfile / raw SQLite inserts, NORMAL", "", ">= 0.60", False,
            [best_normal, raw_normal])

    full = find_run(runs, "create_profile_full", 32)
    for busy_cpu in (False, True):
        raw_full = find_raw(runs, "FULL", busy_cpu)
        name = "CreateProfile at 32 in flight / raw SQLite inserts, FULL"
        note = "Needs commits of several calls per fsync (group commit)."
        if busy_cpu:
            name += ", raw with a busy CPU"
            note = ("The raw inserts ran with a spinning thread on their CPU, "
                    "as the server's CPU is busy at 32 in flight.")
        if raw_full and full:
            raw_rate = raw_full["result"]["insert"]["per_second"]
            ratio = full["result"]["throughput"] / raw_rate
            text = (f"{ratio:.2f} ({number(full['result']['throughput'])} "
                    f"calls/s / {number(raw_rate)} inserts/s)")
            add(name, text, ">= 3.0", ratio >= 3.0, [full, raw_full], note)
        else:
            add(name, "", ">= 3.0", False, [full, raw_full], note)

    one_tenant = find_run(runs, "many_tenants_1_uniform")
    all_tenants = find_run(runs, "many_tenants_10000_uniform")
    if one_tenant and all_tenants:
        ratio = all_tenants["result"]["throughput"] / one_tenant["result"]["throughput"]
        text = (f"{ratio:.2f} ({number(all_tenants['result']['throughput'])} / "
                f"{number(one_tenant['result']['throughput'])} calls/s)")
        add("GetProfile over 10,000 tenants / 1 tenant, uniform, 32 in flight",
            text, ">= 0.70", ratio >= 0.70, [all_tenants, one_tenant])
    else:
        add("GetProfile over 10,000 tenants / 1 tenant, uniform, 32 in flight",
            "", ">= 0.70", False, [all_tenants, one_tenant])

    ten_thousand = [run for run in runs
                    if run["scenario"].startswith("many_tenants_10000_")]
    if ten_thousand:
        peak = max(ten_thousand,
                   key=lambda run: run["server_resources"]["vm_hwm_kib"])
        peak_mb = megabytes_from_kib(peak["server_resources"]["vm_hwm_kib"])
        add("Server peak RSS (VmHWM) over 10,000 tenants",
            f"{peak_mb:.0f} MB ({peak['scenario'].rsplit('_', 1)[1]})",
            "<= 300 MB", peak_mb <= 300, [peak],
            "MB = 10^6 bytes; the higher of the uniform and Zipf runs.")
    else:
        add("Server peak RSS (VmHWM) over 10,000 tenants", "", "<= 300 MB",
            False, [None])

    many_runs = [run for run in runs if run["scenario"].startswith("many_tenants_")]
    if one_tenant and many_runs:
        cache_size = meta.get("tenant_cache_size", 64)
        in_flight = meta.get("many_concurrency", 32)
        base_fds = one_tenant["server_resources"]["open_fds"]
        limit = base_fds + FILES_PER_TENANT_DATABASE * (cache_size + in_flight)
        max_fds_run = max(many_runs,
                          key=lambda run: run["server_resources"]["open_fds"])
        fds = max_fds_run["server_resources"]["open_fds"]
        add("Server open files over many tenants",
            f"{fds} at most ({max_fds_run['scenario'].replace('many_tenants_', '')})",
            f"<= {limit}", fds <= limit, [max_fds_run],
            f"The bound is the open files with 1 tenant "
            f"({base_fds}) plus "
            f"{FILES_PER_TENANT_DATABASE} per open tenant database: the "
            f"{cache_size} of the cache and up to {in_flight} that calls in "
            f"flight keep open after the cache dropped them.")
    else:
        add("Server open files over many tenants", "", "bounded by the cache",
            False, [None])

    for scenario, title in LARGE_DOCUMENT_SCENARIOS:
        run = find_run(runs, scenario)
        name = f"Server peak RSS (VmHWM) during a large {title}"
        goal = f"<= {LARGE_DOCUMENT_MAX_SERVER_MB} MB"
        if run is None:
            add(name, "", goal, False, [None])
            continue
        peak_mb = megabytes_from_kib(run["server_resources"]["vm_hwm_kib"])
        size_mib = run["result"]["size_bytes"] / (1 << 20)
        add(name, f"{peak_mb:.0f} MB", goal,
            peak_mb <= LARGE_DOCUMENT_MAX_SERVER_MB, [run],
            f"A {size_mib:.0f} MiB document; MB = 10^6 bytes.")
    return targets


# ---------------------------------------------------------------- README


def machine_section(meta):
    commit = meta.get("git_commit", "unknown")
    if meta.get("git_dirty"):
        commit += " with uncommitted changes"
    memory_gib = meta.get("memory_kib", 0) / (1 << 20)
    reused = ("reused from an earlier run, which took "
              if meta.get("prepare_many_reused") else "")
    lines = [
        "## Last run",
        "",
        "| | |",
        "| --- | --- |",
        f"| date (UTC) | {meta.get('date', 'unknown')} |",
        f"| command | `{meta.get('command', 'bash bench/run.sh')}` |",
        f"| commit | {commit} |",
        f"| CPU | {meta.get('cpu_model', 'unknown')}, {meta.get('cpus', '?')} CPUs |",
        f"| memory | {memory_gib:.1f} GiB |",
        f"| kernel, file system | Linux {meta.get('kernel', '?')}, "
        f"{meta.get('filesystem', '?')} |",
        f"| cpuidle driver | {meta.get('cpuidle_driver', 'unknown')} |",
        f"| pinning | {meta.get('pinning', 'unknown')} |",
        f"| load average (1, 5, 15 min) | {meta.get('load_average_start', '?')} "
        f"before, {meta.get('load_average_end', '?')} after |",
        f"| each run | {meta.get('seconds', '?')} s measured after "
        f"{meta.get('warmup_seconds', '?')} s of warm-up, at most "
        f"{meta.get('max_connections', '?')} connections |",
        f"| build (`-c opt`) | {meta.get('build_seconds', '?')} s |",
        f"| raw SQLite runs | {meta.get('raw_seconds', '?')} s |",
        f"| empty server runs | {meta.get('empty_seconds', '?')} s |",
        f"| prepare 1 tenant, {meta.get('single_tenant_profiles', '?')} profiles "
        f"| {meta.get('prepare_single_seconds', '?')} s |",
        f"| one-tenant runs, with CreateProfile's spare users | "
        f"{meta.get('single_seconds', '?')} s |",
        f"| prepare {meta.get('many_tenants', 0):,} tenants, "
        f"{meta.get('many_profiles', '?')} profiles each | {reused}"
        f"{meta.get('prepare_many_seconds', '?')} s |",
        f"| many-tenant runs | {meta.get('many_seconds', '?')} s |",
    ]
    # Large document runs measured on their own have their own line in
    # their section.
    if "large_document_date" not in meta:
        lines.append(f"| large document runs | "
                     f"{meta.get('large_document_seconds', '?')} s |")
    lines += [
        f"| whole script | {meta.get('total_seconds', '?')} s |",
        "",
    ]
    return lines


def targets_section(targets):
    lines = [
        "## Targets",
        "",
        "| target | measured | goal | verdict |",
        "| --- | --- | --- | --- |",
    ]
    for target in targets:
        measured = target["measured"]
        if target["note"]:
            measured += f". {target['note']}"
        lines.append(f"| {target['target']} | {measured} | {target['goal']} | "
                     f"**{target['verdict']}** |")
    lines.append("")
    return lines


def sweep_section(runs):
    lines = [
        "## Calls in flight",
        "",
        "One tenant with the profiles that `loadgen prepare` created. The "
        "plot shows throughput and p99 latency of every table below.",
        "",
        "![Throughput and p99 latency against calls in flight]"
        "(results/concurrency.svg)",
        "",
    ]
    for scenario, title, description in SWEEP_SCENARIOS:
        scenario_runs = [run for run in runs if run["scenario"] == scenario]
        if not scenario_runs:
            continue
        lines += [
            f"### {title}",
            "",
            description,
            "",
            "| in flight | connections | calls | calls/s | p50 | p90 | p99 | "
            "p99.9 | max | problems |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
        ]
        for run in sorted(scenario_runs, key=lambda run: run["result"]["concurrency"]):
            result = run["result"]
            latency = result["latency_ms"]
            lines.append(
                f"| {result['concurrency']} | {result['connections']} | "
                f"{result['calls']:,} | {number(result['throughput'])} | "
                f"{milliseconds(latency['p50'])} | {milliseconds(latency['p90'])} | "
                f"{milliseconds(latency['p99'])} | {milliseconds(latency['p999'])} | "
                f"{milliseconds(latency['max'])} | {describe_problem(run) or '0'} |")
        lines.append("")
    return lines


def raw_section(runs):
    raw_runs = [run for run in runs if run["scenario"] == "raw_sqlite"]
    if not raw_runs:
        return []
    lines = [
        "## Raw SQLite",
        "",
        "`//bench:raw_sqlite` on a new database with the tenant migrations, "
        "pinned to the server's CPU. It inserts one profile per transaction "
        "with the INSERT of `storage/profile_store.cc`. Then it reads by "
        "primary key in random order with its SELECT, from one thread and "
        "then from 4 threads with a connection each. Each phase runs for "
        "the measured seconds. The busy-CPU run repeats the FULL inserts "
        "with a spinning thread on the same CPU (`--busy_cpu`) and skips "
        "the reads.",
        "",
        "| synchronous | inserts | inserts/s | insert p50 | insert p99 | "
        "reads/s | read p99 | reads/s, 4 threads |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for run in raw_runs:
        result = run["result"]
        insert = result["insert"]
        busy = result.get("busy_cpu", False)
        read = {} if busy else result["read"]
        concurrent = result.get("concurrent_read", {})
        variant = result["synchronous"] + (", busy CPU" if busy else "")
        lines.append(
            f"| {variant} | {insert['count']:,} | "
            f"{number(insert['per_second'])} | "
            f"{milliseconds(insert['latency_ms']['p50'])} | "
            f"{milliseconds(insert['latency_ms']['p99'])} | "
            f"{number(read.get('per_second'))} | "
            f"{milliseconds(read.get('latency_ms', {}).get('p99'))} | "
            f"{number(concurrent.get('per_second'))} |")
    lines.append("")
    return lines


def many_tenants_section(runs, meta):
    many_runs = [run for run in runs if run["scenario"].startswith("many_tenants_")]
    if not many_runs:
        return []
    lines = [
        "## Many tenants",
        "",
        f"GetProfile with {meta.get('many_concurrency', 32)} calls in flight "
        f"over the first N of {meta.get('many_tenants', 0):,} tenants with "
        f"{meta.get('many_profiles', '?')} profiles each, "
        f"`--tenant_cache_size={meta.get('tenant_cache_size', 64)}`. Zipf "
        "picks the k-th tenant with a probability proportional to 1/k. "
        "Memory and open files are read from /proc at the end of the run; "
        "MB = 10^6 bytes.",
        "",
        "| tenants | distribution | calls/s | p50 | p99 | VmRSS MB | "
        "VmHWM MB | open files | problems |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for run in many_runs:
        result = run["result"]
        resources = run["server_resources"]
        lines.append(
            f"| {result['tenants']:,} | {result['distribution']} | "
            f"{number(result['throughput'])} | "
            f"{milliseconds(result['latency_ms']['p50'])} | "
            f"{milliseconds(result['latency_ms']['p99'])} | "
            f"{megabytes_from_kib(resources['vm_rss_kib']):.0f} | "
            f"{megabytes_from_kib(resources['vm_hwm_kib']):.0f} | "
            f"{resources['open_fds']} | {describe_problem(run) or '0'} |")
    lines.append("")
    return lines


def large_document_section(runs, meta):
    large_runs = [run for scenario, _ in LARGE_DOCUMENT_SCENARIOS
                  for run in runs if run["scenario"] == scenario]
    if not large_runs:
        return []
    lines = [
        "## Large documents",
        "",
        "`bench/large_document.sh`: one UploadDocument and one "
        "DownloadDocument of a random file with `//tools:document_transfer`, "
        "1 MiB per message, on a server with `--synchronous=FULL` (the "
        "default) and a data directory on disk. The server's VmHWM is reset "
        "between the two, so each peak is that transfer's own; the client's "
        "is its VmHWM at the end. MB = 10^6 bytes.",
        "",
    ]
    if "large_document_date" in meta:
        commit = meta.get("large_document_commit", "unknown")
        if meta.get("large_document_dirty"):
            commit += " with uncommitted changes"
        lines += [
            f"Measured apart from the other runs on "
            f"{meta['large_document_date']} at commit {commit}, load average "
            f"{meta.get('large_document_load_average', '?')} before, in "
            f"{meta.get('large_document_seconds', '?')} s without the build.",
            "",
        ]
    lines += [
        "| transfer | size MiB | seconds | MiB/s | server VmHWM MB | "
        "server VmRSS MB at the end | client VmHWM MB |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    titles = dict(LARGE_DOCUMENT_SCENARIOS)
    for run in large_runs:
        result = run["result"]
        resources = run["server_resources"]
        lines.append(
            f"| {titles[run['scenario']]} | "
            f"{result['size_bytes'] / (1 << 20):.0f} | "
            f"{result['seconds']:.2f} | {number(result['mib_per_second'])} | "
            f"{megabytes_from_kib(resources['vm_hwm_kib']):.0f} | "
            f"{megabytes_from_kib(resources['vm_rss_kib']):.0f} | "
            f"{megabytes_from_kib(result['peak_rss_kib']):.0f} |")
    lines.append("")
    return lines


def server_options_section(readme_path):
    """Return the server options section of the existing README, or the
    placeholder, so that text written there survives a new run."""
    try:
        with open(readme_path) as readme:
            text = readme.read()
    except FileNotFoundError:
        text = ""
    match = re.search(re.escape(SERVER_OPTIONS_START) + r"\n(.*?)"
                      + re.escape(SERVER_OPTIONS_END), text, re.DOTALL)
    body = match.group(1) if match else SERVER_OPTIONS_PLACEHOLDER
    return [SERVER_OPTIONS_START, body.rstrip("\n"), SERVER_OPTIONS_END, ""]


def write_readme(path, runs, meta, targets):
    lines = README_START.split("\n")
    lines += machine_section(meta)
    lines += targets_section(targets)
    lines += sweep_section(runs)
    lines += raw_section(runs)
    lines += many_tenants_section(runs, meta)
    lines += large_document_section(runs, meta)
    lines += server_options_section(path)
    text = "\n".join(lines).rstrip("\n") + "\n"
    with open(path, "w") as readme:
        readme.write(text)


# ---------------------------------------------------------------- plot


def write_plot(svg_path, runs):
    """Draw throughput and p99 against calls in flight with gnuplot."""
    series = []
    with tempfile.TemporaryDirectory() as directory:
        for scenario, title, _ in SWEEP_SCENARIOS:
            points = sorted(
                (run["result"]["concurrency"], run["result"]["throughput"],
                 run["result"]["latency_ms"]["p99"])
                for run in runs if run["scenario"] == scenario)
            if not points:
                continue
            data_path = os.path.join(directory, f"{scenario}.dat")
            with open(data_path, "w") as data:
                for concurrency, throughput, p99 in points:
                    data.write(f"{concurrency} {throughput} {p99}\n")
            series.append((data_path, title))
        if not series:
            return
        sweep_names = {name for name, _, _ in SWEEP_SCENARIOS}
        levels = sorted({run["result"]["concurrency"] for run in runs
                         if run["scenario"] in sweep_names})
        xtics = ", ".join(str(level) for level in levels)

        def plot_command(using):
            return "plot " + ", \\\n  ".join(
                f"'{path}' using {using} with linespoints linetype {index + 1} "
                f"pointtype {index + 1} title '{title}'"
                for index, (path, title) in enumerate(series))

        # Two panels side by side, and under them a third plot of no data
        # that shows the key of both in 2 rows.
        script = f"""set terminal svg size 1200,600 dynamic font "sans,11" background rgb "white"
set output '{svg_path}'
set multiplot title "Tenantry and baselines against calls in flight (bench/run.sh)"
set size 0.5,0.75
set logscale xy
set xrange [{levels[0] / 1.3}:{levels[-1] * 1.3}]
set xtics ({xtics})
set grid
set xlabel "calls in flight"
unset key
set origin 0,0.18
set ylabel "throughput (calls/s)"
set title "Throughput"
{plot_command("1:2")}
set origin 0.5,0.18
set ylabel "p99 latency (ms)"
set title "p99 latency"
{plot_command("1:3")}
set origin 0,0
set size 1,0.18
unset logscale
unset border
unset tics
unset grid
unset xlabel
unset ylabel
unset title
set xrange [0:1]
set yrange [0:1]
set key center center horizontal maxrows 2 samplen 3 font ",10"
{plot_command("(NaN):(NaN)")}
unset multiplot
"""
        script_path = os.path.join(directory, "plot.gnuplot")
        with open(script_path, "w") as script_file:
            script_file.write(script)
        completed = subprocess.run(["gnuplot", script_path],
                                   capture_output=True, text=True)
        if completed.returncode != 0:
            fail(f"gnuplot failed with exit code {completed.returncode}: "
                 f"{completed.stderr.strip()}")


def parse_meta(items):
    meta = {}
    for item in items:
        key, separator, value = item.partition("=")
        if not separator:
            fail(f"--meta takes KEY=VALUE, not '{item}'")
        if key in INT_META:
            meta[key] = int(value)
        elif key in FLOAT_META:
            meta[key] = float(value)
        elif key in BOOL_META:
            meta[key] = value == "true"
        else:
            meta[key] = value
    return meta


def write_results(args, runs, meta):
    targets = compute_targets(runs, meta)
    results = {"meta": meta, "targets": targets, "runs": runs}
    with open(args.results, "w") as results_file:
        json.dump(results, results_file, indent=1)
        results_file.write("\n")
    write_plot(os.path.abspath(args.svg), runs)
    write_readme(args.readme, runs, meta, targets)
    for target in targets:
        print(f"{target['verdict']:>12}  {target['target']}: {target['measured']}")


def command_finish(args):
    write_results(args, load_runs(args.runs), parse_meta(args.meta))


def command_merge(args):
    """Replace the large document runs and their metadata in results.json,
    which a full run of run.sh wrote, and write everything again."""
    try:
        with open(args.results) as results_file:
            previous = json.load(results_file)
    except (OSError, ValueError) as error:
        fail(f"failed to read {args.results}, which bench/run.sh writes: "
             f"{error}")
    large = {scenario for scenario, _ in LARGE_DOCUMENT_SCENARIOS}
    runs = [run for run in previous["runs"] if run["scenario"] not in large]
    runs += load_runs(args.runs)
    meta = {key: value for key, value in previous["meta"].items()
            if not key.startswith("large_document_")}
    meta.update(parse_meta(args.meta))
    write_results(args, runs, meta)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    subcommands = parser.add_subparsers(dest="command", required=True)

    record = subcommands.add_parser("record", help="append one run")
    record.add_argument("--runs", required=True, help="the runs file (JSON lines)")
    record.add_argument("--result", required=True,
                        help="the JSON that loadgen or raw_sqlite wrote")
    record.add_argument("--scenario", required=True)
    record.add_argument("--server", required=True,
                        help="tenantry, empty_server or raw_sqlite")
    record.add_argument("--synchronous", required=True,
                        help="the server's SQLite synchronous, or none")
    record.add_argument("--exit_code", type=int, required=True,
                        help="loadgen's exit code: 2 if calls failed or the "
                        "run stopped early")
    record.add_argument("--tenant_cache_size", type=int)
    record.add_argument("--resources",
                        help="the server's 'VmRSS VmHWM open_fds', in KiB "
                        "and files")

    create_calls = subcommands.add_parser(
        "create-calls", help="print the CreateProfile calls of a run")
    create_calls.add_argument("--runs", required=True)
    create_calls.add_argument("--scenario", required=True,
                              help="the CreateProfile scenario of the run")
    create_calls.add_argument("--synchronous", required=True)
    create_calls.add_argument("--seconds", type=float, required=True)
    create_calls.add_argument("--max_calls", type=int, required=True)

    finish = subcommands.add_parser("finish", help="write the report")
    finish.add_argument("--runs", required=True)
    finish.add_argument("--results", required=True, help="results.json to write")
    finish.add_argument("--readme", required=True, help="README.md to rewrite")
    finish.add_argument("--svg", required=True, help="SVG plot to write")
    finish.add_argument("--meta", action="append", default=[],
                        help="KEY=VALUE about the machine and the run")

    merge = subcommands.add_parser(
        "merge", help="replace the large document runs of results.json")
    merge.add_argument("--runs", required=True,
                       help="the runs file of bench/large_document.sh")
    merge.add_argument("--results", required=True,
                       help="results.json to read and write")
    merge.add_argument("--readme", required=True, help="README.md to rewrite")
    merge.add_argument("--svg", required=True, help="SVG plot to write")
    merge.add_argument("--meta", action="append", default=[],
                       help="KEY=VALUE about the large document run")

    args = parser.parse_args()
    if args.command == "record":
        command_record(args)
    elif args.command == "create-calls":
        command_create_calls(args)
    elif args.command == "merge":
        command_merge(args)
    else:
        command_finish(args)


if __name__ == "__main__":
    main()
