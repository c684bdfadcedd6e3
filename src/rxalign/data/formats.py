"""Readers for user data: text corpora and TRL-style records (text, prompt_completion, messages, preference)
from .txt, JSONL, Parquet or a saved `datasets` directory; every bad record is one line naming file, line (or row) and field.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from rxalign.errors import UserError

# The string fields each record format requires (TRL's column names); kind detection tries them in this order.
KINDS = {
    "preference": ("prompt", "chosen", "rejected"),
    "messages": ("messages",),
    "prompt_completion": ("prompt", "completion"),
    "prompt": ("prompt",),  # prompt-only (PPO prompts, evaluation sets), as in TRL
    "text": ("text",),
}
ROLES = ("system", "user", "assistant")


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
        docs = [_text_field(rec, f"{path}:{line}", text_key) for line, rec in read_jsonl(path)]
    elif path.suffix == ".parquet":
        docs = _text_column(_load_parquet(path, field), path, text_key, "row")
    else:
        raise UserError(
            f"{field}: {path}: unsupported file type {path.suffix!r} (expected .txt, .jsonl, .parquet or a saved datasets directory)"
        )
    if not docs:
        raise UserError(f"{path}: corpus is empty (no documents)")
    return docs


# ---- records ---------------------------------------------------------------------------------------------


def load_records(path: Path, kind: str | None = None, field: str = "data") -> list[dict]:
    """Records of one format from .jsonl, .parquet or a saved `datasets` directory (its 'train' split).

    kind=None detects the format from the first record's keys; every record must then match it. Records come
    back as read, extra keys included.
    """
    return _load(Path(path), kind, field)[1]


def _load(path: Path, kind: str | None, field: str) -> tuple[str, list[dict]]:
    if kind is not None and kind not in KINDS:
        raise UserError(f"{field}: unknown record format {kind!r} (expected {', '.join(KINDS)})")
    if not path.exists():
        raise UserError(f"{field}: {path} does not exist")
    if path.is_dir():
        numbered = [(f"row {i}", row) for i, row in enumerate(_load_saved_dataset(path, field), start=1)]
    elif path.suffix == ".jsonl":
        numbered = read_jsonl(path)  # a generator: the first bad line stops the read
    elif path.suffix == ".parquet":
        numbered = [(f"row {i}", row) for i, row in enumerate(_load_parquet(path, field), start=1)]
    else:
        raise UserError(
            f"{field}: {path}: unsupported file type {path.suffix!r} (expected .jsonl, .parquet or a saved datasets directory)"
        )
    records = []
    for where, record in numbered:
        loc = f"{path}:{where}"
        kind = kind or _detect(record, loc)
        _check_record(record, kind, loc)
        records.append(record)
    if not records:
        raise UserError(f"{path}: no records")
    return kind, records


def detect_kind(record: dict) -> str | None:
    """The first format in KINDS whose fields the record has; None when it has none of them. A record with a
    prompt and part of a completion or preference (e.g. no 'rejected') is broken, not prompt-only."""
    for kind, keys in KINDS.items():
        if all(k in record for k in keys):
            partial = kind == "prompt" and any(k in record for k in ("completion", "chosen", "rejected"))
            return None if partial else kind
    return None


def _detect(record: dict, loc: str) -> str:
    if (kind := detect_kind(record)) is not None:
        return kind
    raise UserError(
        f"{loc}: cannot tell the record format from keys {_short(sorted(record))} "
        "(expected 'text', 'prompt', 'prompt'+'completion', 'messages' or 'prompt'+'chosen'+'rejected')"
    )


def _check_record(record: dict, kind: str, loc: str) -> None:
    if kind == "messages":
        _check_messages(record, loc)
        return
    values = {key: _text_field(record, loc, key) for key in KINDS[kind]}
    if kind != "preference":
        return
    if values["chosen"].strip() == values["rejected"].strip():
        raise UserError(f"{loc}: fields 'chosen' and 'rejected' are identical")
    votes = record.get("votes")  # None: absent (a Parquet/datasets row without votes reads as null)
    if votes is not None and not (
        isinstance(votes, list) and all(type(v) is int and v in (0, 1) for v in votes)
    ):
        raise UserError(f"{loc}: field 'votes' must be a list of 0/1, got {_short(votes)}")
    shown_first = record.get("chosen_shown_first")
    if shown_first is not None and not isinstance(shown_first, bool):
        raise UserError(f"{loc}: field 'chosen_shown_first' must be true or false, got {_type(shown_first)}")


def _check_messages(record: dict, loc: str) -> None:
    if "messages" not in record:
        raise UserError(f"{loc}: missing field 'messages'")
    messages = record["messages"]
    if not isinstance(messages, list):
        raise UserError(f"{loc}: field 'messages' must be a list, got {_type(messages)}")
    if not messages:
        raise UserError(f"{loc}: field 'messages' is empty (expected at least one message)")
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            raise UserError(f"{loc}: field 'messages[{i}]' must be an object, got {_type(message)}")
        role = _text_field(message, loc, "role", f"messages[{i}].role")
        if role not in ROLES:
            raise UserError(
                f"{loc}: messages[{i}].role: unknown role {_short(role)} (expected system, user or assistant)"
            )
        _text_field(message, loc, "content", f"messages[{i}].content")
    if messages[-1]["role"] != "assistant":
        raise UserError(
            f"{loc}: field 'messages' must end with an assistant message, got {messages[-1]['role']!r} last"
        )


@dataclass
class RecordReport:
    kind: str
    records: int
    duplicates: int  # records whose content fields equal an earlier record's
    over_length: int  # records with a text field longer than max_chars (0 when no max_chars)
    path: Path | None = None


def _contents(record: dict, kind: str) -> tuple:
    if kind == "messages":
        return tuple((m["role"], m["content"]) for m in record["messages"])
    return tuple(record[key] for key in KINDS[kind])


def check_records(records: list[dict], kind: str, max_chars: int | None = None) -> RecordReport:
    seen, duplicates, over_length = set(), 0, 0
    for record in records:
        contents = _contents(record, kind)
        duplicates += contents in seen
        seen.add(contents)
        texts = [m["content"] for m in record["messages"]] if kind == "messages" else contents
        over_length += max_chars is not None and any(len(s) > max_chars for s in texts)
    return RecordReport(kind, len(records), duplicates, over_length)


def validate_files(paths: list[Path], max_chars: int | None = None) -> list[RecordReport]:
    """Load each file (UserError on the first bad record) and report what it holds."""
    reports = []
    for path in paths:
        kind, records = _load(Path(path), None, "data")
        report = check_records(records, kind, max_chars)
        report.path = Path(path)
        reports.append(report)
    return reports


def _rendered(record: dict, kind: str, tokenizer) -> list[str]:
    if kind == "messages":
        return [tokenizer.apply_chat_template(record["messages"], tokenize=False)]
    if kind == "preference":
        return [record["prompt"] + record["chosen"], record["prompt"] + record["rejected"]]
    if kind == "prompt_completion":
        return [record["prompt"] + record["completion"]]
    if kind == "prompt":
        return [record["prompt"]]
    return [record["text"]]


def token_length_stats(records: list[dict], kind: str, tokenizer) -> dict:
    """Token lengths of the full texts a trainer sees: prompt+response (both responses of a preference pair),
    or the chat template applied to messages. Percentiles are nearest-rank."""
    lengths = sorted(
        len(tokenizer.encode(text, add_special_tokens=False))
        for record in records
        for text in _rendered(record, kind, tokenizer)
    )
    if not lengths:
        raise UserError("no records to measure")

    def rank(q: float) -> int:
        return lengths[max(0, math.ceil(q * len(lengths)) - 1)]

    return {
        "min": lengths[0],
        "mean": sum(lengths) / len(lengths),
        "p50": rank(0.5),
        "p95": rank(0.95),
        "max": lengths[-1],
    }


# ---- readers ---------------------------------------------------------------------------------------------


def _read_txt(path: Path, field: str) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise UserError(f"{path}: not UTF-8 text (byte {e.start})") from None
    return [block.strip() for block in text.split("\n\n") if block.strip()]


def read_jsonl(path: Path):
    """Yield (line_number, record) for each non-blank line; bad bytes, bad JSON or a non-object is one line."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise UserError(f"{path}: cannot read ({e.strerror})") from None
    offset = 0
    for number, raw in enumerate(data.splitlines(keepends=True), start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise UserError(f"{path}:{number}: not UTF-8 text (byte {offset + e.start})") from None
        offset += len(raw)
        if not line.strip():
            continue
        try:
            record = json.loads(line.rstrip("\r\n"))  # so a column number points into the line
        except json.JSONDecodeError as e:
            raise UserError(f"{path}:{number}: invalid JSON ({e.msg} at column {e.colno})") from None
        except (ValueError, RecursionError) as e:  # an integer too long to convert, nesting too deep
            raise UserError(f"{path}:{number}: invalid JSON ({type(e).__name__})") from None
        if not isinstance(record, dict):
            raise UserError(f"{path}:{number}: expected a JSON object, got {type(record).__name__}")
        yield number, record


def _type(value) -> str:
    return "null" if value is None else type(value).__name__


def _short(value, limit: int = 60) -> str:
    """repr (one line: it escapes newlines), cut to `limit` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _text_field(record: dict, loc: str, key: str, name: str | None = None) -> str:
    name = name or key
    if key not in record:
        raise UserError(f"{loc}: missing field {name!r}")
    value = record[key]
    if not isinstance(value, str):
        raise UserError(f"{loc}: field {name!r} must be a string, got {_type(value)}")
    if not value.strip():
        raise UserError(f"{loc}: field {name!r} is empty")
    return value


def _text_column(rows: list[dict], path: Path, key: str, unit: str) -> list[str]:
    return [_text_field(row, f"{path}:{unit} {i}", key) for i, row in enumerate(rows, start=1)]


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
        if isinstance(ds, datasets.DatasetDict) and "train" in ds:
            ds = ds["train"]
        rows = None if isinstance(ds, datasets.DatasetDict) else ds.to_list()
    except Exception:  # missing or corrupt metadata/arrow files raise many unrelated types
        raise UserError(f"{field}: {path} is a directory but not a saved `datasets` dataset") from None
    if rows is None:
        raise UserError(f"{path}: DatasetDict has no 'train' split (has {', '.join(ds)})")
    return rows
