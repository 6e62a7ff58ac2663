"""A sample of the fuzz_nginx_site target's inputs (tests/fuzz, docs/fuzzing.md) through the
real `nginx -t`: every site the renderer accepts, from the seed corpus and from what
scripts/fuzz.sh found (build/fuzz/corpus/fuzz_nginx_site, at most SAMPLE of them), written
into one configuration tree with berth's nginx.conf by build/tests/fuzz_nginx_sample, must
load. The structural checks of the fuzz target run on each site too (the tool aborts on a
violation)."""
import os
import shutil
import subprocess
import tempfile

import pytest

from conftest import BUILD, ROOT

TOOL = os.path.join(BUILD, "tests", "fuzz_nginx_sample")
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SEEDS = os.path.join(ROOT, "tests", "fuzz", "corpus", "fuzz_nginx_site")
FOUND = os.path.join(ROOT, "build", "fuzz", "corpus", "fuzz_nginx_site")
SAMPLE = 2000

pytestmark = [
    pytest.mark.skipif(not os.access(NGINX, os.X_OK), reason="nginx is not installed"),
    pytest.mark.skipif(not os.path.exists(TOOL), reason="build/tests/fuzz_nginx_sample is not built"),
]


def inputs():
    files = sorted(os.path.join(SEEDS, f) for f in os.listdir(SEEDS))
    if os.path.isdir(FOUND):
        found = sorted(os.path.join(FOUND, f) for f in os.listdir(FOUND))
        step = max(1, len(found) // SAMPLE)
        files += found[::step][:SAMPLE]
    return files


def nginx_t(prefix):
    conf = os.path.join(prefix, "nginx.conf")
    err = os.path.join(prefix, "error.log")
    t = subprocess.run([NGINX, "-t", "-q", "-p", prefix + "/", "-c", conf, "-e", err],
                       capture_output=True, text=True, timeout=120)
    log = t.stdout + t.stderr
    if os.path.exists(err):
        log += open(err).read()
        os.remove(err)
    return t.returncode, log


def test_fuzzed_sites_pass_nginx_t():
    prefix = tempfile.mkdtemp(prefix="berth-fuzz-nginx-")
    try:
        if shutil.which("openssl"):
            subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                            "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj",
                            "/CN=erp.example.com", "-keyout", os.path.join(prefix, "key.pem"),
                            "-out", os.path.join(prefix, "cert.pem")],
                           check=True, capture_output=True, timeout=60)
        files = inputs()
        r = subprocess.run([TOOL, prefix] + files, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stdout + r.stderr
        written = dict(line.split(" ", 1) for line in r.stdout.splitlines()
                       if line.endswith(tuple(files)) and " " in line)
        assert written, "no input of the sample was accepted:\n" + r.stdout
        rc, log = nginx_t(prefix)
        if rc != 0:
            # nginx does not always name the file (a hash it cannot build): try each site alone
            sites = os.path.join(prefix, "sites.d")
            aside = os.path.join(prefix, "aside")
            os.rename(sites, aside)
            os.mkdir(sites)
            blamed = []
            for site in sorted(os.listdir(aside)):
                shutil.copy(os.path.join(aside, site), sites)
                one_rc, one_log = nginx_t(prefix)
                os.remove(os.path.join(sites, site))
                if one_rc != 0:
                    blamed.append(f"{site} <- {written.get(site)}: {one_log.strip()[-300:]}")
                if len(blamed) >= 5:
                    break
            pytest.fail(f"nginx -t refused the sample:\n{log}\nsites refused alone "
                        f"(site <- fuzz input; replay with {TOOL} DIR INPUT):\n" + "\n".join(blamed))
    finally:
        shutil.rmtree(prefix, ignore_errors=True)
