#!/usr/bin/python3
"""Check Dockerfile and docker-compose.yml against the repository.

No Docker engine runs on the build machines, so the image is never built
here. This check catches the usual ways the files go stale:

- a copied path or a script run by RUN that does not exist, or that no
  earlier COPY puts in the image;
- a Bazel target that was renamed, or a bazel-bin output copied without
  being built;
- a USER that no useradd or adduser in the same stage creates;
- a command (CMD, ENTRYPOINT, HEALTHCHECK, and compose's command,
  entrypoint and healthcheck test, in any form) that runs a binary the
  image does not contain or passes a flag that the binary does not list;
- a host in a compose command that is not a service of the file;
- a compose build context without a Dockerfile;
- a shared library of a copied binary whose Debian package the image does
  not install, or a runtime package that Debian does not have.

Usage, from the repository root after
`bazel build //services:tenantry_server //tools:tenantctl
//tools:health_check //gateway:tenantry_gateway`:
  tools/check_containers.py              check the repository's files
  tools/check_containers.py --self-test  check that broken copies of the
                                         files, made in a temporary
                                         directory, are each reported

Needs PyYAML (Debian's python3-yaml), and dpkg, apt-cache and ldd.
"""

import glob
import os
import re
import shlex
import subprocess
import sys
import tempfile
import urllib.parse

import yaml

# Debian's base-passwd lists the users and groups of every Debian image.
BASE_PASSWD = "/usr/share/base-passwd/passwd.master"

# Packages every image has, besides Debian's Essential ones: the C and C++
# runtime libraries, which Essential packages depend on.
BASE_LIBRARY_PACKAGES = {"libc6", "libgcc-s1", "libstdc++6"}

# Hosts that a compose command may name besides the file's services.
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0", "::"}

# Flags whose value is host:port, even where the port is not a number.
ADDRESS_FLAGS = {"backend", "address", "listen"}

# Shell words that separate simple commands.
SHELL_OPERATORS = {"&&", "||", ";", "|", "&", "(", ")", ";;"}

# Shell builtins that a shell-form command may run.
SHELL_BUILTINS = {"exit", "true", "false", "test", "[", "echo", "exec",
                  "cd", "set", "export", ":"}

SHELLS = {"sh", "bash", "/bin/sh", "/bin/bash", "dash", "/bin/dash"}
INTERPRETERS = SHELLS | {"python3", "python", "/usr/bin/python3"}


