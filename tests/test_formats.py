"""Record loaders: exact happy paths for each format and container, every error message, and properties that
no malformed record loads (and every valid one round-trips) through JSONL, Parquet and saved `datasets`."""

import json
import tempfile
from pathlib import Path

import datasets
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from rxalign.data.formats import (
    KINDS,
    ROLES,
    RecordReport,
    check_records,
    load_records,
    read_corpus,
    token_length_stats,
    validate_files,
)
from rxalign.errors import UserError

datasets.disable_progress_bars()

VALID = {
    "text": [
        {"text": "Aspirin irreversibly inhibits COX-1."},
        {"text": "Metformin lowers hepatic glucose output."},
    ],
    "prompt": [
        {"prompt": "Is warfarin with ibuprofen safe?", "truth": {"severity": "major"}},
        {"prompt": "Metformin in cirrhosis?", "truth": {"severity": "none"}},
    ],
    "prompt_completion": [
        {"prompt": "Q: First-line drug for type 2 diabetes?\nA:", "completion": " Metformin."},
        {"prompt": "Q: Antidote for heparin?\nA:", "completion": " Protamine sulfate."},
    ],
    "messages": [
        {
            "messages": [
                {"role": "system", "content": "You are a pharmacology tutor."},
                {"role": "user", "content": "What does warfarin inhibit?"},
                {"role": "assistant", "content": "Vitamin K epoxide reductase."},
            ]
        },
        {
            "messages": [
                {"role": "assistant", "content": "Hello."},
                {"role": "assistant", "content": "Ask away."},
            ]
        },
    ],
    "preference": [
        {
            "prompt": "Max daily paracetamol for a healthy adult?",
            "chosen": "4 g per day.",
            "rejected": "40 g per day.",
            "votes": [1, 1, 0],
            "chosen_shown_first": True,
            "perturbation": "dose_x10",
            "facts": ["paracetamol max 4 g/day"],
            "gold_chosen_better": True,
            "id": "pref-0001",
            "split": "train",
        },
        {
            "prompt": "Drug class of lisinopril?",
            "chosen": "An ACE inhibitor.",
            "rejected": "A beta blocker.",
            "votes": [],
            "chosen_shown_first": False,
            "perturbation": "class_swap",
            "facts": [],
            "gold_chosen_better": True,
            "id": "pref-0002",
            "split": "test",
        },
    ],
}
CONTAINERS = ["jsonl", "parquet", "dataset"]


def write_jsonl(path: Path, records: list) -> Path:
    """Records are dicts (json-dumped) or raw bytes for one line."""
    lines = [r if isinstance(r, bytes) else json.dumps(r).encode() for r in records]
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    return path


def write_table(path: Path, table: pa.Table, container: str) -> Path:
    if container == "parquet":
        pq.write_table(table, path)
    else:
        datasets.Dataset(table).save_to_disk(str(path))
    return path


def write(directory: Path, records: list[dict], container: str, name: str = "data") -> Path:
    if container == "jsonl":
        return write_jsonl(directory / f"{name}.jsonl", records)
    suffix = ".parquet" if container == "parquet" else ""
    return write_table(directory / f"{name}{suffix}", pa.Table.from_pylist(records), container)


def error(call, *args, **kwargs) -> str:
    with pytest.raises(UserError) as e:
        call(*args, **kwargs)
    return str(e.value)


# ---- happy paths -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("container", CONTAINERS)
@pytest.mark.parametrize("kind", list(KINDS))
def test_each_format_loads_exactly_and_is_detected(tmp_path, kind, container):
    path = write(tmp_path, VALID[kind], container)
    assert load_records(path) == VALID[kind]
    assert load_records(path, kind=kind) == VALID[kind]
    assert validate_files([path]) == [RecordReport(kind, 2, 0, 0, path)]


def test_dataset_dict_uses_the_train_split(tmp_path):
    splits = {"train": VALID["text"], "test": [{"text": "held out"}]}
    datasets.DatasetDict({k: datasets.Dataset.from_list(v) for k, v in splits.items()}).save_to_disk(
        str(tmp_path / "dd")
    )
    assert load_records(tmp_path / "dd") == VALID["text"]


