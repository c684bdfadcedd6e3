"""Readers for user data files: plain text, JSONL, Parquet and saved `datasets` directories.

Every malformed record is reported on one line naming the file, the line (or row) and the field.
"""

from __future__ import annotations

import json
from pathlib import Path

from rxalign.errors import UserError


def read_corpus(path: Path, field: str = "data.corpus", text_key: str = "text") -> list[str]:
    """Documents of a pretraining corpus.

    .txt: documents separated by blank lines. .jsonl / .parquet / a saved `datasets` directory: the
    `text` column, one document per record.
    """
    path = Path(path)
    if not path.exists():
        raise UserError(f"{field}: {path} does not exist")
    if path.is_dir():
        docs = _text_column(_load_saved_dataset(path, field), path, text_key, "row")
    elif path.suffix == ".txt":
        docs = _read_txt(path, field)
    elif path.suffix == ".jsonl":
        docs = [_text_field(rec, path, line, text_key) for line, rec in _read_jsonl(path)]
    elif path.suffix == ".parquet":
        docs = _text_column(_load_parquet(path, field), path, text_key, "row")
    else:
        raise UserError(
            f"{field}: {path}: unsupported file type {path.suffix!r} (expected .txt, .jsonl, .parquet or a saved datasets directory)"
        )
    if not docs:
        raise UserError(f"{path}: corpus is empty (no documents)")
    return docs


def _read_txt(path: Path, field: str) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise UserError(f"{path}: not UTF-8 text (byte {e.start})") from None
    return [block.strip() for block in text.split("\n\n") if block.strip()]


def _read_jsonl(path: Path):
    """Yield (line_number, record) for each non-blank line; bad JSON or a non-object is one clear line."""
    try:
        f = open(path, encoding="utf-8")
    except OSError as e:
        raise UserError(f"{path}: cannot read ({e.strerror})") from None
    with f:
        try:
            for number, line in enumerate(f, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as e:
                    raise UserError(f"{path}:{number}: invalid JSON ({e.msg} at column {e.colno})") from None
                if not isinstance(record, dict):
                    raise UserError(f"{path}:{number}: expected a JSON object, got {type(record).__name__}")
                yield number, record
        except UnicodeDecodeError as e:
            raise UserError(f"{path}: not UTF-8 text (byte {e.start})") from None


def _text_field(record: dict, path: Path, where: int, key: str, unit: str = "") -> str:
    loc = f"{path}:{unit}{where}"
    if key not in record:
        raise UserError(f"{loc}: missing field {key!r}")
    value = record[key]
    if not isinstance(value, str):
        raise UserError(f"{loc}: field {key!r} must be a string, got {type(value).__name__}")
    if not value.strip():
        raise UserError(f"{loc}: field {key!r} is empty")
    return value


def _text_column(rows: list[dict], path: Path, key: str, unit: str) -> list[str]:
    return [_text_field(row, path, i, key, unit=f"{unit} ") for i, row in enumerate(rows, start=1)]


def _load_parquet(path: Path, field: str) -> list[dict]:
    import pyarrow.parquet as pq

    try:
        return pq.read_table(path).to_pylist()
    except Exception as e:  # pyarrow raises several unrelated types for a bad file
        raise UserError(f"{path}: not a readable Parquet file ({type(e).__name__})") from None


def _load_saved_dataset(path: Path, field: str) -> list[dict]:
    import datasets

    try:
        ds = datasets.load_from_disk(str(path))
    except (FileNotFoundError, ValueError, OSError):
        raise UserError(f"{field}: {path} is a directory but not a saved `datasets` dataset") from None
    if isinstance(ds, datasets.DatasetDict):
        if "train" not in ds:
            raise UserError(f"{path}: DatasetDict has no 'train' split (has {', '.join(ds)})")
        ds = ds["train"]
    return ds.to_list()
