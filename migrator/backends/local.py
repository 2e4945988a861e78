"""The `local` backend: everything on this machine, as migrator has always run.

Reads go to the forked reader pool of `workers.py` (a deadline and a memory limit per artifact),
or run in this process when `jobs` is 0 (tests, debuggers). Conversions run in the batch's
threads, each with its own `Converter`, all on one pool of long-lived runtime workers. The Ray
backend runs this very `read` inside each of its tasks, which is why one artifact is isolated
the same way on a cluster node as here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from migrator.backends import Backend, ReadLimits, register
from migrator.model import Reading

if TYPE_CHECKING:
    from migrator.convert import Options
    from migrator.convert.converter import Converter

T = TypeVar("T")

OUT_OF_MEMORY = "ran out of memory reading this file; it is probably damaged or hostile"


def crashed(exc: BaseException) -> str:
    """The error line of a judge or reader that raised (the same words the reader pool uses)."""
    reason = " ".join(str(exc).split())[:300]
    return (
        f"internal error while judging this file ({type(exc).__name__}: {reason}); "
        "please report this file to the migrator maintainers"
    )


def read_here(work: Callable[[T], Any], items: Iterable[T]) -> Iterator[tuple[T, Any]]:
    """Run `work` on each item in this process: no deadline, but one error line per failure."""
    for item in items:
        try:
            yield item, work(item)
        except MemoryError:
            yield item, Reading("unknown", errors=(OUT_OF_MEMORY,))
        except Exception as exc:  # a judge bug: one line, as the reader pool reports it
            yield item, Reading("unknown", errors=(crashed(exc),))


def read_isolated(
    work: Callable[[T], Any], items: Iterable[T], limits: ReadLimits
) -> Iterator[tuple[T, Any]]:
    """`work` over `items` in forked reader processes (or here when `limits.jobs` is 0)."""
    if limits.jobs <= 0 or limits.timeout <= 0:
        yield from read_here(work, items)
        return
    from migrator.workers import ReaderPool

    pool: ReaderPool[T, Any] = ReaderPool(
        work,
        limits.jobs,
        limits.timeout,
        memory_mb=limits.memory_mb,
        deadline=limits.deadline,
    )
    yield from pool.map(items)


@register("local")
class LocalBackend(Backend):
    """This machine: forked reader processes and conversion threads."""

    forks = True

    def __init__(self) -> None:
        pass

    def read(
        self, work: Callable[[T], Any], items: Iterable[T], limits: ReadLimits
    ) -> Iterator[tuple[T, Any]]:
        return read_isolated(work, items, limits)

    def converters(self, out_root: Path, options: Options) -> Callable[[], Converter]:
        from migrator.convert.converter import converter_factory

        return converter_factory(out_root, options)  # the threads share one runtime pool

    def convert_jobs(self, requested: int | None) -> int:
        return max(1, requested or 1)