def test_detection_prefers_preference_then_messages_then_prompt_completion(tmp_path):
    both = {"prompt": "p", "completion": "c", "chosen": "a", "rejected": "b", "text": "t"}
    assert validate_files([write_jsonl(tmp_path / "a.jsonl", [both])])[0].kind == "preference"
    pc_text = {"prompt": "p", "completion": "c", "text": "t"}
    assert validate_files([write_jsonl(tmp_path / "b.jsonl", [pc_text])])[0].kind == "prompt_completion"
    # an explicit kind overrides detection; extra keys are kept
    assert load_records(tmp_path / "b.jsonl", kind="text") == [pc_text]


def test_read_corpus_still_reads_text_records(tmp_path):
    assert read_corpus(write_jsonl(tmp_path / "c.jsonl", VALID["text"])) == [r["text"] for r in VALID["text"]]


# ---- every error, exact message ---------------------------------------------------------------------------

PREF = VALID["preference"][0]
CHAT = VALID["messages"][0]["messages"]
DROP = object()


def with_(record: dict, **changes) -> dict:
    """record with some fields changed, or removed where the change is DROP."""
    out = {**record, **changes}
    return {k: v for k, v in out.items() if v is not DROP}


JSONL_ERRORS = [
    # (second line of a file whose first line is a valid preference record, message after "<path>:")
    (b'{"prompt": "a",', "2: invalid JSON (Expecting property name enclosed in double quotes at column 16)"),
    (b'{"prompt": "a", "chosen"', "2: invalid JSON (Expecting ':' delimiter at column 25)"),
    (b'["prompt", "chosen"]', "2: expected a JSON object, got list"),
    (b'"just a string"', "2: expected a JSON object, got str"),
    (with_(PREF, rejected=DROP), "2: missing field 'rejected'"),
    (with_(PREF, chosen=3), "2: field 'chosen' must be a string, got int"),
    (with_(PREF, prompt=None), "2: field 'prompt' must be a string, got null"),
    (with_(PREF, rejected=["x"]), "2: field 'rejected' must be a string, got list"),
    (with_(PREF, chosen=" \n\t "), "2: field 'chosen' is empty"),
    (
        with_(PREF, chosen=" 4 g per day. ", rejected="4 g per day.\n"),
        "2: fields 'chosen' and 'rejected' are identical",
    ),
    (with_(PREF, votes=[1, 2]), "2: field 'votes' must be a list of 0/1, got [1, 2]"),
    (with_(PREF, votes=[True]), "2: field 'votes' must be a list of 0/1, got [True]"),
    (with_(PREF, votes="1"), "2: field 'votes' must be a list of 0/1, got '1'"),
    (with_(PREF, chosen_shown_first=1), "2: field 'chosen_shown_first' must be true or false, got int"),
    (b"\xff" + json.dumps(PREF).encode(), f"2: not UTF-8 text (byte {len(json.dumps(PREF)) + 1})"),
    (b'{"n": ' + b"9" * 5000 + b"}", "2: invalid JSON (ValueError)"),
    (b"[" * 100_000, "2: invalid JSON (RecursionError)"),
]
CHAT_ERRORS = [
    # (second line of a file whose first line is a valid messages record, message after "<path>:")
    ({"messages": "hi"}, "2: field 'messages' must be a list, got str"),
    ({"messages": []}, "2: field 'messages' is empty (expected at least one message)"),
    ({"messages": [CHAT[0], "hi", CHAT[2]]}, "2: field 'messages[1]' must be an object, got str"),
    (
        {"messages": [*CHAT[:2], {"role": "doctor", "content": "x"}]},
        "2: messages[2].role: unknown role 'doctor' (expected system, user or assistant)",
    ),
    ({"messages": [*CHAT[:2], {"content": "x"}]}, "2: missing field 'messages[2].role'"),
    (
        {"messages": [*CHAT[:2], {"role": "assistant", "content": 7}]},
        "2: field 'messages[2].content' must be a string, got int",
    ),
    (
        {"messages": [*CHAT[:2], {"role": "assistant", "content": ""}]},
        "2: field 'messages[2].content' is empty",
    ),
    ({"messages": CHAT[:2]}, "2: field 'messages' must end with an assistant message, got 'user' last"),
    ({"chat": CHAT}, "2: missing field 'messages'"),
]


@pytest.mark.parametrize("line,message", JSONL_ERRORS)
def test_jsonl_preference_errors(tmp_path, line, message):
    path = write_jsonl(tmp_path / "prefs.jsonl", [PREF, line])
    assert error(load_records, path) == f"{path}:{message}"


@pytest.mark.parametrize("record,message", CHAT_ERRORS)
def test_jsonl_messages_errors(tmp_path, record, message):
    path = write_jsonl(tmp_path / "chat.jsonl", [VALID["messages"][0], record])
    assert error(load_records, path) == f"{path}:{message}"


