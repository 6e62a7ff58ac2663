"""A real OpenSSH sshd on 127.0.0.1 for integration tests.

It runs with its own generated ed25519 host key and a temporary sshd_config, accepts one
generated client key (OpenSSH format) for root, and allows direct-streamlocal forwarding so
that berthd can reach /var/run/docker.sock through it. restart(new_host_key=True) swaps the
host key (the key-change test); stop() ends it and removes its files.
"""
import base64
import hashlib
import os
import shutil
import socket
import subprocess
import tempfile
import time

from conftest import free_port

SSHD = "/usr/sbin/sshd"
SSH_KEYGEN = "ssh-keygen"


def keygen(path):
    """An unencrypted ed25519 key pair at path and path + ".pub" (OpenSSH format)."""
    for p in (path, path + ".pub"):
        if os.path.exists(p):
            os.unlink(p)
    subprocess.run([SSH_KEYGEN, "-q", "-t", "ed25519", "-N", "", "-C", "berth-test", "-f", path],
                   check=True, capture_output=True, timeout=30)


def fingerprint(pub_path):
    """The OpenSSH SHA256 fingerprint of a public key file ("SHA256:" + unpadded base64),
    computed here so that the test does not trust the code under test for it."""
    blob = base64.b64decode(open(pub_path).read().split()[1])
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


class Sshd:
    def __init__(self, port=None):
        self.dir = tempfile.mkdtemp(prefix="berth-sshd-")
        self.port = port or free_port()
        self.proc = None
        self.host_key_path = os.path.join(self.dir, "host_ed25519")
        self.client_key_path = os.path.join(self.dir, "client_ed25519")
        self.authorized_keys = os.path.join(self.dir, "authorized_keys")
        self.config = os.path.join(self.dir, "sshd_config")
        self.log_path = os.path.join(self.dir, "sshd.log")
        keygen(self.host_key_path)
        keygen(self.client_key_path)
        with open(self.authorized_keys, "w") as f:
            f.write(open(self.client_key_path + ".pub").read())
        self.private_key = open(self.client_key_path).read()
        with open(self.config, "w") as f:
            f.write("\n".join([
                "Port %d" % self.port,
                "ListenAddress 127.0.0.1",
                "HostKey %s" % self.host_key_path,
                "PidFile %s" % os.path.join(self.dir, "sshd.pid"),
                "AuthorizedKeysFile %s" % self.authorized_keys,
                "PermitRootLogin prohibit-password",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "UsePAM no",
                "StrictModes no",
                "AllowStreamLocalForwarding yes",
                "AllowTcpForwarding yes",
                "Subsystem sftp internal-sftp",  # SFTP backup targets
                "", ]))
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # privilege separation dir

    @property
    def host_key_fingerprint(self):
        return fingerprint(self.host_key_path + ".pub")

    def start(self, timeout=15):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([SSHD, "-D", "-e", "-f", self.config],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        # ready when the port accepts a connection and sends the SSH banner
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("sshd exited: " + self.read_log())
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    if s.recv(64).startswith(b"SSH-"):
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("sshd did not get ready: " + self.read_log())

    def _terminate(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if getattr(self, "log", None):
            self.log.close()
            self.log = None

    def restart(self, new_host_key=False):
        """Stops sshd and starts it again on the same port, with a new host key if asked."""
        self._terminate()
        if new_host_key:
            keygen(self.host_key_path)
        # the port was just released: retry briefly should it still be in TIME_WAIT
        deadline = time.time() + 10
        while True:
            try:
                return self.start()
            except RuntimeError:
                if time.time() > deadline:
                    raise
                self._terminate()
                time.sleep(0.2)

    def read_log(self):
        try:
            return open(self.log_path, "rb").read().decode(errors="replace")
        except OSError:
            return ""

    def stop(self):
        self._terminate()
        shutil.rmtree(self.dir, ignore_errors=True)