class Probe:
    """Looks up facts about the machine and the repository, each once.

    The self-test checks many copies of the files against the same
    binaries and packages, so the results are cached here.
    """

    def __init__(self, repo_dir):
        self.repo_dir = repo_dir
        self._cache = {}

    def _cached(self, key, compute):
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def bazel_query_errors(self, labels):
        """Return bazel query's errors for labels, or "" if all exist."""
        def compute():
            result = subprocess.run(
                ["bazel", "query", " + ".join(sorted(labels))],
                cwd=self.repo_dir, capture_output=True, text=True)
            if result.returncode == 0:
                return ""
            errors = [line for line in result.stderr.splitlines()
                      if "ERROR" in line]
            return " ".join(errors) or result.stderr.strip()
        return self._cached(("query", tuple(sorted(labels))), compute)

    def help_text(self, binary_path):
        """Return the output of BINARY --helpfull.

        absl binaries list every flag for it. Go's flag package does not
        know it, so it fails and prints its usage, which lists the flags.
        """
        def compute():
            result = subprocess.run(
                [os.path.join(self.repo_dir, binary_path), "--helpfull"],
                capture_output=True, text=True, timeout=30)
            return result.stdout + result.stderr
        return self._cached(("help", binary_path), compute)

    def shared_libraries(self, binary_path):
        """Return [(name, resolved path or None)] from ldd."""
        def compute():
            result = subprocess.run(
                ["ldd", os.path.join(self.repo_dir, binary_path)],
                capture_output=True, text=True, timeout=30)
            libraries = []
            for line in result.stdout.splitlines():
                line = line.strip()
                match = re.match(r"(\S+) => (.+?)(?: \(0x[0-9a-f]+\))?$", line)
                if match:
                    path = match.group(2)
                    libraries.append((match.group(1),
                                      None if path == "not found" else path))
                elif line.startswith("/"):
                    path = line.split()[0]
                    libraries.append((os.path.basename(path), path))
            return libraries
        return self._cached(("ldd", binary_path), compute)

    def packages_of_paths(self, paths):
        """Return {path: Debian package} for the paths that dpkg -S finds.

        Debian 12 merges /lib into /usr/lib, but dpkg records each file
        under the directory its package ships it in, so both are tried.
        """
        key = ("dpkg-S", tuple(sorted(paths)))
        if key in self._cache:
            return self._cache[key]
        candidates = {}
        for path in paths:
            for candidate in {path, os.path.realpath(path)}:
                candidates[candidate] = path
                if candidate.startswith("/usr/"):
                    candidates[candidate[4:]] = path
                else:
                    candidates["/usr" + candidate] = path
        result = subprocess.run(["dpkg", "-S", *sorted(candidates)],
                                capture_output=True, text=True)
        packages = {}
        for line in result.stdout.splitlines():
            if line.startswith("diversion by"):
                continue
            names, _, found = line.partition(": ")
            if found in candidates:
                package = names.split(",")[0].strip().split(":")[0]
                packages.setdefault(candidates[found], package)
        self._cache[key] = packages
        return packages

    def essential_packages(self):
        """Return the installed packages marked Essential: yes."""
        def compute():
            result = subprocess.run(
                ["dpkg-query", "-W", "-f", "${Package}\t${Essential}\n"],
                capture_output=True, text=True)
            return {line.split("\t")[0] for line in result.stdout.splitlines()
                    if line.endswith("\tyes")}
        return self._cached("essential", compute)

    def unknown_packages(self, packages):
        """Return the packages that apt cannot install: those that
        apt-cache policy omits or shows with no candidate version."""
        def compute():
            if not packages:
                return []
            result = subprocess.run(["apt-cache", "policy", *packages],
                                    capture_output=True, text=True)
            installable = set()
            name = None
            for line in result.stdout.splitlines():
                if line and not line.startswith(" ") and line.endswith(":"):
                    name = line[:-1].split(":")[0]
                elif (name and line.strip().startswith("Candidate:")
                      and line.split(":", 1)[1].strip() != "(none)"):
                    installable.add(name)
            return [package for package in packages
                    if package not in installable]
        return self._cached(("unknown", tuple(packages)), compute)

    def installed_with(self, packages):
        """Return packages and everything they depend on, recursively, as
        apt-get install --no-install-recommends would install it."""
        def compute():
            if not packages:
                return set()
            result = subprocess.run(
                ["apt-cache", "depends", "--recurse", "--no-recommends",
                 "--no-suggests", "--no-conflicts", "--no-breaks",
                 "--no-replaces", "--no-enhances", *packages],
                capture_output=True, text=True)
            return {line.strip().split(":")[0]
                    for line in result.stdout.splitlines()
                    if line and not line.startswith(" ")} | set(packages)
        return self._cached(("depends", tuple(sorted(packages))), compute)

    def base_users(self):
        def compute():
            try:
                with open(BASE_PASSWD) as file:
                    return {line.split(":")[0] for line in file if ":" in line}
            except OSError:
                return {"root"}
        return self._cached("users", compute)


