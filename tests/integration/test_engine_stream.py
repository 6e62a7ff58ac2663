"""The streaming Engine requests (drivers/engine_stream.c) and Odoo's backup zip
(drivers/odoozip.c), driven by build/tests/engine_stream_probe against the local Docker Engine
(its unix socket, and through a loopback OpenSSH sshd's direct-streamlocal forwarding):

- an exec with stdin and stdout attached carries 50 MB both ways, stderr apart, exit code;
- an archive GET of a directory is the tar the Docker CLI gives, a missing path is NOT_FOUND;
- an archive PUT (chunked) of a tar of many files lands byte for byte;
- the filestore streamed from the Engine into a zip, and zips berth writes, are accepted by
  Python's zipfile (what Odoo's restore uses) and `unzip -t`, Zip64 included; zips Python
  writes the way Odoo's dump_db does are read back; truncated and damaged archives fail.

Every container the test makes carries the label berth-test=engine-stream and is removed.
"""
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import uuid
import zipfile

import pytest

from conftest import BUILD
from sshd import Sshd

PROBE = os.path.join(BUILD, "tests", "engine_stream_probe")
IMAGE = "berth/base:bookworm"
LABEL = "berth-test=engine-stream"

pytestmark = pytest.mark.skipif(not os.path.exists("/var/run/docker.sock"),
                                reason="no Docker daemon (/var/run/docker.sock)")


def docker(*args, check=True, timeout=120):
    r = subprocess.run(["docker"] + list(args), capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError("docker %s failed: %s" % (args, r.stderr))
    return r


def probe(*args, ssh=None, timeout=300):
    argv = [PROBE]
    if ssh:
        argv += ["--ssh", ssh]
    r = subprocess.run(argv + [str(a) for a in args], capture_output=True, text=True,
                       timeout=timeout)
    assert r.stdout.strip(), "probe %s printed nothing (rc %d): %s" % (args, r.returncode,
                                                                       r.stderr)
    out = json.loads(r.stdout.strip().splitlines()[-1])
    # a clean exit when it worked (under BERTH_BUILD=build-asan: no leak, no sanitizer report)
    assert "error" in out or r.returncode == 0, (args, r.returncode, r.stderr[-3000:])
    return out


@pytest.fixture(scope="module")
def container():
    if not os.path.exists(PROBE):
        subprocess.run(["make", "-C", os.path.dirname(BUILD), PROBE], check=True,
                       capture_output=True, timeout=600)
    if docker("image", "inspect", IMAGE, check=False).returncode != 0:
        subprocess.run([os.path.join(os.path.dirname(__file__), "..", "odoo-standin",
                                     "build-base.sh")], check=True, capture_output=True,
                       timeout=1200)
    name = "berth-test-estream-" + uuid.uuid4().hex[:8]
    docker("run", "-d", "--name", name, "--label", LABEL, IMAGE, "sleep", "3600")
    try:
        yield name
    finally:
        docker("rm", "-f", name, check=False)


@pytest.fixture(scope="module")
def ssh():
    d = Sshd().start()
    key = os.path.join(d.dir, "probe_key")
    with open(key, "w") as f:
        f.write(d.private_key)
    try:
        yield "127.0.0.1:%d:root:%s" % (d.port, key)
    finally:
        d.stop()


@pytest.fixture
def tmp():
    d = tempfile.mkdtemp(prefix="berth-estream-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def transports(ssh):
    return [None, ssh]


def test_exec_stdin_to_stdout_50mb(container):
    r = probe("exec-cat", container, 50 * 1024 * 1024)
    assert "error" not in r, r
    assert r["in"] == r["out"] == 50 * 1024 * 1024
    assert r["out_sha256"] == r["in_sha256"]
    assert r["stderr_bytes"] == len(b"err\n")
    assert r["exit"] == 0
    print("exec cat 50 MB through stdin and stdout: %.2f s" % r["seconds"])


def test_exec_output_kept_while_stdin_is_written(container, ssh):
    # one thread writes all of cat's input before reading: the output is kept meanwhile
    r = probe("exec-cat", container, 20 * 1024 * 1024, ssh=ssh)
    assert r["out_sha256"] == r["in_sha256"] and r["exit"] == 0, r
    # beyond 64 MiB of unread output the write fails, it does not hang
    r = probe("exec-cat", container, 100 * 1024 * 1024)
    assert "error" in r and "more than 64 MiB" in r["error"], r


def test_exec_output_and_exit_codes(container, ssh):
    for via in transports(ssh):
        size = 200 * 1024 * 1024
        r = probe("exec-out", container, size, ssh=via)
        assert r["out"] == size and r["exit"] == 0, r
        assert r["out_sha256"] == hashlib.sha256(b"\0" * size).hexdigest()
        print("exec stdout %s: %.0f MB/s" % (via and "ssh" or "local",
                                             size / r["seconds"] / 1e6))
        # stdin over the SSH channel, then its EOF (the half-close) ends the command
        data = 10 * 1000 * 1000
        r = probe("exec-sum", container, data, ssh=via)
        assert r["exit"] == 0 and r["out_head"] == r["in_sha256"] + "  -\n", r
        assert r["stderr_bytes"] == 4
    # a missing container
    r = probe("exec-out", "berth-test-no-such-container", 10)
    assert r["code"] == "NOT_FOUND", r


def make_tree(container):
    docker("exec", container, "sh", "-c",
           "rm -rf /fs && mkdir -p /fs/mydb/checklist/ab && cd /fs/mydb && "
           "for i in $(seq 1 400); do d=$(printf %02x $((i % 256))); mkdir -p $d; "
           "head -c $((i * 131)) /dev/urandom > $d/f$i; done; "
           "head -c 20000000 /dev/urandom > ab/big; : > checklist/ab/empty")


def test_archive_get_and_put(container, ssh, tmp):
    make_tree(container)
    for via in transports(ssh):
        out = os.path.join(tmp, "get.tar")
        r = probe("archive-get", container, "/fs/mydb", out, ssh=via)
        assert r["status"] == 200, r
        # the Docker CLI's archive is the same tar
        ref = subprocess.run(["docker", "cp", container + ":/fs/mydb", "-"],
                             capture_output=True, timeout=120).stdout
        files = {m.name: tarfile.open(fileobj=io.BytesIO(ref)).extractfile(m).read()
                 for m in tarfile.open(fileobj=io.BytesIO(ref)) if m.isfile()}
        with tarfile.open(out) as t:
            got = {m.name: t.extractfile(m).read() for m in t if m.isfile()}
        assert got == files and len(got) == 402
        r = probe("archive-get", container, "/no/such/path", out, ssh=via)
        assert r["status"] == 404 and r["code"] == "NOT_FOUND", r

    # a tar of many files, put with a chunked body, lands byte for byte
    src = os.path.join(tmp, "put.tar")
    want = {}
    with tarfile.open(src, "w", format=tarfile.USTAR_FORMAT) as t:
        for i in range(1500):
            data = hashlib.sha256(str(i).encode()).digest() * (i % 50)
            name = "restored/%02x/%d" % (i % 256, i)
            want[name] = hashlib.sha256(data).hexdigest()
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))
    for via in transports(ssh):
        docker("exec", container, "sh", "-c", "rm -rf /dst && mkdir /dst")
        r = probe("archive-put", container, "/dst", src, ssh=via)
        assert "error" not in r, r
        listing = docker("exec", container, "sh", "-c",
                         "cd /dst && find restored -type f | xargs sha256sum").stdout
        got = {line.split()[1]: line.split()[0] for line in listing.splitlines()}
        assert got == want
    r = probe("archive-put", container, "/no/such/dir", src)
    assert r["code"] == "NOT_FOUND", r


