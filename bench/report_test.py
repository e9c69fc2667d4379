#!/usr/bin/python3
"""Tests of bench/report.py on made-up runs: the target verdicts, the
CreateProfile call limits, the README tables, the kept server options
section, and the SVG plot that gnuplot draws."""

import json
import os
import subprocess
import sys
import tempfile
import unittest

REPORT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "report.py")

SERVER_OPTIONS = """<!-- server-options:start -->
## Server options

Hand-written text that a new run keeps.
<!-- server-options:end -->
"""


def loadgen_result(scenario, concurrency, throughput, p99=2.0, status=None,
                   stop_reason="duration", tenants=1, distribution="uniform"):
    return {
        "label": f"{scenario}-c{concurrency}",
        "method": "GetProfile",
        "connections": min(concurrency, 4),
        "concurrency": concurrency,
        "tenants": tenants,
        "distribution": distribution,
        "calls": int(throughput * 2),
        "seconds": 2.0,
        "throughput": throughput,
        "latency_ms": {"p50": p99 / 4, "p90": p99 / 2, "p99": p99,
                       "p999": p99 * 2, "max": p99 * 3},
        "status_counts": status or {"OK": int(throughput * 2)},
        "stop_reason": stop_reason,
    }


def raw_result(synchronous, inserts_per_second, busy_cpu=False):
    phase = {"count": 100, "seconds": 1.0, "per_second": inserts_per_second,
             "latency_ms": {"p50": 0.1, "p90": 0.2, "p99": 0.3, "p999": 0.4,
                            "max": 0.5}}
    result = {"tool": "raw_sqlite", "synchronous": synchronous,
              "busy_cpu": busy_cpu, "insert": phase,
              "read": dict(phase, per_second=100000.0)}
    if not busy_cpu:
        result["concurrent_read"] = dict(phase, per_second=150000.0)
    return result


def transfer_result(command, seconds, peak_rss_kib):
    size = 256 << 20
    return {"tool": "document_transfer", "command": command,
            "name": "tenants/bench-00000/documents/01hx", "size_bytes": size,
            "sha256": "ab" * 32, "seconds": seconds,
            "mib_per_second": size / (1 << 20) / seconds,
            "peak_rss_kib": peak_rss_kib}


