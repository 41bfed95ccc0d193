"""Measure a portfolio pack streamed from storage: time, throughput and the memory it takes.

    .venv/bin/python scripts/bench_pack.py --files 200 --file-mb 1 --big 2 --big-mb 200

Writes the files into a throwaway media folder, builds a pack of them (`pack_stream`, as the
download sends it) and reads the stream to its end, as a client would, without keeping it.
Compared with copying the same files (`shutil.copyfileobj` to nowhere): the pack's overhead.
Peak memory: Python's allocations while streaming (tracemalloc), and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--file-mb", type=float, default=1)
    parser.add_argument("--big", type=int, default=2)
    parser.add_argument("--big-mb", type=int, default=200)
    args = parser.parse_args()
    media = tempfile.mkdtemp(prefix="bench-pack-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ["PORTAL_VAR_DIR"] = tempfile.mkdtemp(prefix="bench-var-")
    import django

    django.setup()
    from django.conf import settings
    from django.core.files.storage import FileSystemStorage

    from certification.exports import pack as packs
    from portal.archives import StoredFile
    from portfolios.models import Registration
    from qualifications.models import Qualification

    storage = FileSystemStorage(location=media)
    packs.default_storage = storage  # the pack reads evidence through the storage API
    files = []
    sizes = [int(args.file_mb * 2**20)] * args.files + [args.big_mb * 2**20] * args.big
    for n, size in enumerate(sizes):
        name = f"evidence/{n}.bin"
        path = Path(media) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as out:
            for _ in range(size // 2**20):
                out.write(os.urandom(2**20))
            out.write(os.urandom(size % 2**20))
        files.append(StoredFile(f"evidence/1/{n}-file.bin", name, "a file", None))
    total = sum(sizes)
    registration = Registration(pk=1, qualification=Qualification(code="Q", number="Q"))
    pack = packs.Pack(registration, "bench.zip", {"README.txt": b"bench"}, files, {})

    started = time.perf_counter()
    for stored in files:
        with storage.open(stored.storage_name, "rb") as source:
            for _chunk in source.chunks(2**20):
                pass
    copied = time.perf_counter() - started

    tracemalloc.start()
    started = time.perf_counter()
    sent, largest = 0, 0
    for chunk in packs.pack_stream(pack):
        sent += len(chunk)
        largest = max(largest, len(chunk))
    took = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{len(files)} files, {total / 2**20:.0f} MB: pack streamed in {took:.2f} s "
        f"({total / 2**20 / took:.0f} MB/s; reading the files alone {copied:.2f} s), "
        f"ZIP {sent / 2**20:.0f} MB, largest piece sent {largest / 2**20:.2f} MB, "
        f"Python's peak while streaming {peak / 2**20:.1f} MB, process peak RSS {rss:.0f} MB"
    )
    del settings


if __name__ == "__main__":
    main()
