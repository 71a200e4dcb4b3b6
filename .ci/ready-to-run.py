#!/usr/bin/env python3
"""Exits 1 naming each assembly given that holds no ReadyToRun code (docs/deploy.md, "ReadyToRun").

A ReadyToRun assembly's CLI header points at a ManagedNativeHeader; an IL-only one has none. Read from the PE file
itself: the CLI header is data directory 14, and ManagedNativeHeader the last of its directories (offset 64).
Usage: .ci/ready-to-run.py ASSEMBLY...
"""
import struct
import sys


def ready_to_run(path):
    data = open(path, "rb").read()
    pe = struct.unpack_from("<I", data, 0x3C)[0]
    sections = struct.unpack_from("<H", data, pe + 6)[0]
    optional_size = struct.unpack_from("<H", data, pe + 20)[0]
    optional = pe + 24
    directories = optional + (96 if struct.unpack_from("<H", data, optional)[0] == 0x10B else 112)
    cli_rva = struct.unpack_from("<I", data, directories + 14 * 8)[0]
    for section in range(sections):
        header = optional + optional_size + section * 40
        size, address, _, raw = struct.unpack_from("<IIII", data, header + 8)
        if address <= cli_rva < address + size:
            cli = cli_rva - address + raw
            return struct.unpack_from("<I", data, cli + 64 + 4)[0] > 0
    return False


missing = [path for path in sys.argv[1:] if not ready_to_run(path)]
for path in missing:
    print(f"no ReadyToRun code in {path}")
sys.exit(1 if missing or len(sys.argv) < 2 else 0)
