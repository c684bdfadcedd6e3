"""Files that appear whole or not at all, and JSON Lines: the one place rxalign writes them.

Every write goes to a hidden temporary sibling and is renamed into place in one `os.replace`, so a kill leaves the
old file (or none), never half of a new one. A directory is built the same way (`replaced_dir`)."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def _tmp(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def write_text(path: Path, text: str) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp(path)
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_json(path: Path, obj: Any) -> None:
    write_text(path, json.dumps(obj, indent=2) + "\n")


def write_jsonl(path: Path, rows: Iterable[dict]) -> None:
    write_text(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))


def append_jsonl(path: Path, record: dict) -> None:
    """One record, one line, appended (metrics logs: a kill loses at most the line being written)."""
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(record) + "\n")


def read_jsonl(path: Path) -> list[dict]:
    """The records of a JSON Lines file rxalign wrote (blank lines skipped). User data goes through
    `rxalign.data.formats.read_jsonl`, which names the file and line of a bad record."""
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


@contextmanager
def replaced_dir(path: Path) -> Iterator[Path]:
    """Build a directory in a temporary sibling (yielded), then swap it for `path` in one rename; on an error the
    temporary one is removed and `path` is left as it was."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if path.exists():
        shutil.rmtree(path)
    os.replace(tmp, path)


__all__ = ["append_jsonl", "read_jsonl", "replaced_dir", "write_json", "write_jsonl", "write_text"]
