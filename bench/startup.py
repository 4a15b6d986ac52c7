#!/usr/bin/env python3
"""Start-up cost of the plugin: time from process start to the handshake line (with
AutoMTLS, as Terraform starts it, and plaintext), idle RSS, and the release binary size.

Usage: python3 bench/startup.py [--runs 50]
Builds the release binary first. The client certificate is made like go-plugin's
(ECDSA P-521, SHA-512, CA:TRUE) with openssl.
"""
import argparse, os, statistics, subprocess, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "terraform-provider-taurusdb")
COOKIE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"
PEER_MS = 4.0  # the fastest Rust peer measured here, start to handshake line


def client_cert(tmp):
    key, cert = os.path.join(tmp, "k.pem"), os.path.join(tmp, "c.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-521",
                    "-sha512", "-nodes", "-keyout", key, "-out", cert, "-subj", "/O=HashiCorp/CN=localhost",
                    "-days", "1", "-addext", "basicConstraints=critical,CA:TRUE",
                    "-addext", "subjectAltName=DNS:localhost"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(cert) as f:
        return f.read()


def baseline(runs):
    """Process spawn + pipe read overhead of this harness (/bin/echo)."""
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        p = subprocess.Popen(["/bin/echo", "x"], stdout=subprocess.PIPE)
        p.stdout.readline()
        samples.append((time.perf_counter() - t0) * 1000)
        p.wait()
    return statistics.median(samples)


def handshake(runs, pem):
    env = {"TF_PLUGIN_MAGIC_COOKIE": COOKIE, "PLUGIN_PROTOCOL_VERSIONS": "5,6", "PATH": os.environ["PATH"]}
    if pem:
        env["PLUGIN_CLIENT_CERT"] = pem
    samples, rss = [], None
    for i in range(runs):
        t0 = time.perf_counter()
        p = subprocess.Popen([BIN], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        line = p.stdout.readline()
        samples.append((time.perf_counter() - t0) * 1000)
        assert line.startswith(b"1|6|unix|"), line
        if i == runs - 1:
            time.sleep(1.0)  # let it settle, then read the idle resident set
            with open(f"/proc/{p.pid}/status") as f:
                rss = next(int(l.split()[1]) for l in f if l.startswith("VmRSS"))
        p.kill()
        p.wait()
    return statistics.median(samples), min(samples), rss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=50)
    a = ap.parse_args()
    subprocess.run(["cargo", "build", "--release", "--locked", "--quiet"], cwd=ROOT, check=True)
    with tempfile.TemporaryDirectory() as tmp:
        pem = client_cert(tmp)
    spawn = baseline(a.runs)
    tls_med, tls_min, rss = handshake(a.runs, pem)
    plain_med, plain_min, _ = handshake(a.runs, None)
    size = os.path.getsize(BIN)
    print(f"start to handshake line, median of {a.runs} (harness spawn overhead {spawn:.2f} ms included):")
    print(f"  AutoMTLS:  {tls_med:.2f} ms (min {tls_min:.2f})  = {tls_med / PEER_MS:.2f}x the {PEER_MS:.0f} ms peer")
    print(f"  plaintext: {plain_med:.2f} ms (min {plain_min:.2f})")
    print(f"idle RSS (AutoMTLS, 1 s after the handshake): {rss / 1024:.1f} MiB  (target <= 8 MiB)")
    print(f"release binary: {size / 1e6:.1f} MB  (target <= 15 MB)")


if __name__ == "__main__":
    main()
