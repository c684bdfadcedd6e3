"""What DPO says about its own run: the greedy samples' health (repeated trigrams, made-up words), the warning when
chosen log-probs fall while the margin grows, per-epoch numbers from metrics.jsonl, and the quick start's
troubleshooting advice, each behind a measurable rule (dpo_training_stats.json)."""

from __future__ import annotations

import re

from rxalign import ui
from rxalign.stages.dpo.loss import METRIC_KEYS
from rxalign.stages.dpo.schedule import Schedule

# Troubleshooting rules (measured on the validation split; see `troubleshoot`).
FLAT_LOSS_DROP = 0.02  # val loss fell by less than 2% of its step-0 value ...
FLAT_PREFERENCE_GAIN = 0.05  # ... and chosen preference rose by less than 5 points: "loss flat"
DEGENERATE_REPEAT_RISE = 0.20  # repeated word-trigram share of greedy samples up 0.20 on step 0, or ...
DEGENERATE_UNKNOWN_RISE = (
    0.10  # ... share of sample words never seen in the training data up 0.10: "degenerate"
)
SAMPLE_KEYS = ("val_samples_repeated_trigrams", "val_samples_unknown_words")
OVERFIT_GAP_NATS = (
    0.10  # last epoch's val loss above its train loss by more than this: val does not track train
)
LOGPS_FALL_FRACTION = (
    0.01  # chosen log-prob down more than 1% of its step-0 size while the margin grows: warn
)

RULES = {
    "chosen_preference": "share of pairs with implicit reward chosen > rejected (ties count half)",
    "flat": f"val loss drop < {FLAT_LOSS_DROP:.0%} of step 0 and chosen preference gain < {FLAT_PREFERENCE_GAIN:.0%}",
    "degenerate": f"greedy samples vs step 0: repeated word-trigram share up > {DEGENERATE_REPEAT_RISE}, "
    f"or share of words unseen in training up > {DEGENERATE_UNKNOWN_RISE}",
    "val_tracks_train": f"last epoch val loss - train loss <= {OVERFIT_GAP_NATS} nats",
}


def repeated_trigram_share(text: str) -> float:
    """1 − distinct/total word trigrams: 0 for text that never repeats itself, near 1 for a loop."""
    words = text.split()
    grams = [tuple(words[i : i + 3]) for i in range(len(words) - 2)]
    return 1 - len(set(grams)) / len(grams) if grams else 0.0


def words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower())


def unknown_word_share(text: str, vocabulary: set[str]) -> float:
    """Share of the text's words found nowhere in the training prompts and responses (made-up words)."""
    found = words(text)
    return sum(w not in vocabulary for w in found) / len(found) if found else 0.0


def vocabulary_of(rows: list[dict]) -> set[str]:
    """Every word of the training prompts and chosen responses."""
    return {w for r in rows for w in words(r["prompt"] + " " + r["chosen"])}


def sample_health(answers: list[str], vocabulary: set[str]) -> dict[str, float]:
    """The greedy samples' mean repeated-trigram share and share of words unseen in training."""
    return {
        "val_samples_repeated_trigrams": sum(map(repeated_trigram_share, answers)) / len(answers),
        "val_samples_unknown_words": sum(unknown_word_share(a, vocabulary) for a in answers) / len(answers),
    }


def warn_if_chosen_falls(first: dict, m: dict, epoch: int) -> None:
    """Warn when the validation chosen log-prob fell (against step 0) while the reward margin grew."""
    if not first or "val_logps/chosen" not in first:
        return
    fell = first["val_logps/chosen"] - m["val_logps/chosen"]
    if fell > LOGPS_FALL_FRACTION * abs(first["val_logps/chosen"]) and (
        m["val_rewards/margins"] > first["val_rewards/margins"]
    ):
        ui.warn(
            f"epoch {epoch}: validation chosen log-prob fell {first['val_logps/chosen']:.2f} -> "
            f"{m['val_logps/chosen']:.2f} while the reward margin grew to {m['val_rewards/margins']:.3f}: "
            "the policy pushes the factual summaries down too, only the rejected ones faster; "
            "watch the samples for degenerate text (a higher --beta, or --loss rpo, counters it)"
        )


