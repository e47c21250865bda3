"""The evaluation records and files: per-episode records, a summary, readable transcripts.

This is the one evaluation stack. Every evaluation comes to a list of :class:`EpisodeRecord` and an
:class:`EvalSummary` and writes its files with :class:`EvalWriter`: an agent played here through the Gymnasium
API (:func:`evaluate`, for ``pyvision-rl eval``), or a batched policy played by the trainers' rollout engine
(``trainers.evaluate.evaluate_policy``, whose trajectories become records through
:meth:`EpisodeRecord.from_trajectory`). The agent runner needs only an object with the agent protocol
(``reset(observation, info)``, ``act(observation, info) -> str``), so it works for scripted experts, models and
plug-ins alike::

    env = gym.make("PyVision/Counting-v0")
    summary, records = evaluate(env, agent, episodes=20, seed=0, out_dir="runs/counting")
    print(summary.table())

Files are written as each episode ends (its transcript and its line of ``episodes.jsonl``), so a crash keeps what
was done; text that cannot be encoded (a lone surrogate printed by model code) is replaced, never raised.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import gymnasium as gym

from pyvision_envs.types import EndReason, RewardTerms, Trajectory


@dataclass(frozen=True)
class EpisodeRecord:
    """What one episode came to. ``seconds`` covers the agent and the environment together.

    ``images_returned`` and ``response_len`` (tokens the policy generated) are known for policies played by the
    rollout engine; an agent run leaves them 0.
    """

    index: int
    seed: int
    task_id: str
    family: str
    expected: str | None
    answer: str | None
    correct: bool
    reward: float
    terms: RewardTerms
    end_reason: EndReason
    turns: int
    tool_calls: int
    tool_errors: int
    images_shown: int
    visual_tokens: int
    seconds: float
    images_returned: int = 0
    response_len: int = 0

    @classmethod
    def from_trajectory(cls, t: Trajectory, index: int, seconds: float = 0.0) -> EpisodeRecord:
        """The record of a rollout-engine trajectory (task facts from ``t.task`` when the env reported it)."""
        info, task = t.info, t.task
        return cls(
            index=index, seed=int(t.seed if t.seed is not None else -1),
            task_id=task.id if task else str(info.get("task_id", "")),
            family=task.family if task else str(info.get("family", "")),
            expected=task.answer if task else None, answer=t.answer, correct=t.correct, reward=float(t.reward),
            terms=t.terms, end_reason=t.end_reason, turns=t.turns, tool_calls=t.tool_calls,
            tool_errors=t.tool_errors, images_shown=int(info.get("images_shown", 0)),
            visual_tokens=int(info.get("visual_tokens", 0)), seconds=seconds,
            images_returned=t.images_returned, response_len=t.response_len,
        )

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        d = asdict(self)
        d["end_reason"] = self.end_reason.value
        d["terms"] = {"accuracy": self.terms.accuracy, "tool": self.terms.tool, "format": self.terms.format}
        return d


@dataclass(frozen=True)
class EvalSummary:
    """Means over the episodes of one evaluation (``seed``: the first episode's seed)."""

    env_id: str
    agent: str
    episodes: int
    seed: int
    accuracy: float
    mean_reward: float
    mean_turns: float
    mean_tool_calls: float
    mean_tool_errors: float
    mean_visual_tokens: float
    seconds_per_episode: float
    end_reasons: dict[str, int] = field(default_factory=dict)
    mean_images_returned: float = 0.0
    mean_response_len: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the ``--json`` output of ``pyvision-rl eval``)."""
        return asdict(self)

    def table(self) -> str:
        """The summary as an aligned two-column text table."""
        rows = [
            ("env", self.env_id), ("agent", self.agent), ("episodes", str(self.episodes)), ("seed", str(self.seed)),
            ("accuracy", f"{self.accuracy:.3f}"), ("mean reward", f"{self.mean_reward:.3f}"),
            ("mean turns", f"{self.mean_turns:.2f}"), ("tool calls / episode", f"{self.mean_tool_calls:.2f}"),
            ("tool errors / episode", f"{self.mean_tool_errors:.2f}"),
            ("visual tokens / episode", f"{self.mean_visual_tokens:.0f}"),
            ("seconds / episode", f"{self.seconds_per_episode:.3f}"),
            ("end reasons", ", ".join(f"{k}: {v}" for k, v in sorted(self.end_reasons.items()))),
        ]
        width = max(len(k) for k, _ in rows)
        return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


def unbatch_info(info: Mapping[str, Any], i: int) -> dict[str, Any]:
    """Sub-environment ``i``'s ``info`` out of a vector env's batched one, e.g. to hand an agent its reset info.

    ``_key`` masks are honoured and nested dicts such as ``task_public`` rebuilt.

    >>> import numpy as np
    >>> batched = {"turn": np.array([0, 2]), "_turn": np.array([True, True]),
    ...            "task_public": {"k": np.array([1, 0]), "_k": np.array([True, False])},
    ...            "_task_public": np.array([True, True])}
    >>> unbatch_info(batched, 0), unbatch_info(batched, 1)
    ({'turn': 0, 'task_public': {'k': 1}}, {'turn': 2, 'task_public': {}})
    """
    out: dict[str, Any] = {}
    for key, value in info.items():
        mask = info.get(f"_{key}")
        if key.startswith("_") or (mask is not None and not mask[i]):
            continue
        value = unbatch_info(value, i) if isinstance(value, Mapping) else value[i]
        out[key] = value.item() if hasattr(value, "item") and getattr(value, "ndim", 1) == 0 else value
    return out


def run_episode(env: gym.Env, agent: Any, seed: int, index: int = 0,
                options: Mapping[str, Any] | None = None) -> tuple[EpisodeRecord, dict[str, Any]]:
    """Play one episode; return its record and the final ``info`` (with ``messages`` when the env keeps them)."""
    t0 = time.perf_counter()
    obs, info = env.reset(seed=seed, options=dict(options) if options else None)
    task_id, family = info.get("task_id", ""), info.get("family", "")
    agent.reset(obs, info)
    total, done = 0.0, False
    while not done:
        obs, reward, terminated, truncated, info = env.step(agent.act(obs, info))
        total += float(reward)
        done = terminated or truncated
    terms = info.get("reward_terms") or RewardTerms(accuracy=total)
    episode = getattr(env.unwrapped, "episode", None)
    expected = episode.task.answer if episode is not None else None
    record = EpisodeRecord(
        index=index, seed=seed, task_id=task_id, family=family, expected=expected,
        answer=info.get("answer_given"), correct=bool(info.get("correct", terms.accuracy >= 1.0)), reward=total,
        terms=terms, end_reason=info.get("end_reason", EndReason.NONE), turns=int(info.get("turn", 0)),
        tool_calls=int(info.get("tool_calls", 0)), tool_errors=int(info.get("tool_errors", 0)),
        images_shown=int(info.get("images_shown", 0)), visual_tokens=int(info.get("visual_tokens", 0)),
        seconds=time.perf_counter() - t0,
    )
    return record, info


def summarize(records: list[EpisodeRecord], env_id: str, agent: str, seed: int) -> EvalSummary:
    """Means over ``records``."""
    n = max(len(records), 1)

    def mean(name: str) -> float:
        return sum(float(getattr(r, name)) for r in records) / n

    return EvalSummary(
        env_id=env_id, agent=agent, episodes=len(records), seed=seed, accuracy=mean("correct"),
        mean_reward=mean("reward"), mean_turns=mean("turns"), mean_tool_calls=mean("tool_calls"),
        mean_tool_errors=mean("tool_errors"), mean_visual_tokens=mean("visual_tokens"),
        seconds_per_episode=mean("seconds"), end_reasons=dict(Counter(r.end_reason.value for r in records)),
        mean_images_returned=mean("images_returned"), mean_response_len=mean("response_len"),
    )


def _progress(total: int, enabled: bool) -> Iterator[int]:
    """Episode indices with a progress bar (tqdm if installed, else a plain line per episode on stderr)."""
    if not enabled:
        yield from range(total)
        return
    try:
        from tqdm import tqdm
    except ImportError:
        for i in range(total):
            yield i
            print(f"episode {i + 1}/{total}", file=sys.stderr, flush=True)
        return
    yield from tqdm(range(total), desc="episodes", unit="ep", file=sys.stderr)


def evaluate(env: gym.Env, agent: Any, episodes: int, seed: int = 0, *, env_id: str | None = None,
             agent_name: str | None = None, out_dir: str | Path | None = None,
             progress: bool = True) -> tuple[EvalSummary, list[EpisodeRecord]]:
    """Run ``episodes`` episodes (episode ``i`` is reset with seed ``seed + i``) and summarize them.

    Dataset environments (those with a ``dataset``) walk their rows in order, episode ``i`` playing row
    ``i`` modulo the dataset size. With ``out_dir``, files are written by :class:`EvalWriter` as each episode
    ends.
    """
    if episodes < 1:
        raise ValueError(f"episodes must be at least 1, got {episodes}")
    env_id = env_id or (env.spec.id if env.spec else type(env.unwrapped).__name__)
    agent_name = agent_name or type(agent).__name__
    rows = getattr(env.unwrapped, "dataset", None)
    with EvalWriter(out_dir) as writer:
        for i in _progress(episodes, progress):
            options = {"index": i % len(rows)} if rows is not None else None
            record, info = run_episode(env, agent, seed=seed + i, index=i, options=options)
            writer.add(record, _messages(env, info))
        return writer.finish(env_id, agent_name, seed), writer.records


def _messages(env: gym.Env, info: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The conversation: from ``info`` or, when the env keeps it out of ``info``, from its episode record."""
    if "messages" in info:
        return info["messages"]
    episode = getattr(env.unwrapped, "episode", None)
    return [m.as_dict() for m in episode.messages] if episode is not None else []


