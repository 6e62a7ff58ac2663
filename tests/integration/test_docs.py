"""Keeps the documentation true to the code (no berthd needed).

- Every route of the route tables in src/api/*.c ({"METHOD", "/api/v1/...", handler, ...})
  is in docs/openapi.yaml and has its section in docs/api.md, and neither documents a route
  the code does not have.
- Every error code of src/lib/errors.h is in docs/errors.md with its HTTP status, and the
  table there has no code the registry does not have.
- README.md opens with `make run` and `make test`.
"""
import os
import re

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
ROUTE_RE = re.compile(r'\{\s*"(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)"\s*,\s*"(/api/v1/[^"]*)"\s*,\s*\w+')
ERROR_RE = re.compile(r'X\(\s*([A-Z][A-Z0-9_]*)\s*,\s*(\d{3})\s*,')


def read(*parts):
    with open(os.path.join(ROOT, *parts), encoding="utf-8") as f:
        return f.read()


def norm(path):
    """/api/v1/orgs/{org_id}/members/{user_id} -> /api/v1/orgs/{}/members/{}"""
    return re.sub(r"\{[^}/]*\}", "{}", path.strip())


def code_routes():
    routes = set()
    api = os.path.join(ROOT, "src", "api")
    for name in sorted(os.listdir(api)):
        if name.endswith(".c"):
            for m in ROUTE_RE.finditer(read("src", "api", name)):
                routes.add((m.group(1), norm(m.group(2))))
    return routes


def openapi_routes():
    """(METHOD, normalized path) of docs/openapi.yaml: with PyYAML when it is installed, else
    from the layout (paths at two spaces, operations at four)."""
    text = read("docs", "openapi.yaml")
    try:
        import yaml
    except ImportError:
        yaml = None
    routes = set()
    if yaml is not None:
        doc = yaml.safe_load(text)
        assert str(doc.get("openapi", "")).startswith("3.0"), "openapi.yaml: not OpenAPI 3.0.x"
        for path, item in (doc.get("paths") or {}).items():
            for method in item:
                if method.upper() in METHODS:
                    routes.add((method.upper(), norm(path)))
        return routes
    in_paths, path = False, None
    for line in text.splitlines():
        if re.match(r"^\S", line):
            in_paths = line.startswith("paths:")
            path = None
            continue
        if not in_paths:
            continue
        m = re.match(r"^  (/[^:]*):\s*$", line) or re.match(r"^  '(/[^']*)':\s*$", line)
        if m:
            path = m.group(1)
            continue
        m = re.match(r"^    (get|post|put|patch|delete):\s*$", line)
        if m and path:
            routes.add((m.group(1).upper(), norm(path)))
    return routes


def api_md_routes():
    """The `### METHOD /api/v1/...` section headings of docs/api.md."""
    routes = set()
    for m in re.finditer(r"^###\s+(GET|POST|PUT|PATCH|DELETE)\s+(/api/v1/\S+)\s*$",
                         read("docs", "api.md"), re.M):
        routes.add((m.group(1), norm(m.group(2))))
    return routes


def test_route_tables_are_found():
    routes = code_routes()
    # a broken pattern would make every other test pass vacuously
    assert ("POST", "/api/v1/setup") in routes
    assert ("GET", "/api/v1/orgs/{}") in routes
    assert len(routes) >= 40


def test_every_route_in_openapi():
    missing = sorted(code_routes() - openapi_routes())
    assert not missing, "routes missing from docs/openapi.yaml: %s" % missing


def test_openapi_has_no_route_the_code_lacks():
    extra = sorted(openapi_routes() - code_routes())
    assert not extra, "docs/openapi.yaml documents routes the code does not have: %s" % extra


def test_every_route_in_api_md():
    missing = sorted(code_routes() - api_md_routes())
    assert not missing, "routes without a '### METHOD /path' section in docs/api.md: %s" % missing


def test_api_md_has_no_route_the_code_lacks():
    extra = sorted(api_md_routes() - code_routes())
    assert not extra, "docs/api.md documents routes the code does not have: %s" % extra


def registry():
    codes = {m.group(1): int(m.group(2)) for m in ERROR_RE.finditer(read("src", "lib", "errors.h"))}
    assert "VALIDATION_ERROR" in codes and "INTERNAL_ERROR" in codes, "errors.h: pattern broken"
    return codes


def errors_md_table():
    """code -> HTTP status from the rows `| `CODE` | 400 | ...` of docs/errors.md."""
    rows = {}
    for m in re.finditer(r"^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|\s*(\d{3})\s*\|", read("docs", "errors.md"), re.M):
        rows[m.group(1)] = int(m.group(2))
    return rows


def test_every_error_code_in_errors_md():
    table = errors_md_table()
    missing = sorted(set(registry()) - set(table))
    assert not missing, "error codes missing from docs/errors.md: %s" % missing


def test_errors_md_statuses_match_registry():
    reg, table = registry(), errors_md_table()
    wrong = sorted((c, table[c], s) for c, s in reg.items() if c in table and table[c] != s)
    assert not wrong, "docs/errors.md statuses differ from errors.h (code, doc, code's): %s" % wrong
    extra = sorted(set(table) - set(reg))
    assert not extra, "docs/errors.md lists codes errors.h does not have: %s" % extra


def test_readme_opens_with_make_run_and_make_test():
    lines = []
    in_fence = False
    for line in read("README.md").splitlines():
        s = line.strip()
        if s.startswith("```"):
            in_fence = not in_fence
            continue
        if not s or s.startswith("#") and not in_fence:
            continue
        lines.append(s)
        if len(lines) == 2:
            break
    assert len(lines) == 2, "README.md is too short"
    assert "make run" in lines[0], "README.md's first line after the title must be `make run`: %r" % lines[0]
    assert "make test" in lines[1], "README.md's second line must be `make test`: %r" % lines[1]


@pytest.mark.parametrize("doc", ["api.md", "errors.md", "permissions.md", "architecture.md"])
def test_doc_links_resolve(doc):
    """Relative links between the docs point at files that exist (docs/cli.md is written
    separately and may come later)."""
    text = re.sub(r"```.*?```", "", read("docs", doc), flags=re.S)
    text = re.sub(r"`[^`\n]*`", "", text)
    for target in re.findall(r"\]\(([^)#:\s]+)(?:#[^)]*)?\)", text):
        if target == "cli.md":
            continue
        assert os.path.exists(os.path.join(ROOT, "docs", target)), "%s links to missing %s" % (doc, target)
