"""The layering check (scripts/check-layers.sh) over the #include lines of src/."""
import os
import shutil
import subprocess

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CHECK = os.path.join(ROOT, "scripts", "check-layers.sh")


def run(*args):
    p = subprocess.run([CHECK] + list(args), capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout + p.stderr


def write(root, rel, text):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def good_tree(tmp_path):
    """A small tree that keeps every rule."""
    src = str(tmp_path / "src")
    write(src, "lib/util.h", '#include <stdio.h>\n#include "errors.h"\n')
    write(src, "lib/errors.h", "")
    write(src, "store/db.h", '#include "lib/errors.h"\n')
    write(src, "render/render.h", '#include "lib/util.h"\n')
    write(src, "drivers/engine.h", '#include "lib/util.h"\n')
    write(src, "jobs/queue.h", '#include "store/db.h"\n')
    write(src, "core/repo.h", '#include "jobs/queue.h"\n#include "drivers/engine.h"\n')
    write(src, "ops/ops.h", '#include "core/repo.h"\n#include "render/render.h"\n')
    write(src, "svc/env.h", '#include "ops/ops.h"\n')
    write(src, "api/http.h", '#include "svc/env.h"\n#include "store/db.h"\n')
    write(src, "api/jobs.c", '#include "http.h"\n#include "api/http.h"\n#include "jobs/queue.h"\n')
    write(src, "cli/main.c", '#include "cli/out.h"\n#include "lib/util.h"\n')
    write(src, "cli/out.h", "")
    write(src, "berthd_main.c", '#include "api/http.h"\n#include "core/repo.h"\n')
    return src


def test_the_tree_keeps_the_layering():
    rc, out = run()
    assert rc == 0, out
    assert "check-layers: ok" in out


def test_a_tree_that_keeps_the_rules_passes(tmp_path):
    src = good_tree(tmp_path)
    rc, out = run("--src", src, "--strict")
    assert rc == 0, out


@pytest.mark.parametrize("rel,header,why", [
    ("api/servers.c", "drivers/engine.h", "api must not include drivers"),
    ("api/jobs2.c", "ops/ops.h", "api must not include ops"),
    ("drivers/engine.c", "store/db.h", "drivers includes only drivers and lib"),
    ("drivers/git.c", "api/http.h", "nothing includes api"),
    ("render/odoo.c", "store/db.h", "render includes only lib and render"),
    ("render/nginx.c", "core/repo.h", "render includes only lib and render"),
    ("lib/log.c", "store/db.h", "lib includes only lib"),
    ("store/model.c", "jobs/queue.h", "store includes only lib and store"),
    ("core/daemon.c", "api/http.h", "nothing includes api"),
    ("ops/env.c", "api/http.h", "nothing includes api"),
    ("svc/env.c", "api/http.h", "nothing includes api"),
    ("cli/client.c", "store/db.h", "cli includes only cli and lib"),
    ("other_main.c", "api/http.h", "nothing includes api"),
    ("jobs/queue.c", "ops/ops.h", "closes a cycle between directories: jobs -> ops -> core -> jobs"),
])
def test_a_bad_include_fails_and_is_named(tmp_path, rel, header, why):
    src = good_tree(tmp_path)
    write(src, rel, '#include <string.h>\n\n#include "lib/util.h"\n#include "%s"\n' % header)
    rc, out = run("--src", src, "--strict")
    assert rc == 1, out
    assert 'src/%s:4: includes "%s"' % (rel, header) in out, out
    assert why in out, out
    assert "1 include breaks the layering" in out, out


def test_a_cycle_between_two_directories_names_the_upward_include(tmp_path):
    src = good_tree(tmp_path)
    write(src, "core/daemon.c", '#include "ops/ops.h"\n')
    rc, out = run("--src", src, "--strict")
    assert rc == 1, out
    assert 'src/core/daemon.c:1: includes "ops/ops.h": closes a cycle between directories: ' \
        "core -> ops -> core" in out, out


def test_a_new_violation_in_the_real_tree_fails_despite_the_allowed_list(tmp_path):
    src = str(tmp_path / "src")
    shutil.copytree(os.path.join(ROOT, "src"), src)
    rc, out = run("--src", src)
    assert rc == 0, out  # today's allowed violations only
    with open(os.path.join(src, "jobs", "queue.c")) as f:
        lines = f.read().count("\n")
    with open(os.path.join(src, "jobs", "queue.c"), "a") as f:
        f.write('#include "api/http.h"\n')
    rc, out = run("--src", src)
    assert rc == 1, out
    assert 'src/jobs/queue.c:%d: includes "api/http.h"' % (lines + 1) in out, out
    assert "1 include breaks the layering" in out, out


def test_the_allowed_list_only_hides_what_it_names():
    """--strict shows exactly the includes ALLOWED_VIOLATIONS names (the list must end empty)."""
    with open(CHECK) as f:
        text = f.read()
    listed = text.split('ALLOWED_VIOLATIONS = """', 1)[1].split('"""', 1)[0]
    allowed = {tuple(l.split()) for l in listed.splitlines() if l.strip()}
    rc, out = run("--strict")
    shown = set()
    for line in out.splitlines():
        if line.startswith("src/"):
            shown.add((line.split(":", 1)[0], line.split('"')[1]))
    assert shown <= allowed, out
    assert (rc == 0) == (not shown), out


BANNED_CALLS = [
    "strcpy(d, s)", "strcat(d, s)", "strncpy(d, s, 3)", "strncat(d, s, 3)",
    'sprintf(d, "%s", s)', "vsprintf(d, s, ap)", "strtok(d, s)", "gets(d)",
    "gmtime(&t)", "localtime(&t)", "ctime(&t)", "asctime(gmtime_r(&t, &tm))",
    "ctime_r(&t, d)", "asctime_r(&tm, d)", "tmpnam(d)", "mktemp(d)",
]


def compile_with_banned(tmp_path, body):
    c = tmp_path / "t.c"
    c.write_text(
        "#include <stdarg.h>\n#include <string.h>\n#include <stdio.h>\n#include <time.h>\n"
        "#include <stdlib.h>\n"
        "void f(char *d, const char *s, va_list ap);\n"
        "void f(char *d, const char *s, va_list ap)\n{\n"
        "\ttime_t t = 0; struct tm tm; (void)t; (void)tm; (void)d; (void)s; (void)ap;\n"
        "\t%s;\n}\n" % body)
    cc = os.environ.get("CC", "cc")
    p = subprocess.run([cc, "-std=c11", "-D_GNU_SOURCE", "-O2", "-D_FORTIFY_SOURCE=2",
                        "-Wall", "-Werror", "-I", os.path.join(ROOT, "src"), "-include",
                        os.path.join(ROOT, "src", "lib", "banned.h"), "-fsyntax-only", str(c)],
                       capture_output=True, text=True, timeout=60)
    return p.returncode, p.stderr


@pytest.mark.parametrize("call", BANNED_CALLS)
def test_banned_functions_do_not_build(tmp_path, call):
    if not shutil.which(os.environ.get("CC", "cc")):
        pytest.skip("no C compiler")
    rc, err = compile_with_banned(tmp_path, "(void)" + call)
    assert rc != 0, call
    name = call.split("(")[0]
    assert "sorry_%s_is_a_banned_function" % name in err, err


def test_their_replacements_build(tmp_path):
    if not shutil.which(os.environ.get("CC", "cc")):
        pytest.skip("no C compiler")
    rc, err = compile_with_banned(
        tmp_path, 'snprintf(d, 4, "%s", s); gmtime_r(&t, &tm); localtime_r(&t, &tm); '
        "char *save; (void)strtok_r(d, s, &save); char *(*p)(char *, const char *) = strcpy; "
        "(void)p")
    assert rc == 0, err


def test_sql_in_the_api_layer_fails(tmp_path):
    src = good_tree(tmp_path)
    assert run("--src", src)[0] == 0
    write(src, "api/projects.c", 'static const char *q = "SELECT id FROM projects WHERE id=?";\n')
    rc, out = run("--src", src)
    assert rc == 1 and "api/projects.c:1: SQL in the API layer" in out, out
    write(src, "api/projects.c", 'reply("Select a project");\n')
    assert run("--src", src)[0] == 0


@pytest.mark.parametrize("rel,layer", [
    ("ops/env.c", "ops"),
    ("ops/sub/deep.h", "ops"),
    ("svc/envs.c", "service"),
])
def test_sql_in_ops_and_services_fails(tmp_path, rel, layer):
    src = good_tree(tmp_path)
    write(src, rel, 'db_exec("UPDATE environments SET status=? WHERE id=?", "ss", s, id);\n'
                    'int n = db_int(0, "SELECT count(*) FROM jobs");\n')
    rc, out = run("--src", src)
    assert rc == 1, out
    assert "%s:1: SQL in the %s layer" % (rel, layer) in out, out
    assert "%s:2: SQL in the %s layer" % (rel, layer) in out, out
    # SQL is the store's (and the queue's) business: the same text there passes
    write(src, rel, "")
    write(src, "store/envs.c", 'db_exec("DELETE FROM environments WHERE id=?", "s", id);\n')
    write(src, "jobs/queue.c", 'db_exec("DELETE FROM jobs WHERE id=?", "s", id);\n')
    assert run("--src", src)[0] == 0
    # words in a message are not SQL
    write(src, rel, 'job_log(j, "Select a branch, then update the environment");\n')
    assert run("--src", src)[0] == 0