def _cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _fence(text: str) -> str:
    """A backtick fence longer than any backtick run inside ``text``."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def write_transcript(folder: str | Path, record: EpisodeRecord, messages: list[Mapping[str, Any]]) -> Path:
    """Write one episode as ``transcript.md`` with its images as PNG files beside it; return the Markdown path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    lines = [f"# Episode {record.index}: {record.task_id}", "",
             f"- family: {record.family or '-'}; seed: {record.seed}",
             f"- answer: `{record.answer}`; expected: `{record.expected}`; correct: {record.correct}",
             f"- reward: {record.reward:g} (accuracy {record.terms.accuracy:g}, tool {record.terms.tool:g}, "
             f"format {record.terms.format:g}); end: {record.end_reason.value}",
             f"- turns: {record.turns}; tool calls: {record.tool_calls}; tool errors: {record.tool_errors}; "
             f"visual tokens: {record.visual_tokens}", ""]
    n_img, turn = 0, 0
    for m in messages:
        turn += m["role"] == "assistant"
        lines.append(f"## {m['role']}" + (f" (turn {turn})" if m["role"] == "assistant" else ""))
        fence = _fence(m["content"])
        lines += [f"{fence}text", m["content"], fence]
        names = re.findall(r"<(image_clue_\d+)><image>", m["content"])
        for j, image in enumerate(m.get("images", [])):
            name = f"image_{n_img:03d}.png"
            image.save(folder / name)
            caption = names[j] if j < len(names) else f"image {n_img}"
            lines.append(f"![{caption} ({image.width}x{image.height})]({name})")
            n_img += 1
        lines.append("")
    path = folder / "transcript.md"
    path.write_text("\n".join(lines), encoding="utf-8", errors="replace")  # model output may hold lone surrogates
    return path