class Stage:
    """One FROM section of a Dockerfile."""

    def __init__(self, name, parent):
        self.name = name
        self.workdir = parent.workdir if parent else "/"
        # (path in the image, path in the context, whether it is a
        # directory whose contents were copied)
        self.copied = list(parent.copied) if parent else []
        self.users = set(parent.users) if parent else set()

    def resolve(self, path):
        return os.path.normpath(os.path.join(self.workdir, path))

    def context_path(self, image_path):
        """Return the context path that a COPY put at image_path, or None."""
        for destination, source, is_directory in reversed(self.copied):
            if image_path == destination:
                return source
            if is_directory and image_path.startswith(
                    destination.rstrip("/") + "/"):
                relative = image_path[len(destination.rstrip("/")) + 1:]
                return os.path.normpath(os.path.join(source, relative))
        return None


def dockerfile_instructions(path):
    """Yield (line number, keyword, arguments) of a Dockerfile, joining
    continuation lines."""
    logical = ""
    start = 0
    with open(path) as file:
        for number, line in enumerate(file, 1):
            stripped = line.strip()
            if stripped.startswith("#") or not stripped:
                continue
            if not logical:
                start = number
            if stripped.endswith("\\"):
                logical += stripped[:-1] + " "
                continue
            logical += stripped
            keyword, _, arguments = logical.partition(" ")
            yield start, keyword.upper(), arguments.strip()
            logical = ""


def exec_form(arguments):
    """Return the words of a JSON-array or shell-form instruction."""
    if arguments.startswith("["):
        return re.findall(r'"([^"]*)"', arguments)
    return shlex.split(arguments)


