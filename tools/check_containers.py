#!/usr/bin/python3
"""Checks Dockerfile and docker-compose.yml against the repository.

No Docker engine runs on the build machines, so the image is never built
here. This check catches the usual ways the files go stale: a copied path
that no longer exists, a script or Bazel target that was renamed, a binary
that the image does not contain, a flag the binary does not accept, or a
runtime package that Debian does not have.

Usage: tools/check_containers.py   (from the repository root, after the
binaries are built with bazel build)
"""

import os
import re
import shlex
import subprocess
import sys

problems = []


def problem(message):
    problems.append(message)
    print(f"check_containers: {message}", file=sys.stderr)


def instructions(path):
    """Yields (keyword, arguments) of a Dockerfile, joining continuations."""
    logical = ""
    with open(path) as file:
        for line in file:
            stripped = line.strip()
            if stripped.startswith("#") or not stripped:
                continue
            if stripped.endswith("\\"):
                logical += stripped[:-1] + " "
                continue
            logical += stripped
            keyword, _, arguments = logical.partition(" ")
            yield keyword.upper(), arguments.strip()
            logical = ""


def exec_form(arguments):
    """Returns the words of a JSON-array or shell-form command."""
    if arguments.startswith("["):
        return re.findall(r'"([^"]*)"', arguments)
    return shlex.split(arguments)


def bazel_labels_exist(labels):
    if not labels:
        return
    result = subprocess.run(
        ["bazel", "query", " + ".join(sorted(labels))],
        capture_output=True, text=True)
    if result.returncode != 0:
        errors = [line for line in result.stderr.splitlines()
                  if "ERROR" in line]
        problem(f"Dockerfile builds targets that bazel query rejects: "
                f"{' '.join(errors) or result.stderr.strip()}")


def check_flags(binary_path, words, where):
    """Checks that every --flag in `words` appears in the binary's help."""
    if not os.path.exists(binary_path):
        problem(f"{where}: {binary_path} is not built; run bazel build first")
        return
    help_text = subprocess.run(
        [binary_path, "--helpfull"], capture_output=True, text=True)
    output = help_text.stdout + help_text.stderr
    for word in words:
        if not word.startswith("--"):
            continue
        flag = word[2:].split("=", 1)[0]
        if not re.search(rf"-{re.escape(flag)}\b", output):
            problem(f"{where}: {os.path.basename(binary_path)} has no "
                    f"flag --{flag}")


def main():
    built = {}        # binary name in the image -> path under bazel-bin
    labels = set()
    commands = []     # (where, words)
    packages_file = None

    for keyword, arguments in instructions("Dockerfile"):
        if keyword in ("COPY", "ADD") and "--from=" not in arguments:
            for source in shlex.split(arguments)[:-1]:
                if not os.path.exists(source):
                    problem(f"Dockerfile copies {source}, which does not "
                            "exist")
                if source.endswith("runtime-packages.txt"):
                    packages_file = source
        elif keyword == "RUN":
            for script in re.findall(r"\bbash\s+(\S+)", arguments):
                if not os.path.exists(script):
                    problem(f"Dockerfile runs {script}, which does not exist")
            labels.update(re.findall(r"//[\w/]+:[\w.-]+", arguments))
            for output in re.findall(r"bazel-bin/(\S+)", arguments):
                package, _, name = output.rpartition("/")
                built[name] = os.path.join("bazel-bin", output)
                if f"//{package}:{name}" not in arguments:
                    problem(f"Dockerfile copies bazel-bin/{output} without "
                            f"building //{package}:{name}")
        elif keyword in ("CMD", "ENTRYPOINT"):
            commands.append(("Dockerfile " + keyword, exec_form(arguments)))
        elif keyword == "HEALTHCHECK":
            _, _, command = arguments.partition("CMD ")
            commands.append(("Dockerfile HEALTHCHECK", exec_form(command)))

    bazel_labels_exist(labels)

    if packages_file is None:
        problem("Dockerfile does not copy tools/runtime-packages.txt")
    else:
        with open(packages_file) as file:
            for package in file:
                package = package.strip()
                if not package or package.startswith("#"):
                    continue
                if subprocess.run(["apt-cache", "show", package],
                                  capture_output=True).returncode != 0:
                    problem(f"{packages_file} names {package}, which is not "
                            "a Debian package")

    # docker-compose.yml: the commands of the services built from here.
    with open("docker-compose.yml") as file:
        compose = file.read()
    for block in re.findall(r"command:\n((?:\s+- .*\n)+)", compose):
        words = [line.strip()[2:] for line in block.strip().splitlines()]
        commands.append(("docker-compose.yml", words))
    if "build: ." in compose and not os.path.exists("Dockerfile"):
        problem("docker-compose.yml builds from ., which has no Dockerfile")

    for where, words in commands:
        if not words:
            problem(f"{where}: empty command")
            continue
        binary = words[0]
        if binary not in built:
            problem(f"{where} runs {binary}, which the image does not "
                    f"contain (it has {', '.join(sorted(built))})")
            continue
        check_flags(built[binary], words[1:], where)

    if problems:
        print(f"check_containers: {len(problems)} problems", file=sys.stderr)
        return 1
    print(f"check_containers: Dockerfile and docker-compose.yml match the "
          f"repository ({len(built)} binaries, {len(commands)} commands)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
