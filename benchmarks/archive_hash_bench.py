"""What hashing an archive's members for the CycloneDX report costs while auditing it.

A compressed tar has no index, so auditing one already inflates every byte of it; the audit
now also hashes each member as its bytes go by (the unkept tail of a weight shard is read on
instead of skipped inside tarfile), and hashes a zip's weight shards by a second bounded read.
This prints, for a SavedModel whose weight shard is `--mib` MiB of incompressible bytes (float
weights compress ~1.1:1), packed as `.tar.gz` and `.zip`:

- the wall time of reading the archive as the audit does (`archive.read_all`: walk, lay-out,
  discovery, readers), best of `--repeat`, with the member hashes and without them (the
  staging folder's `read_through` forced off, the zip's second read skipped);
- how many bytes of the members were hashed.

    python benchmarks/archive_hash_bench.py [--mib 256] [--repeat 3] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import importlib
import os
import shutil
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from migrator.formats import archive
from migrator.formats.archive import stage
from migrator.model import Candidate

# the module, not the function `archive.expand` the package exports under the same name
expand = importlib.import_module("migrator.formats.archive.expand")

REPO = Path(__file__).resolve().parents[1]
SAVED_MODEL = (
    REPO / "corpus" / "generated" / "tf215" / "keras" / "functional" / "save-dir" / "model"
)


def build(folder: Path, mib: int) -> tuple[Path, Path]:
    """A SavedModel with a `mib` MiB shard of random bytes, as `.tar.gz` and `.zip`."""
    model = folder / "1"
    shutil.copytree(SAVED_MODEL, model)
    shard = next((model / "variables").glob("*.data-*"))
    with shard.open("wb") as out:
        for _ in range(mib):
            out.write(os.urandom(2**20))
    tgz = folder / "model.tar.gz"
    with tarfile.open(tgz, "w:gz", compresslevel=1) as tar:
        tar.add(model, arcname="1")
    zipped = folder / "model.zip"
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for file in sorted(model.rglob("*")):
            if file.is_file():
                zf.write(file, f"1/{file.relative_to(model).as_posix()}")
    return tgz, zipped


class _NoHashStage(stage.Stage):
    """The staging folder as it was before member hashes: tails skipped, not read on."""

    @property
    def read_through(self) -> bool:  # type: ignore[override]
        return False

    @read_through.setter
    def read_through(self, value: bool) -> None:
        pass


@contextmanager
def without_hashes() -> Iterator[None]:
    saved = stage.Stage, expand._hash_held
    stage.Stage = _NoHashStage  # type: ignore[misc]
    expand._hash_held = lambda found, laid, held: None  # type: ignore[assignment]
    try:
        yield
    finally:
        stage.Stage, expand._hash_held = saved  # type: ignore[misc]


def timed(path: Path, repeat: int) -> tuple[float, int]:
    best, hashed = float("inf"), 0
    for _ in range(repeat):
        start = time.perf_counter()
        rows = archive.read_all(Candidate(path, path.name, "archive", (path.name,)))
        best = min(best, time.perf_counter() - start)
        assert not any(r.errors for r in rows), [r.errors for r in rows]
        hashed = sum(
            (path.parent / "1" / f.split("!/1/", 1)[1]).stat().st_size
            for r in rows[1:]
            for f in r.digests
        )
    return best, hashed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=256)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="archive-hash-", dir=args.workdir))
    try:
        for path in build(folder, args.mib):
            size = path.stat().st_size / 2**20
            on, hashed = timed(path, args.repeat)
            with without_hashes():
                off, _ = timed(path, args.repeat)
            print(
                f"{path.name}: {size:.0f} MiB on disk, {hashed / 2**20:.1f} MiB of members "
                f"hashed; audit read {on:.2f} s with hashes, {off:.2f} s without "
                f"(+{on - off:.2f} s: {hashed / 2**20 / max(on - off, 1e-9):.0f} MiB/s hashed)"
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
