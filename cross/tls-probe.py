#!/usr/bin/env python3
"""Connects to a provider started in plugin mode as Terraform would, for
scripts/cross-check.sh: trusts only the server certificate from the handshake line,
optionally presents a client certificate, offers ALPN h2, sends the HTTP/2 client preface
and an empty SETTINGS frame, and waits for the server's first frame.

Prints "accepted" (exit 0) when the server answers with an HTTP/2 SETTINGS frame over TLS
with h2, or "refused: WHY" (exit 1) when the connection is closed or a TLS alert arrives
instead. In TLS 1.3 the client finishes its side of the handshake before the server has
checked the client certificate, so a refusal shows on the first read, not at connect.

Usage: tls-probe.py HANDSHAKE_LINE [CERT_PEM KEY_PEM]
"""
import base64
import socket
import ssl
import sys


def main() -> int:
    if len(sys.argv) not in (2, 4):
        print(__doc__, file=sys.stderr)
        return 2
    fields = sys.argv[1].strip().split("|")
    if len(fields) != 6 or fields[4] != "grpc" or not fields[5]:
        print(f"not a TLS handshake line: {sys.argv[1]!r}", file=sys.stderr)
        return 2
    network, address, cert_b64 = fields[2], fields[3], fields[5]
    server_der = base64.b64decode(cert_b64 + "=" * (-len(cert_b64) % 4))

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_verify_locations(cadata=server_der)
    ctx.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    ctx.set_alpn_protocols(["h2"])
    if len(sys.argv) == 4:
        ctx.load_cert_chain(sys.argv[2], sys.argv[3])

    if network == "unix":
        raw = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        target = address
    elif network == "tcp":
        host, _, port = address.rpartition(":")
        raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        target = (host, int(port))
    else:
        print(f"unknown network {network!r}", file=sys.stderr)
        return 2
    # A bound, not a synchronisation: qemu and wine are slow, never this slow.
    raw.settimeout(60)
    raw.connect(target)
    try:
        tls = ctx.wrap_socket(raw, server_hostname="localhost")
        if tls.selected_alpn_protocol() != "h2":
            print(f"refused: ALPN {tls.selected_alpn_protocol()!r}, not h2")
            return 1
        version = tls.version()
        # Client preface, then an empty SETTINGS frame (length 0, type 4, flags 0, stream 0).
        tls.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes([0, 0, 0, 4, 0, 0, 0, 0, 0]))
        head = b""
        while len(head) < 9:
            chunk = tls.recv(9 - len(head))
            if not chunk:
                print("refused: the server closed the connection")
                return 1
            head += chunk
    except (ssl.SSLError, ConnectionError) as err:
        print(f"refused: {err}")
        return 1
    if head[3] != 4:
        print(f"refused: first frame has type {head[3]}, not SETTINGS")
        return 1
    print(f"accepted ({version}, h2, server certificate pinned from the handshake line)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