def test_record_format_must_be_recognisable_and_consistent(tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", [{"question": "q", "answer": "a"}])
    assert error(load_records, path) == (
        f"{path}:1: cannot tell the record format from keys ['answer', 'question'] "
        "(expected 'text', 'prompt', 'prompt'+'completion', 'messages' or 'prompt'+'chosen'+'rejected')"
    )
    path = write_jsonl(tmp_path / "b.jsonl", [*VALID["text"], VALID["prompt_completion"][0]])
    assert error(load_records, path) == f"{path}:3: missing field 'text'"
    path = write_jsonl(tmp_path / "c.jsonl", VALID["text"])
    assert error(load_records, path, kind="preference") == f"{path}:1: missing field 'prompt'"
    assert error(load_records, path, kind="dpo") == (
        "data: unknown record format 'dpo' (expected preference, messages, prompt_completion, prompt, text)"
    )


def test_file_level_errors(tmp_path):
    (tmp_path / "empty.jsonl").write_text("\n  \n")
    assert error(load_records, tmp_path / "empty.jsonl") == f"{tmp_path / 'empty.jsonl'}: no records"
    assert error(load_records, tmp_path / "nope.jsonl") == f"data: {tmp_path / 'nope.jsonl'} does not exist"
    (tmp_path / "d.csv").write_text("text\nhi\n")
    assert error(load_records, tmp_path / "d.csv", field="dpo.data") == (
        f"dpo.data: {tmp_path / 'd.csv'}: unsupported file type '.csv' (expected .jsonl, .parquet or a saved datasets directory)"
    )
    (tmp_path / "bad.parquet").write_bytes(b"PAR1 not really")
    assert error(load_records, tmp_path / "bad.parquet").startswith(
        f"{tmp_path / 'bad.parquet'}: not a readable Parquet file ("
    )
    (tmp_path / "dir").mkdir()
    assert error(load_records, tmp_path / "dir") == (
        f"data: {tmp_path / 'dir'} is a directory but not a saved `datasets` dataset"
    )
    datasets.DatasetDict({"test": datasets.Dataset.from_list(VALID["text"])}).save_to_disk(
        str(tmp_path / "dd")
    )
    assert (
        error(load_records, tmp_path / "dd")
        == f"{tmp_path / 'dd'}: DatasetDict has no 'train' split (has test)"
    )
    pq.write_table(
        pa.Table.from_pylist([], schema=pa.schema([("text", pa.string())])), tmp_path / "e.parquet"
    )
    assert error(load_records, tmp_path / "e.parquet") == f"{tmp_path / 'e.parquet'}: no records"


@pytest.mark.parametrize("container", ["parquet", "dataset"])
def test_columnar_errors_name_the_row(tmp_path, container):
    def check(name, rows, expected):
        path = write(tmp_path, rows, container, name=name)
        assert error(load_records, path) == f"{path}:{expected}"

    check("a", [PREF, with_(PREF, chosen=None)], "row 2: field 'chosen' must be a string, got null")
    check(
        "b",
        [PREF, PREF, with_(PREF, rejected=" 4 g per day.")],
        "row 3: fields 'chosen' and 'rejected' are identical",
    )
    check("c", [PREF, with_(PREF, votes=[0, 5])], "row 2: field 'votes' must be a list of 0/1, got [0, 5]")
    bad_chat = {"messages": [*CHAT[:2], {"role": "doctor", "content": "x"}]}
    check(
        "d",
        [VALID["messages"][0], bad_chat],
        "row 2: messages[2].role: unknown role 'doctor' (expected system, user or assistant)",
    )
    check(
        "e",
        [{"prompt": "a", "chosen": "b"}],
        "row 1: cannot tell the record format from keys ['chosen', 'prompt'] "
        "(expected 'text', 'prompt', 'prompt'+'completion', 'messages' or 'prompt'+'chosen'+'rejected')",
    )


# ---- reports and token lengths ----------------------------------------------------------------------------


def test_duplicate_and_over_length_counts():
    texts = [{"text": "abc"}, {"text": "abc"}, {"text": "abc "}, {"text": "abcdefgh"}, {"text": "abc"}]
    assert check_records(texts, "text") == RecordReport("text", 5, 2, 0)
    assert check_records(texts, "text", max_chars=3) == RecordReport("text", 5, 2, 2)
    prefs = [PREF, {**PREF, "id": "other metadata, same content"}, VALID["preference"][1]]
    assert check_records(prefs, "preference", max_chars=30) == RecordReport("preference", 3, 1, 2)
    chats = [
        {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]},
        {"messages": [{"role": "system", "content": "hi"}, {"role": "assistant", "content": "yo"}]},
        {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]},
        {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "a long reply"}]},
    ]
    assert check_records(chats, "messages", max_chars=5) == RecordReport("messages", 4, 1, 1)


