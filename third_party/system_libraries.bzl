"""Wraps Debian's system libraries as cc_library targets via pkg-config."""

def _pkg_config(ctx, flag, modules):
    result = ctx.execute(["pkg-config", flag] + modules)
    if result.return_code != 0:
        fail("pkg-config %s %s failed: %s\nRun tools/setup.sh to install " %
             (flag, " ".join(modules), result.stderr) +
             "the Debian packages.")
    return result.stdout.strip().split(" ") if result.stdout.strip() else []

def _system_libraries_impl(ctx):
    rules = []
    for group, modules in ctx.attr.groups.items():
        linkopts = _pkg_config(ctx, "--libs", modules)
        linkopts += ctx.attr.extra_linkopts.get(group, [])
        defines = [
            flag[2:]
            for flag in _pkg_config(ctx, "--cflags", modules)
            if flag.startswith("-D")
        ]
        defines += ctx.attr.extra_defines.get(group, [])
        rules.append("""cc_library(
    name = "{name}",
    linkopts = {linkopts},
    defines = {defines},
    visibility = ["//visibility:public"],
)
""".format(name = group, linkopts = repr(linkopts), defines = repr(defines)))
    ctx.file("WORKSPACE", "workspace(name = \"%s\")\n" % ctx.name)
    ctx.file("BUILD", "\n".join(rules))

system_libraries = repository_rule(
    implementation = _system_libraries_impl,
    attrs = {
        "groups": attr.string_list_dict(mandatory = True),
        "extra_linkopts": attr.string_list_dict(),
        "extra_defines": attr.string_list_dict(),
    },
    local = True,
    doc = "One cc_library per group of pkg-config modules.",
)
