r"""Record agent trajectories from any registered environment as JSONL chat data (the SFT cold start's input).

Command::

    pyvision-rl record --env PyVision/Counting-Easy-v0 --agent expert --episodes 256 [--seed 0] \
        --out data/counting.jsonl [--keep-all] [--env-kw image_in_context=false] [--agent-kw k=v ...]

Episode ``i`` is reset with seed ``S + i`` (as ``pyvision-rl eval`` does). By default only successful episodes
(graded correct) are written; ``--keep-all`` writes every episode. One JSON object per line::

    {"id": "counting-easy-3", "env_id": "PyVision/Counting-Easy-v0", "agent": "expert", "seed": 3,
     "task_id": "counting-easy-3", "family": "counting",
     "messages": [{"role": "user", "content": "<the env's prompt>", "images": []},
                  {"role": "assistant", "content": "<code>...</code>"},
                  {"role": "user", "content": "<interpreter>...", "images": ["counting_images/3_m2_0.png"]},
                  {"role": "assistant", "content": "<answer>\n\\boxed{7}\n</answer>"}],
     "reward": 1.1, "reward_terms": {"accuracy": 1.0, "tool": 0.1, "format": 0.0},
     "end_reason": "answered", "correct": true, "answer": "7", "expected": "7",
     "turns": 2, "tool_calls": 1, "tool_errors": 0}

``images`` lists the images a user message shows the model, saved as PNG files in ``<stem>_images/`` next to the
JSONL and named by a path relative to the JSONL's folder. :func:`read_records` reads a file back and raises
:class:`RecordFormatError` naming the file, the line and the field when something is missing or broken.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

ROLES = ("system", "user", "assistant")
REQUIRED = ("messages",)


class RecordFormatError(ValueError):
    """A JSONL trajectory file is malformed; the message names the file, line and field, and what to do."""


@dataclass(frozen=True)
class Conversation:
    """One recorded episode read back: chat messages with their images loaded, plus the record's other fields.

    Attributes:
        messages: ``{"role", "content", "images"}`` dicts; ``images`` holds PIL images (user messages only).
        record: The JSON object as written (image paths unchanged).
        source: ``"file:line"`` the record came from, for error messages downstream.
    """

    messages: tuple[dict[str, Any], ...]
    record: Mapping[str, Any]
    source: str


@dataclass(frozen=True)
class RecordSummary:
    """What :func:`record_episodes` did."""

    path: Path
    episodes: int
    kept: int
    successes: int

    @property
    def success_rate(self) -> float:
        """Share of the played episodes graded correct."""
        return self.successes / max(self.episodes, 1)


def _image_dir(out: Path) -> Path:
    return out.with_name(out.stem + "_images")


def _save_images(messages: Sequence[Mapping[str, Any]], out: Path, seed: int) -> list[dict[str, Any]]:
    """JSON-ready messages: each user message's images written as PNG and replaced by relative paths."""
    folder = _image_dir(out)
    rows = []
    for m_i, m in enumerate(messages):
        row: dict[str, Any] = {"role": m["role"], "content": m["content"]}
        if m["role"] != "assistant":
            paths = []
            for k, im in enumerate(m.get("images") or ()):
                folder.mkdir(parents=True, exist_ok=True)
                name = f"{seed}_m{m_i}_{k}.png"
                im.save(folder / name)
                paths.append(f"{folder.name}/{name}")
            row["images"] = paths
        rows.append(row)
    return rows


def episode_row(env_id: str, agent: str, seed: int, record: Any, messages: Sequence[Mapping[str, Any]],
                out: Path) -> dict[str, Any]:
    """One JSONL row for an episode (``record`` is a :class:`pyvision_envs.eval.EpisodeRecord`)."""
    t = record.terms
    return {
        "id": record.task_id or f"{env_id}-{seed}", "env_id": env_id, "agent": agent, "seed": seed,
        "task_id": record.task_id, "family": record.family, "messages": _save_images(messages, out, seed),
        "reward": record.reward, "reward_terms": {"accuracy": t.accuracy, "tool": t.tool, "format": t.format},
        "end_reason": record.end_reason.value, "correct": record.correct, "answer": record.answer,
        "expected": record.expected, "turns": record.turns, "tool_calls": record.tool_calls,
        "tool_errors": record.tool_errors,
    }