class WordTokenizer:
    """One token per whitespace-separated word; the chat template writes 'role: content' lines."""

    def encode(self, text, add_special_tokens=True):
        assert add_special_tokens is False
        return text.split()

    def apply_chat_template(self, messages, tokenize=True):
        assert tokenize is False
        return "".join(f"{m['role']}: {m['content']}\n" for m in messages)


def test_token_length_stats_exact():
    texts = [{"text": " ".join(["w"] * n)} for n in (5, 1, 3, 2, 4)]
    assert token_length_stats(texts, "text", WordTokenizer()) == {
        "min": 1,
        "mean": 3.0,
        "p50": 3,
        "p95": 5,
        "max": 5,
    }
    pairs = [{"prompt": "a b ", "chosen": "c", "rejected": "d e f"}]  # prompt+chosen = 3, prompt+rejected = 5
    assert token_length_stats(pairs, "preference", WordTokenizer()) == {
        "min": 3,
        "mean": 4.0,
        "p50": 3,
        "p95": 5,
        "max": 5,
    }
    pc = [{"prompt": "x y", "completion": " z"}]
    assert token_length_stats(pc, "prompt_completion", WordTokenizer())["max"] == 3
    # system: You are ... (6) + user: What ... (5) + assistant: Vitamin ... (5)
    assert token_length_stats([VALID["messages"][0]], "messages", WordTokenizer())["max"] == 16


def test_token_length_stats_with_a_real_chat_template(tokenizer):
    stats = token_length_stats(VALID["messages"], "messages", tokenizer)
    expected = sorted(
        len(
            tokenizer.encode(
                tokenizer.apply_chat_template(r["messages"], tokenize=False), add_special_tokens=False
            )
        )
        for r in VALID["messages"]
    )
    assert (stats["min"], stats["max"], stats["mean"]) == (expected[0], expected[1], sum(expected) / 2)


# ---- properties --------------------------------------------------------------------------------------------
#
# Each malformed-record property below runs max_examples=500 and writes exactly one malformed record per
# example (after 0-3 valid records of the same kind), so each loader (JSONL, Parquet, saved datasets) sees
# 500 malformed records.

PROPERTY = settings(
    max_examples=500,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
TEXT = st.text(st.characters(codec="utf-8"), min_size=1, max_size=12).filter(str.strip)
BLANK = st.sampled_from(["", " ", "\t", "\n \n", "\u00a0", "\u2003 "])
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=4),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=6,
)
# Values Arrow can hold on their own: no mixed-type lists, no empty structs.
ARROW_VALUES = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False)
    | st.text(max_size=4)
    | st.lists(st.integers(-9, 9), max_size=3)
    | st.lists(TEXT, max_size=3)
    | st.fixed_dictionaries({"a": st.integers(-9, 9)})
)


def non(kinds: tuple, arrow: bool):
    return (ARROW_VALUES if arrow else JSON_VALUES).filter(lambda v: not isinstance(v, kinds))


@st.composite
def records_of(draw, kind: str, n: int = 1, shape: tuple = (True, True)) -> list[dict]:
    """n random valid records of one kind; `shape` says which optional preference keys all of them carry."""
    out = []
    for _ in range(n):
        if kind == "text":
            out.append({"text": draw(TEXT)})
        elif kind == "prompt":
            out.append({"prompt": draw(TEXT)})
        elif kind == "prompt_completion":
            out.append({"prompt": draw(TEXT), "completion": draw(TEXT)})
        elif kind == "messages":
            roles = [*draw(st.lists(st.sampled_from(ROLES), max_size=3)), "assistant"]
            out.append({"messages": [{"role": role, "content": draw(TEXT)} for role in roles]})
        else:
            chosen = draw(TEXT)
            record = {
                "prompt": draw(TEXT),
                "chosen": chosen,
                "rejected": draw(TEXT.filter(lambda r, c=chosen: r.strip() != c.strip())),
            }
            if shape[0]:
                record["votes"] = draw(st.lists(st.sampled_from([0, 1]), max_size=4))
            if shape[1]:
                record["chosen_shown_first"] = draw(st.booleans())
            record |= {
                "perturbation": draw(TEXT),
                "id": draw(TEXT),
                "gold_chosen_better": draw(st.booleans()),
            }
            out.append(record)
    return out


