#!/usr/bin/env python3
"""Checks the code signature of a thin 64-bit Mach-O executable, for scripts/cross-check.sh.

macOS on Apple silicon kills an arm64 executable whose code signature is missing or does
not match its pages. The darwin builds are signed ad hoc by the linker and then stripped
by rustc (through rust-objcopy, which re-signs); this recomputes every page hash of the
CodeDirectory and compares. It checks the code slots only (what changes when a binary is
rewritten); there is no certificate in an ad-hoc signature to check.

Prints what it found and exits 0 when the signature is present and every page matches,
1 otherwise.

Usage: macho-signature.py BINARY
"""
import hashlib
import struct
import sys

MH_MAGIC_64 = 0xFEEDFACF
LC_CODE_SIGNATURE = 0x1D
CSMAGIC_EMBEDDED_SIGNATURE = 0xFADE0CC0
CSMAGIC_CODEDIRECTORY = 0xFADE0C02
CSSLOT_CODEDIRECTORY = 0
HASHES = {1: hashlib.sha1, 2: hashlib.sha256}
CS_ADHOC = 0x2
CS_LINKER_SIGNED = 0x20000


def check(path: str) -> str:
    data = open(path, "rb").read()
    magic, _cpu, _sub, _filetype, ncmds, _size, _flags, _res = struct.unpack_from("<IiiIIIII", data, 0)
    if magic != MH_MAGIC_64:
        raise ValueError("not a thin 64-bit little-endian Mach-O")
    offset = 32
    signature = None
    for _ in range(ncmds):
        cmd, cmdsize = struct.unpack_from("<II", data, offset)
        if cmd == LC_CODE_SIGNATURE:
            signature = struct.unpack_from("<II", data, offset + 8)
        offset += cmdsize
    if signature is None:
        raise ValueError("no LC_CODE_SIGNATURE: macOS on arm64 would refuse to run it")
    dataoff, datasize = signature
    blob = data[dataoff : dataoff + datasize]
    smagic, _length, count = struct.unpack_from(">III", blob, 0)
    if smagic != CSMAGIC_EMBEDDED_SIGNATURE:
        raise ValueError(f"signature blob magic {smagic:#x}")
    cd_offset = None
    for i in range(count):
        slot, off = struct.unpack_from(">II", blob, 12 + 8 * i)
        if slot == CSSLOT_CODEDIRECTORY:
            cd_offset = off
    if cd_offset is None:
        raise ValueError("no CodeDirectory")
    cd = blob[cd_offset:]
    (cmagic, _clen, version, flags, hash_offset, ident_offset, _n_special, n_code, code_limit,
     hash_size, hash_type, _platform, page_log2) = struct.unpack_from(">IIIIIIIIIBBBB", cd, 0)
    if cmagic != CSMAGIC_CODEDIRECTORY:
        raise ValueError(f"CodeDirectory magic {cmagic:#x}")
    if hash_type not in HASHES:
        raise ValueError(f"unknown hash type {hash_type}")
    if code_limit != dataoff:
        raise ValueError(f"the signature covers {code_limit} bytes, the code is {dataoff}")
    page = 1 << page_log2
    if n_code != (code_limit + page - 1) // page:
        raise ValueError(f"{n_code} page hashes for {code_limit} bytes of {page}-byte pages")
    bad = 0
    for i in range(n_code):
        want = cd[hash_offset + i * hash_size : hash_offset + (i + 1) * hash_size]
        got = HASHES[hash_type](data[i * page : min((i + 1) * page, code_limit)]).digest()[:hash_size]
        bad += want != got
    if bad:
        raise ValueError(f"{bad} of {n_code} page hashes do not match")
    ident = cd[ident_offset : cd.index(b"\0", ident_offset)].decode()
    kinds = [name for bit, name in ((CS_ADHOC, "adhoc"), (CS_LINKER_SIGNED, "linker-signed")) if flags & bit]
    return (f"code signature valid: CodeDirectory v{version:#x} {'+'.join(kinds) or hex(flags)}, "
            f"identifier {ident}, {n_code} {page}-byte pages, {HASHES[hash_type]().name}")


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        print(check(sys.argv[1]))
        return 0
    except (ValueError, struct.error, OSError) as err:
        print(f"invalid: {err}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