def shell_commands(command):
    """Split a shell command line into simple commands, each a list of
    words without leading VAR=value assignments."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    commands = [[]]
    for word in lexer:
        if word in SHELL_OPERATORS:
            commands.append([])
        elif (not commands[-1]
              and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", word)):
            continue
        else:
            commands[-1].append(word)
    return [words for words in commands if words]


def created_users(command):
    """Return the users that useradd or adduser create in a RUN command.

    Both take the login name as their last word: useradd [options] LOGIN,
    adduser [options] USER.
    NOTE: adduser USER GROUP, which adds an existing user to a group, is
    read as creating GROUP.
    """
    users = set()
    for words in shell_commands(command):
        if os.path.basename(words[0]) in ("useradd", "adduser"):
            if len(words) > 1 and not words[-1].startswith("-"):
                users.add(words[-1])
    return users


def run_scripts(command):
    """Return the relative script paths that a RUN command runs."""
    scripts = []
    for words in shell_commands(command):
        program = words[0]
        if program in INTERPRETERS:
            arguments = words[1:]
            if "-c" in arguments:
                continue
            operands = [word for word in arguments if not word.startswith("-")]
            if operands:
                scripts.append(operands[0])
        elif "/" in program and not program.startswith(("/", "bazel-bin/")):
            scripts.append(program)
    return [script for script in scripts if not script.startswith("/")]


class Checker:
    """Checks one Dockerfile and docker-compose.yml.

    context_dir contains the Dockerfile, docker-compose.yml and the files
    they copy. Bazel targets and bazel-bin outputs are looked up in the
    probe's repo_dir, which is the same directory except in the self-test.
    """

    def __init__(self, context_dir, probe, quiet=False):
        self.context_dir = context_dir
        self.probe = probe
        self.quiet = quiet
        self.problems = []
        self.built = {}        # binary name in the image -> bazel-bin path
        self.commands = []     # (where, words)
        self.packages_file = None
        self.dockerfile_entrypoint = []

    def problem(self, message):
        self.problems.append(message)
        if not self.quiet:
            print(f"check_containers: {message}", file=sys.stderr)

    def path(self, relative):
        return os.path.join(self.context_dir, relative)

    def run(self):
        self.check_dockerfile()
        self.check_runtime_packages()
        self.check_compose()
        for where, words in self.commands:
            self.check_command(where, words)
        self.check_shared_libraries()
        return self.problems

    # Dockerfile

    def check_dockerfile(self):
        stages = {}
        stage = None
        labels = set()
        for line, keyword, arguments in dockerfile_instructions(
                self.path("Dockerfile")):
            where = f"Dockerfile line {line}"
            if keyword == "FROM":
                # Without flags such as --platform=linux/amd64.
                words = [word for word in arguments.split()
                         if not word.startswith("--")]
                name = words[2] if len(words) >= 3 and \
                    words[1].upper() == "AS" else str(len(stages))
                stage = Stage(name, stages.get(words[0]))
                stages[name] = stage
            elif stage is None:
                continue
            elif keyword == "WORKDIR":
                stage.workdir = stage.resolve(arguments)
            elif keyword in ("COPY", "ADD"):
                self.check_copy(where, stage, arguments)
            elif keyword == "RUN":
                self.check_run(where, stage, arguments, labels)
            elif keyword == "USER":
                self.check_user(where, stage, arguments)
            elif keyword in ("CMD", "ENTRYPOINT"):
                words = self.command_words(arguments)
                if keyword == "ENTRYPOINT":
                    self.dockerfile_entrypoint = words
                self.commands.append((f"{where} {keyword}", words))
            elif keyword == "HEALTHCHECK":
                if arguments.upper() != "NONE":
                    _, _, command = arguments.partition("CMD ")
                    self.commands.append((f"{where} HEALTHCHECK",
                                          self.command_words(command)))
        if labels:
            errors = self.probe.bazel_query_errors(labels)
            if errors:
                self.problem("Dockerfile builds targets that bazel query "
                             f"rejects: {errors}")

    def command_words(self, arguments):
        """Return the words of an exec-form command, or of the first
        simple command of a shell-form one."""
        if arguments.strip().startswith("["):
            return exec_form(arguments)
        commands = shell_commands(arguments)
        return commands[0] if commands else []

    def check_copy(self, where, stage, arguments):
        words = exec_form(arguments)
        flags = [word for word in words if word.startswith("--")]
        paths = [word for word in words if not word.startswith("--")]
        if any(flag.startswith("--from=") for flag in flags):
            return
        if len(paths) < 2:
            self.problem(f"{where}: COPY needs a source and a destination")
            return
        sources, destination = paths[:-1], paths[-1]
        into_directory = destination.endswith("/") or len(sources) > 1
        destination = stage.resolve(destination)
        for source in sources:
            if re.match(r"^https?://", source):
                continue
            matches = glob.glob(self.path(source))
            if not matches:
                self.problem(f"{where} copies {source}, which does not exist")
                continue
            if source.endswith("runtime-packages.txt"):
                self.packages_file = source
            source = os.path.normpath(source)
            if os.path.isdir(self.path(source)):
                stage.copied.append((destination, source, True))
            elif into_directory:
                stage.copied.append((os.path.join(
                    destination, os.path.basename(source)), source, False))
            else:
                stage.copied.append((destination, source, False))

    def check_run(self, where, stage, command, labels):
        # Without flags such as --mount=type=cache,target=/root/.cache.
        command = re.sub(r"^(--\S+\s+)*", "", command)
        for script in run_scripts(command):
            image_path = stage.resolve(script)
            source = stage.context_path(image_path)
            if source is None:
                self.problem(f"{where} runs {script}, but no COPY before it "
                             f"in this stage puts {image_path} in the image")
            elif not os.path.isfile(self.path(source)):
                self.problem(f"{where} runs {script}, which does not exist "
                             f"({source} in the repository)")
        stage.users |= created_users(command)
        labels.update(re.findall(r"//[\w/]+:[\w.-]+", command))
        for output in re.findall(r"bazel-bin/(\S+)", command):
            package, _, name = output.rpartition("/")
            self.built[name] = os.path.join("bazel-bin", output)
            if f"//{package}:{name}" not in command:
                self.problem(f"{where} copies bazel-bin/{output} without "
                             f"building //{package}:{name}")

    def check_user(self, where, stage, arguments):
        user = arguments.split(":")[0].strip()
        if user.isdigit() or user.startswith("$"):
            return
        if user in stage.users or user in self.probe.base_users():
            return
        self.problem(f"{where}: USER {user}, but no useradd or adduser in "
                     "this stage creates that user")

    # tools/runtime-packages.txt and shared libraries

    def runtime_packages(self):
        if self.packages_file is None:
            return []
        with open(self.path(self.packages_file)) as file:
            return [line.strip() for line in file
                    if line.strip() and not line.strip().startswith("#")]

    def check_runtime_packages(self):
        if self.packages_file is None:
            self.problem("Dockerfile does not copy tools/runtime-packages.txt")
            return
        for package in self.probe.unknown_packages(self.runtime_packages()):
            self.problem(f"{self.packages_file} names {package}, which is "
                         "not a Debian package")

    def check_shared_libraries(self):
        """Check that the image installs the package of every shared
        library of every binary that it copies."""
        if self.packages_file is None:
            return
        needed = {}  # path -> [binary names]
        for name, binary_path in sorted(self.built.items()):
            if not os.path.exists(os.path.join(self.probe.repo_dir,
                                               binary_path)):
                continue
            for library, path in self.probe.shared_libraries(binary_path):
                if path is None:
                    self.problem(f"{name} needs {library}, which ldd does "
                                 "not find on this machine")
                else:
                    needed.setdefault(path, []).append(name)
        if not needed:
            return
        packages = self.probe.packages_of_paths(sorted(needed))
        installed = (self.probe.installed_with(self.runtime_packages())
                     | self.probe.essential_packages()
                     | BASE_LIBRARY_PACKAGES)
        missing = {}  # package -> set of (library, binary)
        for path, binaries in sorted(needed.items()):
            package = packages.get(path)
            if package is None:
                self.problem(f"{', '.join(binaries)} loads {path}, which "
                             "no Debian package provides")
            elif package not in installed:
                missing.setdefault(package, set()).update(
                    (os.path.basename(path), binary) for binary in binaries)
        for package, uses in sorted(missing.items()):
            libraries = sorted({library for library, _ in uses})
            binaries = sorted({binary for _, binary in uses})
            self.problem(
                f"{self.packages_file} lacks {package}, which provides "
                f"{', '.join(libraries)} for {', '.join(binaries)}; neither "
                "it nor a package that depends on it is in the list")

    # docker-compose.yml

    def check_compose(self):
        with open(self.path("docker-compose.yml")) as file:
            compose = yaml.safe_load(file) or {}
        services = compose.get("services") or {}
        built_images = set()
        for name, service in services.items():
            if "build" in service:
                self.check_build(name, service["build"])
                built_images.add(service.get("image", name))
        for name, service in services.items():
            if "build" in service or service.get("image") in built_images:
                self.check_service_commands(name, service, set(services))

    def check_build(self, service_name, build):
        if isinstance(build, str):
            context, dockerfile = build, "Dockerfile"
        else:
            context = build.get("context", ".")
            dockerfile = build.get("dockerfile", "Dockerfile")
        where = f"docker-compose.yml service {service_name}"
        if re.match(r"^[a-z]+://|^git@", context):
            return
        if not os.path.isdir(self.path(context)):
            self.problem(f"{where} builds from {context}, which is not a "
                         "directory")
        elif not os.path.isfile(self.path(os.path.join(context, dockerfile))):
            self.problem(f"{where} builds from {context}, which has no "
                         f"{dockerfile}")

    def check_service_commands(self, name, service, service_names):
        where = f"docker-compose.yml service {name}"
        entrypoint = self.compose_words(service.get("entrypoint"))
        command = self.compose_words(service.get("command"))
        if entrypoint:
            self.commands.append((f"{where} entrypoint", entrypoint + command))
        elif command:
            if self.dockerfile_entrypoint:
                command = self.dockerfile_entrypoint + command
            self.commands.append((f"{where} command", command))
        for label, words in [("entrypoint", entrypoint),
                             ("command", command)]:
            self.check_hosts(f"{where} {label}", words, service_names)
        for words in self.healthcheck_commands(service):
            self.commands.append((f"{where} healthcheck", words))
            self.check_hosts(f"{where} healthcheck", words, service_names)

    @staticmethod
    def healthcheck_commands(service):
        """Return the commands of a compose healthcheck test: ["CMD", ...]
        runs one, and ["CMD-SHELL", "..."] or a string runs a shell."""
        healthcheck = service.get("healthcheck") or {}
        test = healthcheck.get("test")
        if not test or healthcheck.get("disable"):
            return []
        if isinstance(test, str):
            test = ["CMD-SHELL", test]
        if test[0] == "CMD":
            return [[str(word) for word in test[1:]]]
        if test[0] == "CMD-SHELL":
            return [words for words in shell_commands(" ".join(test[1:]))
                    if words[0] not in SHELL_BUILTINS]
        return []

    @staticmethod
    def compose_words(value):
        """Return the words of a compose command: compose splits a string
        as a shell would, without running one."""
        if value is None:
            return []
        if isinstance(value, str):
            return shlex.split(value)
        return [str(word) for word in value]

    def check_hosts(self, where, words, service_names):
        """Check that each host in a --flag=value is a service or local."""
        allowed = service_names | LOCAL_HOSTS
        for word in words:
            match = re.match(r"^--?([\w-]+)=(.+)$", word)
            if not match:
                continue
            flag, value = match.groups()
            host = None
            if "://" in value:
                host = urllib.parse.urlsplit(value).hostname
            elif flag in ADDRESS_FLAGS or re.match(r"^[\w.-]+:\d+$", value) \
                    or re.match(r"^\[[0-9a-fA-F:.]+\]:\d+$", value):
                host = value.rpartition(":")[0].strip("[]")
            if host and host not in allowed:
                self.problem(
                    f"{where}: --{flag} names host {host}, which is not a "
                    f"service of docker-compose.yml "
                    f"({', '.join(sorted(service_names))}) or a local address")

    # Commands

    def check_command(self, where, words):
        if not words:
            self.problem(f"{where}: empty command")
            return
        if words[0] in SHELLS and len(words) > 2 and words[1] == "-c":
            for command in shell_commands(words[2]):
                if command[0] not in SHELL_BUILTINS:
                    self.check_command(where, command)
            return
        binary = os.path.basename(words[0]) if words[0].startswith(
            "/usr/local/bin/") else words[0]
        if binary not in self.built:
            self.problem(f"{where} runs {words[0]}, which the image does not "
                         f"contain (it has {', '.join(sorted(self.built))})")
            return
        self.check_flags(self.built[binary], words[1:], where)

    def check_flags(self, binary_path, words, where):
        """Check that every --flag in words is one that the binary's help
        lists: absl lists `    --name (description)`, Go's flag package
        `  -name type`. A flag only mentioned in a description, such as
        --ahead in "write-ahead", does not count."""
        if not os.path.exists(os.path.join(self.probe.repo_dir, binary_path)):
            self.problem(f"{where}: {binary_path} is not built; run "
                         "bazel build first")
            return
        help_text = self.probe.help_text(binary_path)
        for word in words:
            if word == "--":
                break
            if not word.startswith("-") or word == "-":
                continue
            flag = word.lstrip("-").split("=", 1)[0]
            names = [flag]
            if flag.startswith("no"):
                # absl accepts --nofoo for a boolean --foo.
                names.append(flag[2:])
            if not any(re.search(rf"^    --{re.escape(name)} \(", help_text,
                                 re.MULTILINE) or
                       re.search(rf"^  -{re.escape(name)}(?: |$)", help_text,
                                 re.MULTILINE)
                       for name in names):
                self.problem(f"{where}: {os.path.basename(binary_path)} has "
                             f"no flag --{flag}")


def check_repository(repo_dir):
    checker = Checker(repo_dir, Probe(repo_dir))
    problems = checker.run()
    if problems:
        print(f"check_containers: {len(problems)} problems", file=sys.stderr)
        return 1
    print(f"check_containers: Dockerfile and docker-compose.yml match the "
          f"repository ({len(checker.built)} binaries, "
          f"{len(checker.commands)} commands)")
    return 0


# Self-test cases: (name, [(file, text, replacement)], expected problem
# text or None for no problem, text that no problem may contain or None).
# Each case edits copies of the repository's files. A text that is not in
# the file fails the case, so the self-test notices when the files change.
GATEWAY_COMMAND = """    command:
      - tenantry_gateway
      - --listen=0.0.0.0:8080
      - --backend=server:50051