def troubleshoot(start: dict, epochs: list[dict]) -> list[dict]:
    """The quick start's troubleshooting advice, each behind a measurable rule on the validation numbers."""
    last = epochs[-1]
    advice = []
    drop = (start["val_loss"] - last["val_loss"]) / abs(start["val_loss"])
    gain = last["chosen_preference"] - start["chosen_preference"]
    if drop < FLAT_LOSS_DROP and gain < FLAT_PREFERENCE_GAIN:
        advice.append(
            {
                "problem": "loss flat",
                "rule": f"val loss fell {drop:.1%} (< {FLAT_LOSS_DROP:.0%}) and chosen preference rose "
                f"{gain * 100:.1f} points (< {FLAT_PREFERENCE_GAIN * 100:.0f})",
                "advice": "Chosen Preference not increasing -> Try: --learning_rate 1e-6 or --beta 0.5. "
                "(If the loss never left its start, the learning rate is more likely too low for this model size.)",
            }
        )
    repeats, unknown = (last.get(k, 0.0) - start.get(k, 0.0) for k in SAMPLE_KEYS)
    if repeats > DEGENERATE_REPEAT_RISE or unknown > DEGENERATE_UNKNOWN_RISE:
        advice.append(
            {
                "problem": "degenerate text",
                "rule": f"in greedy samples since step 0, the repeated word-trigram share rose {repeats:+.2f} "
                f"(limit {DEGENERATE_REPEAT_RISE}) and the share of words unseen in training {unknown:+.2f} "
                f"(limit {DEGENERATE_UNKNOWN_RISE})",
                "advice": "Model generates gibberish -> Increase beta: --beta 1.0, or reduce LR: --learning_rate 1e-7",
            }
        )
    gap = last["val_loss"] - last["train_loss"]
    if gap > OVERFIT_GAP_NATS:
        advice.append(
            {
                "problem": "validation loss does not follow training loss",
                "rule": f"last epoch val loss {last['val_loss']:.3f} is {gap:.3f} above train loss {last['train_loss']:.3f}",
                "advice": "Overfitting: fewer epochs (--num_epochs 1), a higher --beta, or more data",
            }
        )
    return advice


def epoch_stats(records: list[dict], schedule: Schedule) -> tuple[dict, list[dict]]:
    """(step-0 validation numbers, per-epoch numbers) from metrics.jsonl: training windows are weighted by the
    pairs they hold, validation is the pass at each epoch's last step."""
    start = next((r for r in records if r["step"] == 0 and "val_loss" in r), {})
    sums: dict[int, dict[str, float]] = {}
    previous = 0
    for r in records:
        if "lr" not in r:  # validation-only line
            continue
        pairs = schedule.pairs(previous, r["step"])
        acc = sums.setdefault(schedule.epoch_of(r["step"]), {"pairs": 0.0})
        acc["pairs"] += pairs
        for k in ("loss", *METRIC_KEYS):
            acc[k] = acc.get(k, 0.0) + r[k] * pairs
        previous = r["step"]
    by_step = {r["step"]: r for r in records if "val_loss" in r}
    epochs = []
    for e, end in enumerate(schedule.epoch_ends, start=1):
        if e not in sums or end not in by_step:
            continue
        acc, val = sums[e], by_step[end]
        row = {"epoch": e, "step": end, "train_loss": acc["loss"] / acc["pairs"], "val_loss": val["val_loss"]}
        row["chosen_preference"] = val["val_rewards/accuracies"]
        row["train_chosen_preference"] = acc["rewards/accuracies"] / acc["pairs"]
        for k in METRIC_KEYS:
            if k != "rewards/accuracies":
                row["train_" + k.replace("/", "_")] = acc[k] / acc["pairs"]
                row["val_" + k.replace("/", "_")] = val["val_" + k]
        row.update({k: val[k] for k in SAMPLE_KEYS if k in val})
        epochs.append(row)
    step0 = {}
    if start:
        step0 = {"val_loss": start["val_loss"], "chosen_preference": start["val_rewards/accuracies"]}
        step0.update(
            {
                "val_" + k.replace("/", "_"): start["val_" + k]
                for k in METRIC_KEYS
                if k != "rewards/accuracies"
            }
        )
        step0.update({k: start[k] for k in SAMPLE_KEYS if k in start})
    return step0, epochs


def training_stats(records: list[dict], schedule: Schedule, epochs_total: int) -> dict:
    """dpo_training_stats.json from metrics.jsonl: step 0, every epoch, the advice that applies and its rules;
    the epochs and the advice are also printed."""
    step0, epochs = epoch_stats(records, schedule)
    advice = troubleshoot(step0, epochs) if step0 and epochs else []
    for e in epochs:
        ui.info(
            f"\nEpoch {e['epoch']}/{epochs_total}:\n{'=' * 60}\nTrain Loss: {e['train_loss']:.4f}\n"
            f"Val Loss: {e['val_loss']:.4f}\nChosen Preference: {e['chosen_preference']:.1%}"
        )
    for a in advice:
        ui.warn(f"{a['problem']} ({a['rule']}): {a['advice']}")
    return {"step_0": step0, "epochs": epochs, "troubleshooting": advice, "rules": RULES}