def make_recording_agent(spec: str, **kwargs: Any) -> Any:
    """An agent by name (``expert``, or a plug-in such as ``short-expert``) or by ``module:factory``."""
    import importlib

    from agents.base import make_agent

    if ":" in spec:
        module, _, attr = spec.partition(":")
        return getattr(importlib.import_module(module), attr)(**kwargs)
    return make_agent(spec, **kwargs)


def _progress(total: int, enabled: bool, desc: str) -> Any:
    if not enabled:
        return range(total)
    from tqdm import tqdm

    return tqdm(range(total), desc=desc, unit="ep", file=sys.stderr, dynamic_ncols=True)


def record_episodes(env_id: str, out: str | Path, *, agent: str = "expert", episodes: int = 64, seed: int = 0,
                    keep_all: bool = False, env_kwargs: Mapping[str, Any] | None = None,
                    agent_kwargs: Mapping[str, Any] | None = None, progress: bool = True) -> RecordSummary:
    """Play ``episodes`` episodes of ``env_id`` with a registered agent and write them as JSONL.

    Args:
        env_id: A registered id (``pyvision-rl list``).
        out: The JSONL file to write (replaced); images go to ``<stem>_images/`` beside it.
        agent: Agent name (``expert``, ``guesser``, ``short-expert``, ``hf`` ...) or ``module:factory``.
        episodes: Episodes to play; episode ``i`` is reset with seed ``seed + i``.
        seed: First episode seed.
        keep_all: Write failed episodes too (default: only those graded correct).
        env_kwargs: Keywords for ``gym.make`` (``image_in_context=False`` ...).
        agent_kwargs: Keywords for the agent factory.
        progress: Show a progress bar on stderr.

    Returns:
        A :class:`RecordSummary` (episodes played, rows kept, successes).
    """
    import gymnasium as gym

    import pyvision_envs  # noqa: F401  (registers the ids)
    from pyvision_envs.eval import run_episode

    if episodes < 1:
        raise ValueError(f"episodes must be at least 1, got {episodes}")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    env = gym.make(env_id, **dict(env_kwargs or {}))
    policy = make_recording_agent(agent, **dict(agent_kwargs or {}))
    kept = successes = 0
    try:
        with open(out, "w", encoding="utf-8") as fh:
            for i in _progress(episodes, progress, f"record {env_id}"):
                record, info = run_episode(env, policy, seed=seed + i, index=i)
                successes += record.correct
                if not (record.correct or keep_all):
                    continue
                messages = info.get("messages") or [m.as_dict() for m in env.unwrapped.episode.messages]
                fh.write(json.dumps(episode_row(env_id, agent, seed + i, record, messages, out)) + "\n")
                kept += 1
    finally:
        env.close()
    return RecordSummary(path=out, episodes=episodes, kept=kept, successes=successes)


def _fail(where: str, field: str, problem: str) -> RecordFormatError:
    return RecordFormatError(f"{where}: field {field!r}: {problem}. Re-record the file with `pyvision-rl record` "
                             "or fix that line.")


def _check_message(m: Any, i: int, where: str, base: Path) -> dict[str, Any]:
    """Validate one message and load its images."""
    field = f"messages[{i}]"
    if not isinstance(m, dict):
        raise _fail(where, field, f"expected an object with role and content, got {type(m).__name__}")
    if m.get("role") not in ROLES:
        raise _fail(where, f"{field}.role", f"is {m.get('role')!r}; expected one of {list(ROLES)}")
    if not isinstance(m.get("content"), str):
        raise _fail(where, f"{field}.content", "is missing or not a string")
    paths = m.get("images", [])
    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        raise _fail(where, f"{field}.images", "must be a list of image paths relative to the JSONL file")
    if paths and m["role"] == "assistant":
        raise _fail(where, f"{field}.images", "assistant messages cannot carry images")
    images = []
    for k, rel in enumerate(paths):
        p = base / rel
        try:
            with Image.open(p) as im:
                images.append(im.convert("RGB"))
        except (OSError, ValueError) as exc:
            raise _fail(where, f"{field}.images[{k}]", f"cannot read image {str(p)!r} ({exc})") from None
    return {"role": m["role"], "content": m["content"], "images": images}