"""
GATEWAY_HEALTHCHECK = """    healthcheck:
      disable: true
"""
CMD_LAST_FLAG = '"--data_dir=/var/lib/tenantry"]'
SELF_TEST_CASES = [
    ("COPY with --chown and --chmod",
     [("Dockerfile", "COPY tools/packages.txt tools/setup.sh tools/",
       "COPY --chown=root:root --chmod=644 tools/packages.txt "
       "tools/setup.sh tools/")],
     None, None),
    ("COPY of a missing file with --chown",
     [("Dockerfile", "COPY . .\n",
       "COPY . .\nCOPY --chown=root:root tools/x /y\n")],
     "copies tools/x, which does not exist", "--chown"),
    ("RUN of a missing script without bash",
     [("Dockerfile", "COPY . .\n", "COPY . .\nRUN ./tools/setup2.sh\n")],
     "runs ./tools/setup2.sh, which does not exist", None),
    ("RUN of a script before its COPY",
     [("Dockerfile", "COPY . .\n", "RUN ./tools/test.sh\nCOPY . .\n")],
     "runs ./tools/test.sh, but no COPY before it", None),
    ("flag found only in help text",
     [("Dockerfile", CMD_LAST_FLAG,
       '"--data_dir=/var/lib/tenantry", "--ahead"]')],
     "tenantry_server has no flag --ahead", None),
    ("USER that no useradd creates",
     [("Dockerfile", "USER tenantry\n", "USER tenantryd\n")],
     "USER tenantryd, but no useradd or adduser", None),
    ("compose command as a string",
     [("docker-compose.yml", GATEWAY_COMMAND,
       "    command: tenantry_gateway --listen=0.0.0.0:8080 "
       "--nosuch_flag=1 --backend=server:50051\n")],
     "service gateway command: tenantry_gateway has no flag --nosuch_flag",
     None),
    ("compose command as a flow list",
     [("docker-compose.yml", GATEWAY_COMMAND,
       '    command: ["tenantry_gateway", "--nosuch_flag=1", '
       '"--backend=server:50051"]\n')],
     "service gateway command: tenantry_gateway has no flag --nosuch_flag",
     None),
    ("compose entrypoint",
     [("docker-compose.yml", "    build: .\n",
       '    build: .\n'
       '    entrypoint: ["tenantry_server", "--nosuch_flag"]\n')],
     "service server entrypoint: tenantry_server has no flag --nosuch_flag",
     None),
    ("compose healthcheck test in exec form",
     [("docker-compose.yml", GATEWAY_HEALTHCHECK,
       '    healthcheck:\n      test: ["CMD", "health_check", '
       '"--nosuch_flag"]\n')],
     "service gateway healthcheck: health_check has no flag --nosuch_flag",
     None),
    ("compose healthcheck test as a shell string",
     [("docker-compose.yml", GATEWAY_HEALTHCHECK,
       "    healthcheck:\n      test: health_check "
       "--address=127.0.0.1:50051 --nosuch_flag || exit 1\n")],
     "service gateway healthcheck: health_check has no flag --nosuch_flag",
     None),
    ("compose --backend host that is no service",
     [("docker-compose.yml", "--backend=server:50051",
       "--backend=tenantry:50051")],
     "--backend names host tenantry, which is not a service", None),
    ("compose build context that does not exist",
     [("docker-compose.yml", "    build: .\n", "    build: ./nosuchdir\n")],
     "builds from ./nosuchdir, which is not a directory", None),
    ("compose build context without a Dockerfile",
     [("docker-compose.yml", "    build: .\n", "    build: ./tools\n")],
     "builds from ./tools, which has no Dockerfile", None),
    ("runtime package of a needed library missing",
     [("tools/runtime-packages.txt", "libsqlite3-0\n", "")],
     "lacks libsqlite3-0, which provides libsqlite3.so.0", None),
    ("runtime package that Debian does not have",
     [("tools/runtime-packages.txt", "libsqlite3-0\n",
       "libsqlite3-0\nlibnosuch-package9\n")],
     "names libnosuch-package9, which is not a Debian package", None),
]

# The files that the self-test copies, so that a case can edit them. Every
# other file of the repository is a symbolic link in the copy.
EDITED_FILES = ["Dockerfile", "docker-compose.yml",
                "tools/runtime-packages.txt"]


def make_context(repo_dir, context_dir, edits):
    """Fill context_dir with the files of the Docker context, the edited
    ones as copies. Return the edits whose text is not in the file."""
    texts = {}
    for name in EDITED_FILES:
        with open(os.path.join(repo_dir, name)) as file:
            texts[name] = file.read()
    not_found = []
    for name, text, replacement in edits:
        if text not in texts[name]:
            not_found.append(f"{name} does not contain {text!r}")
        texts[name] = texts[name].replace(text, replacement)
    for entry in os.listdir(repo_dir):
        if entry in EDITED_FILES or entry.startswith(".") or entry == "tools":
            continue
        os.symlink(os.path.join(repo_dir, entry),
                   os.path.join(context_dir, entry))
    os.mkdir(os.path.join(context_dir, "tools"))
    for entry in os.listdir(os.path.join(repo_dir, "tools")):
        if f"tools/{entry}" not in EDITED_FILES:
            os.symlink(os.path.join(repo_dir, "tools", entry),
                       os.path.join(context_dir, "tools", entry))
    for name, text in texts.items():
        with open(os.path.join(context_dir, name), "w") as file:
            file.write(text)
    return not_found


def run_self_test_case(repo_dir, probe, case):
    """Return why a self-test case failed, or "" if it passed."""
    name, edits, expected, forbidden = case
    with tempfile.TemporaryDirectory(prefix="check-containers-") as context:
        not_found = make_context(repo_dir, context, edits)
        if not_found:
            return f"cannot build the case: {'; '.join(not_found)}"
        problems = Checker(context, probe, quiet=True).run()
    if expected is None:
        return f"expected no problem, got: {problems}" if problems else ""
    if not any(expected in problem for problem in problems):
        return f"expected a problem with {expected!r}, got: {problems}"
    if forbidden and any(forbidden in problem for problem in problems):
        return f"expected no problem with {forbidden!r}, got: {problems}"
    return ""


def self_test(repo_dir):
    """Check the repository's files, then each case of SELF_TEST_CASES."""
    probe = Probe(repo_dir)
    cases = [("the repository's files unchanged", [], None, None)]
    cases += SELF_TEST_CASES
    failed = 0
    for case in cases:
        failure = run_self_test_case(repo_dir, probe, case)
        if failure:
            failed += 1
            print(f"check_containers self-test: FAIL {case[0]}: {failure}",
                  file=sys.stderr)
        else:
            print(f"check_containers self-test: ok {case[0]}")
    print(f"check_containers self-test: {len(cases) - failed} of "
          f"{len(cases)} cases passed")
    return 1 if failed else 0


def main(argv):
    if argv == ["--self-test"]:
        return self_test(os.getcwd())
    if argv:
        print("usage: tools/check_containers.py [--self-test]",
              file=sys.stderr)
        return 2
    return check_repository(os.getcwd())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