def read_zip(path, unsized=False):
    return probe("zip-read", path, *(["unsized"] if unsized else []))


def test_filestore_into_zip_python_and_unzip_accept_it(container, ssh, tmp):
    make_tree(container)
    dump = os.path.join(tmp, "dump.sql")
    with open(dump, "wb") as f:
        for i in range(200000):
            f.write(b"INSERT INTO res_partner VALUES (%d, 'partner %d');\n" % (i, i))
    for via in transports(ssh):
        out = os.path.join(tmp, "backup.zip")
        r = probe("fs-zip", container, "/fs/mydb", "mydb/", dump, out, ssh=via)
        assert r.get("files") == 402, r
        assert r["bytes"] == os.path.getsize(out)
        assert r["sha256"] == hashlib.sha256(open(out, "rb").read()).hexdigest()
        with zipfile.ZipFile(out) as z:
            assert z.testzip() is None
            names = z.namelist()
            assert names[0] == "dump.sql" and names[-1] == "manifest.json"
            assert "filestore/ab/big" in names and "filestore/checklist/ab/empty" in names
            assert not any(n.startswith("mydb") or n.startswith("/") for n in names)
            assert z.read("dump.sql") == open(dump, "rb").read()
            info = {i.filename: i for i in z.infolist()}
            assert info["dump.sql"].compress_type == zipfile.ZIP_DEFLATED
            assert info["filestore/ab/big"].compress_type == zipfile.ZIP_STORED
            json.loads(z.read("manifest.json"))
            big = z.read("filestore/ab/big")
        ref = docker("exec", container, "sha256sum", "/fs/mydb/ab/big").stdout.split()[0]
        assert hashlib.sha256(big).hexdigest() == ref
        t = subprocess.run(["unzip", "-t", out], capture_output=True, text=True, timeout=120)
        assert t.returncode == 0 and "No errors detected" in t.stdout, t.stdout[-500:]
        # read back by berth: sizes before the data (spilled for dump.sql), hashes match
        r = read_zip(out)
        entries = {e["name"]: e for e in r["entries"]}
        assert entries["dump.sql"]["size"] == os.path.getsize(dump)
        assert entries["filestore/ab/big"]["size"] == 20000000
        assert entries["filestore/ab/big"]["sha256"] == ref
        r = read_zip(out, unsized=True)
        assert {e["name"]: e["size"] for e in r["entries"]}["dump.sql"] == -1
        # and back into a container, as a restore does: a tar stream owned by Odoo's user
        docker("exec", container, "sh", "-c", "rm -rf /restored && mkdir -p /restored/mydb")
        r = probe("zip-restore", container, "/restored/mydb", out, ssh=via)
        assert r.get("files") == 402, r
        got = docker("exec", container, "sh", "-c",
                     "cd /restored/mydb && find . -type f | sort | xargs sha256sum").stdout
        want = docker("exec", container, "sh", "-c",
                      "cd /fs/mydb && find . -type f | sort | xargs sha256sum").stdout
        assert got == want and got
        owners = docker("exec", container, "sh", "-c",
                        "find /restored/mydb -mindepth 1 -printf '%U:%G\\n' | sort -u").stdout
        assert owners.split() == ["100:101"], owners