class ReportTest(unittest.TestCase):

    def setUp(self):
        self.directory = tempfile.TemporaryDirectory()
        self.runs_path = os.path.join(self.directory.name, "runs.jsonl")
        open(self.runs_path, "w").close()

    def tearDown(self):
        self.directory.cleanup()

    def report(self, *args):
        completed = subprocess.run([sys.executable, REPORT, *args],
                                   capture_output=True, text=True)
        self.assertEqual(completed.returncode, 0,
                         f"report.py {' '.join(args)} failed: {completed.stderr}")
        return completed.stdout

    def record(self, scenario, result, server="tenantry", synchronous="FULL",
               exit_code=0, resources=None):
        result_path = os.path.join(self.directory.name, "result.json")
        with open(result_path, "w") as result_file:
            json.dump(result, result_file)
        args = ["record", f"--runs={self.runs_path}", f"--result={result_path}",
                f"--scenario={scenario}", f"--server={server}",
                f"--synchronous={synchronous}", f"--exit_code={exit_code}"]
        if resources:
            args += ["--tenant_cache_size=64", f"--resources={resources}"]
        self.report(*args)

    def record_all(self):
        self.record("raw_sqlite", raw_result("NORMAL", 1500.0), "raw_sqlite", "NORMAL")
        self.record("raw_sqlite", raw_result("FULL", 100.0), "raw_sqlite")
        self.record("raw_sqlite", raw_result("FULL", 400.0, busy_cpu=True), "raw_sqlite")
        self.record("empty", loadgen_result("empty", 32, 10000.0), "empty_server", "none")
        self.record("get_profile", loadgen_result("get_profile", 32, 9000.0, p99=3.0))
        self.record("list_profiles", loadgen_result(
            "list_profiles", 32, 500.0, status={"OK": 10, "UNAVAILABLE": 2}),
            exit_code=2)
        # loadgen exits with 2 when --duration ends a run before --calls.
        self.record("create_profile_normal",
                    loadgen_result("create_profile_normal", 1, 1000.0),
                    synchronous="NORMAL", exit_code=2)
        self.record("create_profile_normal",
                    loadgen_result("create_profile_normal", 32, 700.0),
                    synchronous="NORMAL")
        self.record("create_profile_full",
                    loadgen_result("create_profile_full", 32, 500.0,
                                   stop_reason="calls"))
        self.record("many_tenants_1_uniform",
                    loadgen_result("many", 32, 9000.0), resources="40000 50000 20")
        self.record("many_tenants_10000_uniform",
                    loadgen_result("many", 32, 5000.0, tenants=10000),
                    resources="150000 200000 700")
        self.record("many_tenants_10000_zipf",
                    loadgen_result("many", 32, 8000.0, tenants=10000,
                                   distribution="zipf"),
                    resources="300000 400000 300")

    def finish(self, readme_path):
        results_path = os.path.join(self.directory.name, "results.json")
        svg_path = os.path.join(self.directory.name, "plot.svg")
        output = self.report(
            "finish", f"--runs={self.runs_path}", f"--results={results_path}",
            f"--readme={readme_path}", f"--svg={svg_path}",
            "--meta=tenant_cache_size=64", "--meta=many_concurrency=32",
            "--meta=git_dirty=true", "--meta=command=BENCH_SECONDS=2 bash bench/run.sh")
        with open(results_path) as results_file:
            results = json.load(results_file)
        return output, results, svg_path

    def test_targets(self):
        self.record_all()
        readme_path = os.path.join(self.directory.name, "README.md")
        _, results, _ = self.finish(readme_path)
        verdicts = {target["target"]: target["verdict"] for target in results["targets"]}
        expected = {
            "GetProfile / Empty throughput, 32 in flight": "MET",
            "GetProfile p99, 32 in flight": "MET",
            # 1000 / 1500 from the run that ended by --duration.
            "CreateProfile / raw SQLite inserts, NORMAL": "MET",
            "CreateProfile at 32 in flight / raw SQLite inserts, FULL": "MET",
            "CreateProfile at 32 in flight / raw SQLite inserts, FULL, raw "
            "with a busy CPU": "NOT MET",
            "GetProfile over 10,000 tenants / 1 tenant, uniform, 32 in flight":
                "NOT MET",
            "Server peak RSS (VmHWM) over 10,000 tenants": "NOT MET",
            # 700 > 20 + 5 * (64 + 32).
            "Server open files over many tenants": "NOT MET",
        }
        for name, verdict in expected.items():
            self.assertEqual(verdicts.get(name), verdict, name)
        self.assertEqual(len(results["runs"]), 12)
        self.assertEqual(results["meta"]["tenant_cache_size"], 64)
        self.assertIs(results["meta"]["git_dirty"], True)

    def test_missing_runs_are_not_measured(self):
        self.record("empty", loadgen_result("empty", 32, 10000.0), "empty_server", "none")
        _, results, _ = self.finish(os.path.join(self.directory.name, "README.md"))
        for target in results["targets"]:
            self.assertEqual(target["verdict"], "NOT MEASURED", target["target"])

    def test_failed_calls_fail_the_target(self):
        self.record("empty", loadgen_result("empty", 32, 10000.0), "empty_server", "none")
        self.record("get_profile", loadgen_result(
            "get_profile", 32, 9500.0, status={"OK": 100, "INTERNAL": 1}), exit_code=2)
        _, results, _ = self.finish(os.path.join(self.directory.name, "README.md"))
        target = results["targets"][0]
        self.assertEqual(target["verdict"], "NOT MET")
        self.assertIn("Calls failed", target["note"])

    def test_readme_tables_and_server_options(self):
        self.record_all()
        readme_path = os.path.join(self.directory.name, "README.md")
        with open(readme_path, "w") as readme:
            readme.write("# Old page\n\n" + SERVER_OPTIONS)
        _, _, svg_path = self.finish(readme_path)
        with open(readme_path) as readme:
            text = readme.read()
        self.assertIn("Hand-written text that a new run keeps.", text)
        self.assertNotIn("# Old page", text)
        self.assertEqual(text.count("<!-- server-options:start -->"), 1)
        self.assertIn("`BENCH_SECONDS=2 bash bench/run.sh`", text)
        self.assertIn("with uncommitted changes", text)
        self.assertIn("| 32 | 4 | 1,000 | 500.0 |", text)
        self.assertIn("UNAVAILABLE=2", text)
        self.assertIn("| FULL, busy CPU | 100 | 400.0 |", text)
        self.assertIn("| 10,000 | zipf | 8,000.0 |", text)
        self.assertIn("(results/concurrency.svg)", text)
        with open(svg_path) as svg:
            self.assertIn("<svg", svg.read())

    def test_large_document_targets_and_merge(self):
        self.record_all()
        self.record("large_document_upload",
                    transfer_result("upload", 2.0, 20000),
                    resources="60000 70000 30")
        self.record("large_document_download",
                    transfer_result("download", 0.5, 30000),
                    resources="200000 250000 30")
        readme_path = os.path.join(self.directory.name, "README.md")
        _, results, svg_path = self.finish(readme_path)
        verdicts = {target["target"]: target["verdict"]
                    for target in results["targets"]}
        # 70000 KiB is 72 MB and 250000 KiB is 256 MB.
        self.assertEqual(verdicts["Server peak RSS (VmHWM) during a large "
                                  "UploadDocument"], "MET")
        self.assertEqual(verdicts["Server peak RSS (VmHWM) during a large "
                                  "DownloadDocument"], "NOT MET")
        with open(readme_path) as readme:
            text = readme.read()
        self.assertIn("## Large documents", text)
        self.assertIn("| UploadDocument | 256 | 2.00 | 128.0 | 72 | 61 | 20 |",
                      text)

        # merge replaces the two large document runs and keeps the others.
        new_runs = os.path.join(self.directory.name, "large.jsonl")
        self.runs_path, old_runs = new_runs, self.runs_path
        open(new_runs, "w").close()
        self.record("large_document_upload",
                    transfer_result("upload", 4.0, 20000),
                    resources="60000 70000 30")
        self.record("large_document_download",
                    transfer_result("download", 1.0, 30000),
                    resources="60000 80000 30")
        results_path = os.path.join(self.directory.name, "results.json")
        self.report("merge", f"--runs={new_runs}", f"--results={results_path}",
                    f"--readme={readme_path}", f"--svg={svg_path}",
                    "--meta=large_document_date=2026-12-04T00:00:00Z",
                    "--meta=large_document_dirty=true",
                    "--meta=large_document_seconds=12.5")
        self.runs_path = old_runs
        with open(results_path) as results_file:
            merged = json.load(results_file)
        self.assertEqual(len(merged["runs"]), 14)
        uploads = [run for run in merged["runs"]
                   if run["scenario"] == "large_document_upload"]
        self.assertEqual(len(uploads), 1)
        self.assertEqual(uploads[0]["result"]["seconds"], 4.0)
        self.assertEqual(merged["meta"]["tenant_cache_size"], 64)
        self.assertEqual(merged["meta"]["large_document_seconds"], 12.5)
        verdicts = {target["target"]: target["verdict"]
                    for target in merged["targets"]}
        self.assertEqual(verdicts["Server peak RSS (VmHWM) during a large "
                                  "DownloadDocument"], "MET")
        with open(readme_path) as readme:
            text = readme.read()
        self.assertIn("Measured apart from the other runs on "
                      "2026-12-04T00:00:00Z", text)
        self.assertIn("with uncommitted changes", text)

    def test_create_calls(self):
        self.record("raw_sqlite", raw_result("NORMAL", 1500.0), "raw_sqlite", "NORMAL")
        args = ["create-calls", f"--runs={self.runs_path}",
                "--scenario=create_profile_normal", "--synchronous=NORMAL",
                "--seconds=2", "--max_calls=10000"]
        # Twice the raw inserts in 2 seconds.
        self.assertEqual(self.report(*args).strip(), "6000")
        self.record("create_profile_normal",
                    loadgen_result("create_profile_normal", 1, 1200.0),
                    synchronous="NORMAL")
        # Three times the best throughput so far, in 2 seconds.
        self.assertEqual(self.report(*args).strip(), "7200")
        self.record("create_profile_normal",
                    loadgen_result("create_profile_normal", 8, 2500.0),
                    synchronous="NORMAL")
        self.assertEqual(self.report(*args).strip(), "10000")


if __name__ == "__main__":
    unittest.main()