MUTATIONS = [(kind, how) for kind in KINDS for how in ("drop", "non_string", "blank")] + [
    *[
        ("messages", how)
        for how in ("unknown_role", "not_assistant_last", "not_a_list", "empty", "not_objects")
    ],
    *[("preference", how) for how in ("identical", "bad_votes", "bad_shown_first")],
]
JSONL_MUTATIONS = [
    (kind, how) for kind in KINDS for how in ("bad_json", "truncated", "not_object", "not_utf8")
]


@st.composite
def malformed(draw, arrow: bool):
    """(kind, how, bad): a random valid record with one mutation that must be refused; for JSONL `bad` may be the
    raw bytes of a line. Arrow-bound mutations keep values Arrow can store (a non-string goes into every
    message of a chat, since one list cannot mix strings and ints)."""
    kind, how = draw(st.sampled_from(MUTATIONS if arrow else MUTATIONS + JSONL_MUTATIONS))
    record = draw(records_of(kind))[0]
    msgs = record.get("messages")
    slots = (
        [(i, k) for i in range(len(msgs)) for k in ("role", "content")]
        if msgs
        else [(None, k) for k in KINDS[kind]]
    )
    if how == "drop":
        i, key = draw(st.sampled_from(slots + ([(None, "messages")] if msgs else [])))
        del (record if i is None else msgs[i])[key]
        if not record:  # keep one column, so Parquet/datasets still have a row
            record["id"] = "x"
    elif how == "non_string":
        (i, key), value = draw(st.sampled_from(slots)), draw(non(str, arrow))
        for target in [record] if i is None else (msgs if arrow else [msgs[i]]):
            target[key] = value
    elif how == "blank":
        i, key = draw(st.sampled_from(slots))
        (record if i is None else msgs[i])[key] = draw(BLANK)
    elif how == "unknown_role":
        msgs[draw(st.integers(0, len(msgs) - 1))]["role"] = draw(
            st.text(max_size=8).filter(lambda r: r not in ROLES)
        )
    elif how == "not_assistant_last":
        msgs[-1]["role"] = draw(st.sampled_from(["system", "user"]))
    elif how == "not_a_list":
        record["messages"] = draw(non(list, arrow))
    elif how == "empty":
        record["messages"] = []
    elif how == "not_objects":
        if arrow:
            record["messages"] = draw(st.lists(st.integers(-9, 9) | st.none(), min_size=1, max_size=3))
        else:
            msgs[draw(st.integers(0, len(msgs) - 1))] = draw(non(dict, arrow))
    elif how == "identical":
        record["rejected"] = draw(BLANK) + record["chosen"].strip() + draw(BLANK)
    elif how == "bad_votes":
        if arrow:  # one element type per list
            bad = st.lists(st.sampled_from([0, 1]), max_size=3).flatmap(
                lambda ok: st.sampled_from([-1, 2, 7]).map(lambda v: [*ok, v])
            )
            record["votes"] = draw(
                bad
                | st.lists(st.booleans() | st.none(), min_size=1, max_size=3)
                | st.lists(st.sampled_from([0.0, 1.0]), min_size=1, max_size=3)
                | non((list, type(None)), True)
            )
        else:
            near_misses = st.sampled_from([True, False, 1.0, 0.0, -1, 2, "1", None])
            element = near_misses | JSON_VALUES.filter(lambda v: type(v) is not int or v not in (0, 1))
            ok, bad = draw(st.lists(st.sampled_from([0, 1]), max_size=3)), draw(element)
            record["votes"] = draw(st.just([*ok, bad]) | st.just([bad, *ok]) | non((list, type(None)), False))
    elif how == "bad_shown_first":
        record["chosen_shown_first"] = draw(non((bool, type(None)), arrow))
    elif how == "bad_json":
        line = draw(
            st.text(st.characters(codec="utf-8", exclude_characters="\r\n"), min_size=1, max_size=20).filter(
                lambda s: s.strip() and not parses(s)
            )
        )
        return kind, how, line.encode()
    elif how == "truncated":
        line = json.dumps(record)
        return kind, how, line[: draw(st.integers(1, len(line) - 1))].encode()
    elif how == "not_object":
        return kind, how, json.dumps(draw(non(dict, False))).encode()
    elif how == "not_utf8":
        line = json.dumps(record).encode()  # ASCII, so the inserted bytes cannot complete a sequence
        at = draw(st.integers(0, len(line)))
        return (
            kind,
            how,
            line[:at]
            + draw(st.sampled_from([b"\xff", b"\x80", b"\xc3", b"\xed\xa0\x80", b"\xf0\x9f"]))
            + line[at:],
        )
    return kind, how, record