def parse_record(obj: Any, where: str, base: Path) -> Conversation:
    """Validate one decoded JSON row and load its images; ``where`` is ``"file:line"`` for errors.

    Raises:
        RecordFormatError: A required field is missing or malformed, or an image cannot be read.
    """
    if not isinstance(obj, dict):
        raise _fail(where, "<line>", f"expected a JSON object, got {type(obj).__name__}")
    for key in REQUIRED:
        if key not in obj:
            raise _fail(where, key, "is missing")
    raw = obj["messages"]
    if not isinstance(raw, list) or not raw:
        raise _fail(where, "messages", "must be a non-empty list of {role, content} objects")
    messages = [_check_message(m, i, where, base) for i, m in enumerate(raw)]
    first = next((i for i, m in enumerate(messages) if m["role"] != "system"), None)
    if first is None or messages[first]["role"] != "user":
        raise _fail(where, f"messages[{first or 0}].role", "the first non-system message must be the user prompt")
    if not any(m["role"] == "assistant" for m in messages):
        raise _fail(where, "messages", "has no assistant message, so there is nothing to learn from")
    return Conversation(messages=tuple(messages), record=obj, source=where)


def read_records(path: str | Path) -> list[Conversation]:
    """Read and validate a trajectory JSONL file (blank lines skipped).

    Raises:
        FileNotFoundError: ``path`` does not exist.
        RecordFormatError: A line is not JSON, or a record misses a field or has a broken image path; the
            message names the file, the line and the field.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such trajectory file; record one with `pyvision-rl record`")
    out = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise RecordFormatError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno}); fix or delete "
                                    "that line") from None
        out.append(parse_record(obj, where, path.parent))
    if not out:
        raise RecordFormatError(f"{path}: the file holds no records; record some with `pyvision-rl record`")
    return out


def build_parser() -> argparse.ArgumentParser:
    """The ``pyvision-rl record`` argument parser."""
    p = argparse.ArgumentParser(prog="pyvision-rl record",
                                description="Record agent trajectories as JSONL chat data with PNG images.")
    p.add_argument("--env", required=True, help="environment id, e.g. PyVision/Counting-Easy-v0")
    p.add_argument("--agent", default="expert", help="agent name or module:factory (default: expert)")
    p.add_argument("--episodes", type=int, required=True, help="episodes to play")
    p.add_argument("--seed", type=int, default=0, help="episode i is reset with seed S + i (default 0)")
    p.add_argument("--out", required=True, help="output JSONL file (images go to <stem>_images/ beside it)")
    p.add_argument("--keep-all", action="store_true", help="keep failed episodes too (default: successes only)")
    p.add_argument("--env-kw", nargs="*", metavar="K=V", help="keywords for gym.make")
    p.add_argument("--agent-kw", nargs="*", metavar="K=V", help="keywords for the agent")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``pyvision-rl record``; returns the exit status."""
    import gymnasium as gym

    from trainers.cli import parse_kv

    args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.episodes < 1:
        print(f"error: --episodes must be at least 1, got {args.episodes}", file=sys.stderr)
        return 2
    try:
        summary = record_episodes(args.env, args.out, agent=args.agent, episodes=args.episodes, seed=args.seed,
                                  keep_all=args.keep_all, env_kwargs=parse_kv(args.env_kw, "--env-kw"),
                                  agent_kwargs=parse_kv(args.agent_kw, "--agent-kw"),
                                  progress=not args.no_progress)
    except (gym.error.Error, KeyError, TypeError, ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {summary.kept} of {summary.episodes} episodes to {summary.path} "
          f"(success rate {summary.success_rate:.3f})")
    return 0