def odoo_style_zip(path, dump_bytes, files):
    """What Odoo's dump_db makes: ZIP_DEFLATED, allowZip64, sizes in the local headers (a
    seekable file), filestore first, dump.sql last."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as z:
        z.writestr("manifest.json", json.dumps({"odoo_dump": "1", "db_name": "x"}))
        for name, data in files.items():
            z.writestr("filestore/" + name, data)
        z.writestr("dump.sql", dump_bytes)


def test_reads_odoo_zips_and_refuses_damaged_ones(tmp):
    path = os.path.join(tmp, "odoo.zip")
    files = {"ab/ab%02d" % i: os.urandom(1000 * i) for i in range(30)}
    dump = b"".join(b"COPY public.t (id) FROM stdin;\n%d\n\\.\n" % i for i in range(50000))
    odoo_style_zip(path, dump, files)
    r = read_zip(path)
    assert "error" not in r, r
    got = {e["name"]: e for e in r["entries"]}
    assert got["dump.sql"]["size"] == len(dump)  # Python puts sizes in local headers
    assert got["dump.sql"]["sha256"] == hashlib.sha256(dump).hexdigest()
    for name, data in files.items():
        assert got["filestore/" + name]["sha256"] == hashlib.sha256(data).hexdigest()
    # cut short anywhere: VALIDATION_ERROR
    blob = open(path, "rb").read()
    for cut in (100, len(blob) // 3, len(blob) - 200, len(blob) - 5):
        bad = os.path.join(tmp, "cut.zip")
        with open(bad, "wb") as f:
            f.write(blob[:cut])
        r = read_zip(bad)
        assert r.get("code") == "VALIDATION_ERROR", (cut, r)
    # a byte changed inside the deflated dump: a CRC mismatch or a bad deflate stream
    off = blob.index(b"dump.sql") + 200
    bad = os.path.join(tmp, "flip.zip")
    with open(bad, "wb") as f:
        f.write(blob[:off] + bytes([blob[off] ^ 0x55]) + blob[off + 1:])
    r = read_zip(bad)
    assert r.get("code") == "VALIDATION_ERROR", r


@pytest.mark.skipif(os.environ.get("BERTH_SLOW_TESTS") != "1",
                    reason="slow (writes and checks a 4.1 GiB entry): BERTH_SLOW_TESTS=1")
def test_zip64_entry_over_4gib(tmp):
    path = os.path.join(tmp, "big.zip")
    size = 4 * 1024 ** 3 + 100 * 1024 ** 2
    r = probe("zip-zero", path, size, timeout=1800)
    assert "error" not in r, r
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("filestore/00/big")
        assert info.file_size == size
    t = subprocess.run(["unzip", "-t", path], capture_output=True, text=True, timeout=1800)
    assert t.returncode == 0, t.stdout[-500:]
    r = read_zip(path)
    assert {e["name"]: e["size"] for e in r["entries"]}["filestore/00/big"] == size


def test_zip64_forced_small(tmp):
    """An entry of unknown size is written with Zip64 sizes in its data descriptor: Python's
    zipfile and unzip read it."""
    path = os.path.join(tmp, "z.zip")
    dump = os.path.join(tmp, "d.sql")
    with open(dump, "wb") as f:
        f.write(os.urandom(3000) * 100)
    r = probe("zip-write", path, dump)
    assert "error" not in r, r
    raw = open(path, "rb").read()
    assert raw[18:26] == b"\xff" * 8  # the local header's sizes are in the Zip64 extra field
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
        assert z.read("dump.sql") == open(dump, "rb").read()
    assert subprocess.run(["unzip", "-t", path], capture_output=True).returncode == 0