def parses(text: str) -> bool:
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return False
    return True


def arrow_rows(rows: list[dict]) -> pa.Table | None:
    """One table holding `rows` exactly (missing keys read back as null), or None when Arrow would coerce or
    refuse a value (e.g. ints and strings in one column)."""
    keys = list(dict.fromkeys(k for r in rows for k in r))
    try:
        table = pa.table({k: [r.get(k) for r in rows] for k in keys})
    except (pa.ArrowException, TypeError, ValueError, OverflowError):
        return None

    def dump(x):  # null and missing are the same to Arrow (and to the loader); 1, 1.0 and True are not
        return json.dumps(without_nulls(x), sort_keys=True)

    return table if dump(table.to_pylist()) == dump(rows) else None


def without_nulls(x):
    if isinstance(x, dict):
        return {k: without_nulls(v) for k, v in x.items() if v is not None}
    return [without_nulls(v) for v in x] if isinstance(x, list) else x


def expected(explicit: bool, before: int, how: str) -> bool:
    """Whether the loader is told the kind. Without it and without a valid record before the bad one, a dropped
    field can leave a valid record of another kind (prompt+completion minus completion is prompt-only), so a
    "drop" is judged against the kind it was drawn from."""
    return explicit or (before == 0 and how == "drop")


def assert_one_line(message: str, path: Path, where: str) -> None:
    assert len(message.splitlines()) == 1, message
    assert f"{path.name}:{where}:" in message, (where, message)


@PROPERTY
@given(bad=malformed(arrow=False), before=st.integers(0, 3), explicit=st.booleans())
def test_jsonl_never_loads_a_malformed_record(bad, before, explicit):
    kind, how, record = bad
    event(f"{kind}: {how}")
    with tempfile.TemporaryDirectory() as d:
        path = write_jsonl(Path(d) / "bad.jsonl", [*VALID[kind][:1] * before, record])
        message = error(load_records, path, kind=kind if expected(explicit, before, how) else None)
    assert_one_line(message, path, str(before + 1))


@pytest.mark.parametrize("container", ["parquet", "dataset"])
@PROPERTY
@given(bad=malformed(arrow=True), before=st.integers(0, 3), explicit=st.booleans())
def test_columnar_never_loads_a_malformed_record(container, bad, before, explicit):
    kind, how, record = bad
    event(f"{kind}: {how}")
    table = arrow_rows([*VALID[kind][:1] * before, record])
    if table is None:  # Arrow cannot hold the bad value in the valid rows' column: it goes alone
        table, before = arrow_rows([record]), 0
    event(f"malformed row {before + 1}")
    assert table is not None, record
    with tempfile.TemporaryDirectory() as d:
        path = write_table(Path(d) / ("bad.parquet" if container == "parquet" else "bad"), table, container)
        message = error(load_records, path, kind=kind if expected(explicit, before, how) else None)
    assert_one_line(message, path, f"row {before + 1}")


@pytest.mark.parametrize("container", CONTAINERS)
@settings(PROPERTY, max_examples=100)
@given(
    data=st.data(),
    kind=st.sampled_from(list(KINDS)),
    n=st.integers(1, 4),
    shape=st.tuples(st.booleans(), st.booleans()),
)
def test_valid_records_always_load_and_round_trip(container, data, kind, n, shape):
    records = data.draw(records_of(kind, n, shape))
    with tempfile.TemporaryDirectory() as d:
        path = write(Path(d), records, container)
        assert load_records(path) == records
        assert load_records(path, kind=kind) == records
        assert validate_files([path])[0].kind == kind


@settings(PROPERTY, max_examples=300)
@given(
    content=st.binary(max_size=200)
    | st.lists(JSON_VALUES.map(json.dumps), max_size=3).map(lambda ls: "\n".join(ls).encode())
)
def test_any_jsonl_bytes_load_or_fail_on_one_line(content):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "any.jsonl"
        path.write_bytes(content)
        try:
            load_records(path)
        except UserError as e:
            assert len(str(e).splitlines()) == 1 and path.name in str(e)