class EvalWriter:
    """Collect episode records and write an evaluation's files as it goes, so a crash keeps what was done.

    Per episode (:meth:`add`): its transcript folder and one line of ``episodes.jsonl``, flushed. At the end
    (:meth:`finish`): ``summary.json`` and ``index.md``. With ``out_dir=None`` it only collects the records.
    """

    def __init__(self, out_dir: str | Path | None) -> None:
        self.out = Path(out_dir) if out_dir is not None else None
        self.records: list[EpisodeRecord] = []
        self._jsonl = None
        if self.out is not None:
            self.out.mkdir(parents=True, exist_ok=True)
            self._jsonl = open(self.out / "episodes.jsonl", "w", encoding="utf-8")

    def add(self, record: EpisodeRecord, messages: list[Mapping[str, Any]] | None = None) -> None:
        """Keep one episode's record and, with an output folder, write its transcript and JSONL line."""
        self.records.append(record)
        if self.out is None or self._jsonl is None:
            return
        if messages is not None:
            write_transcript(self.out / f"episode_{record.index:04d}", record, messages)
        self._jsonl.write(json.dumps(record.as_dict()) + "\n")  # ASCII: json escapes any surrogate
        self._jsonl.flush()

    def finish(self, env_id: str, agent: str, seed: int) -> EvalSummary:
        """Summarize the records, write ``summary.json`` and ``index.md``, close the JSONL; returns the summary."""
        summary = summarize(self.records, env_id, agent, seed)
        if self.out is not None:
            (self.out / "summary.json").write_text(json.dumps(summary.as_dict(), indent=2) + "\n")
            _write_index(self.out, summary, self.records, transcripts=(self.out / "episode_0000").is_dir())
        self.close()
        return summary

    def close(self) -> None:
        """Close the JSONL file (what was written stays)."""
        if self._jsonl is not None:
            self._jsonl.close()
            self._jsonl = None

    def __enter__(self) -> EvalWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _write_index(out: Path, summary: EvalSummary, records: list[EpisodeRecord], transcripts: bool) -> None:
    lines = [f"# {summary.env_id} with {summary.agent}", "", "```text", summary.table(), "```", "",
             "| episode | task | answer | expected | correct | reward | turns | end |", "|---|---|---|---|---|---|---|---|"]
    for r in records:
        name = f"[{r.index}](episode_{r.index:04d}/transcript.md)" if transcripts else str(r.index)
        lines.append(f"| {name} | {_cell(r.task_id)} | {_cell(r.answer)} | {_cell(r.expected)} | {r.correct} | "
                     f"{r.reward:g} | {r.turns} | {r.end_reason.value} |")
    (out / "index.md").write_text("\n".join(lines) + "\n", encoding="utf-8", errors="replace")
