import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from agents import chat
from agents.presets import load_preset
from trainers.config import ConfigError, SFTConfig, load_config
from trainers.record import read_records, record_episodes
from trainers.sft import SFTTrainer
from trainers.sft_data import IGNORE, assistant_loss_sum, collate, tokenize_conversation, truncate

ROOT = Path(__file__).resolve().parents[2]
ENV = "PyVision/Counting-Easy-v0"


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    out = tmp_path_factory.mktemp("sft") / "expert.jsonl"
    record_episodes(ENV, out, agent="expert", episodes=6, seed=0, env_kwargs={"image_in_context": False},
                    progress=False)
    return out


@pytest.fixture(scope="module")
def tiny():
    return load_preset("tiny", seed=0)


def spans(labels):
    """[start, end) runs of labelled positions."""
    out, start = [], None
    for i, x in enumerate(list(labels) + [IGNORE]):
        if x != IGNORE and start is None:
            start = i
        elif x == IGNORE and start is not None:
            out.append((start, i))
            start = None
    return out


def test_labels_are_exactly_the_assistant_turns(data, tiny):
    tok = tiny.tokenizer
    conv = read_records(data)[0]
    t = tokenize_conversation(tok, conv.messages)
    assistant = [m["content"] for m in conv.messages if m["role"] == "assistant"]
    runs = spans(t.labels)
    assert len(runs) == len(assistant) == 2
    for (a, b), text in zip(runs, assistant):
        assert list(t.labels[a:b]) == list(t.ids[a:b])  # labelled tokens are the tokens themselves
        assert tok.decode(list(t.ids[a:b])) == text  # and decode to the assistant message, nothing more
    # Everything else, prompt, turn tails, observations and generation prompts, carries no loss.
    labelled = {i for a, b in runs for i in range(a, b)}
    assert all(t.labels[i] == IGNORE for i in range(len(t.ids)) if i not in labelled)
    assert t.assistant_tokens == sum(b - a for a, b in runs)


def test_tokens_match_the_chat_template_and_the_rollout_construction(data, tiny):
    """SFT sequences are what a rollout builds: prompt ids + sampled ids + observation ids (never re-tokenized)."""
    tok = tiny.tokenizer
    conv = read_records(data)[1]
    msgs = [{"role": m["role"], "content": m["content"]} for m in conv.messages]
    t = tokenize_conversation(tok, conv.messages)
    rendered = chat.render(tok, msgs, add_generation_prompt=False)
    tail = chat.assistant_tail(tok)
    assert tok.decode(list(t.ids)) == rendered[: len(rendered) - len(tail)]
    ids = chat.prompt_ids(tok, msgs[:1])
    sampled = chat.encode(tok, msgs[1]["content"])
    ids += sampled + chat.observation_ids(tok, msgs[2]["content"], sampled=sampled)
    ids += chat.encode(tok, msgs[3]["content"])
    assert list(t.ids) == ids


def test_loss_counts_assistant_tokens_only(data, tiny):
    tok, model = tiny.tokenizer, tiny.model
    convs = [tokenize_conversation(tok, c.messages) for c in read_records(data)[:2]]
    batch = collate(convs, tok.pad_token_id)
    with torch.no_grad():
        fast = assistant_loss_sum(model, batch)
        logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    per_token = torch.nn.functional.cross_entropy(logits[:, :-1].transpose(1, 2), batch["input_ids"][:, 1:],
                                                  reduction="none")
    is_assistant = batch["labels"][:, 1:] != IGNORE
    assert is_assistant.sum() == sum(c.assistant_tokens for c in convs)
    # The loss is the sum of the per-token cross entropy over the assistant positions, and nothing else:
    torch.testing.assert_close(fast, per_token[is_assistant].sum(), rtol=1e-4, atol=1e-3)
    assert per_token[~is_assistant].sum() > 1.0  # (the other positions do carry cross entropy; it is left out)
    assert not is_assistant[batch["attention_mask"][:, 1:] == 0].any()  # padding never counts
    # Re-labelling a prompt token as a target would change the loss: the mask, not luck, keeps it out.
    relabelled = dict(batch, labels=batch["labels"].clone())
    relabelled["labels"][0, 5] = batch["input_ids"][0, 5]
    with torch.no_grad():
        assert not torch.allclose(assistant_loss_sum(model, relabelled), fast)


def test_truncate_keeps_whole_images():
    from trainers.sft_data import TokenizedConversation

    pad = 9
    ids = (1, 2, pad, pad, pad, 3, 4, pad, pad, 5, 6)
    conv = TokenizedConversation(ids, ids, images=("im0", "im1"))
    cut = truncate(conv, 8, image_pad_id=pad)  # would split the second image's run: drop it whole
    assert cut.ids == (1, 2, pad, pad, pad, 3) and cut.images == ("im0",)
    assert truncate(conv, 20, image_pad_id=pad) is conv


@pytest.mark.slow
def test_sft_drives_assistant_loss_down_and_saves_a_loadable_model(data, tmp_path):
    cfg = SFTConfig(model="tiny", data_path=str(data), output_dir=str(tmp_path / "run"), lr=5e-3, steps=30,
                    batch_size=2, warmup_steps=2, max_seq_tokens=700, save_every=10, progress=False)
    result = SFTTrainer(cfg).train()
    first, last = sum(result.losses[:3]) / 3, sum(result.losses[-3:]) / 3
    assert last < 0.35 * first, result.losses
    rows = [json.loads(x) for x in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert rows[-1]["step"] == 30 and "sft/loss" in rows[-1]
    back = load_preset(str(result.final_dir))
    with torch.no_grad():
        conv = tokenize_conversation(back.tokenizer, read_records(data)[0].messages)
        conv = truncate(conv, 700)
        loss = assistant_loss_sum(back.model, collate([conv], back.tokenizer.pad_token_id)) / conv.assistant_tokens
    assert float(loss) < 0.5 * first  # the saved weights are the trained ones


@pytest.mark.slow
def test_resume_reaches_the_same_weights(data, tmp_path):
    base = dict(model="tiny", data_path=str(data), lr=3e-3, batch_size=2, max_seq_tokens=500, progress=False)
    full = SFTTrainer(SFTConfig(**base, steps=4, output_dir=str(tmp_path / "full"))).train()
    SFTTrainer(SFTConfig(**base, steps=2, save_every=2, output_dir=str(tmp_path / "cut"))).train()
    resumed = SFTTrainer(SFTConfig(**base, steps=4, save_every=2, resume=True, output_dir=str(tmp_path / "cut")))
    out = resumed.train()
    a, b = load_preset(str(full.final_dir)).model, load_preset(str(out.final_dir)).model
    for (name, p), q in zip(a.named_parameters(), b.parameters()):
        torch.testing.assert_close(p, q, msg=name)
    assert out.losses and len(out.losses) == 2  # only the two remaining steps ran


def cli(*args):
    return subprocess.run([sys.executable, "-m", "trainers.cli", "sft", *args], capture_output=True,
                          text=True, timeout=600, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_cli_sft_runs_from_a_config_with_overrides(data, tmp_path):
    cfg = tmp_path / "sft.yaml"
    cfg.write_text(f"model: tiny\ndata_path: {data}\nbatch_size: 2\nmax_seq_tokens: 500\nprogress: false\n")
    run = cli("--config", str(cfg), "steps=2", f"output_dir={tmp_path / 'out'}")
    assert run.returncode == 0, run.stderr
    assert "sft: 2 steps" in run.stdout and (tmp_path / "out" / "final" / "config.json").exists()
    assert load_config(tmp_path / "out" / "config.yaml", cls=SFTConfig).steps == 2


def test_cli_sft_bad_jsonl_names_file_line_and_field(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"messages": [{"role": "user", "content": "q", "images": ["gone.png"]},
                                            {"role": "assistant", "content": "a"}]}) + "\n")
    run = cli(f"data_path={bad}", f"output_dir={tmp_path / 'o'}", "progress=false")
    assert run.returncode == 2
    assert f"{bad}:1" in run.stderr and "messages[0].images[0]" in run.stderr and "gone.png" in run.stderr
    typo = cli(f"data_path={bad}", "batch_sise=1")
    assert typo.returncode == 2 and "Did you mean" in typo.stderr


def test_cli_help_lists_fields():
    run = cli("--help")
    assert run.returncode == 0 and "data_path" in run.stdout and "max_seq_tokens" in run.stdout


@pytest.mark.slow
def test_sft_on_a_vision_language_policy(tmp_path):
    data = tmp_path / "vl.jsonl"
    record_episodes("PyVision/VisualSearch-Easy-v0", data, agent="expert", episodes=1, seed=0, progress=False)
    cfg = SFTConfig(model="tiny-vl", data_path=str(data), output_dir=str(tmp_path / "run"), steps=2, batch_size=1,
                    lr=1e-3, max_seq_tokens=3000, progress=False)
    trainer = SFTTrainer(cfg)
    result = trainer.train()
    convs = trainer.load_data()
    assert len(convs[0].images) == 2  # the input image in the prompt and the tool's figure
    assert all(torch.isfinite(torch.tensor(result.losses)))
    assert (result.final_dir / "preprocessor_config.json").exists()


def test_balance_by_gives_every_batch_the_same_share_of_each_agent(data, tiny, tmp_path):
    """``balance_by=agent``: 6 expert and 2 guesser conversations, batches of 4 -> 2 of each per batch, and each
    agent's conversations are all drawn once per pass over them (their own seeded shuffle)."""
    guesses = tmp_path / "guesser.jsonl"
    record_episodes(ENV, guesses, agent="guesser", episodes=2, seed=0, keep_all=True,
                    env_kwargs={"image_in_context": False}, progress=False)
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text(Path(data).read_text() + guesses.read_text())
    agents = [r.record["agent"] for r in read_records(mixed)]
    assert agents.count("expert") == 6 and agents.count("guesser") == 2
    cfg = SFTConfig(model="tiny", data_path=str(mixed), output_dir=str(tmp_path / "run"), steps=3, batch_size=4,
                    balance_by="agent", progress=False)
    trainer = SFTTrainer(cfg, bundle=tiny)
    n = len(trainer.load_data())
    steps = [trainer.batch_indices(step, n) for step in range(3)]
    for idx in steps:
        assert sorted(agents[i] for i in idx) == ["expert", "expert", "guesser", "guesser"]
    assert sorted(i for idx in steps for i in idx if agents[i] == "expert") == [i for i in range(8)
                                                                                 if agents[i] == "expert"]
    assert steps == [trainer.batch_indices(step, n) for step in range(3)]  # a function of the step: resumable
    plain = SFTTrainer(SFTConfig(model="tiny", data_path=str(mixed), output_dir=str(tmp_path / "p"), steps=3,
                                 batch_size=4, progress=False), bundle=tiny)
    assert any(sorted(agents[i] for i in plain.batch_indices(s, n)) != ["expert", "expert", "guesser", "guesser"]
               for s in range(4))  # without it, batches draw whatever the one shuffle gives

    for bad, match in (({"balance_by": "agnet"}, r"mixed.jsonl:1: the record has no field 'agnet'"),
                       ({"balance_by": "agent", "batch_size": 3}, r"2 values of 'agent', which must divide "
                                                                  r"batch_size=3")):
        cfg = SFTConfig(**{"model": "tiny", "data_path": str(mixed), "output_dir": str(tmp_path / "b"),
                           "progress": False, **bad})
        with pytest.raises(ConfigError, match=match):
            SFTTrainer(cfg, bundle=tiny).load_data()


def test_micro_batches_packed_by_tokens_give_the_same_step(data, tmp_path):
    """``micro_batch_tokens`` changes how a batch is cut, not the step: same loss, same updated weights."""
    import copy

    out = {}
    for name, extra in (("one", {}), ("packed", {"micro_batch_tokens": 1})):  # 1 token: every row alone
        cfg = SFTConfig(model="tiny", data_path=str(data), output_dir=str(tmp_path / name), steps=1, batch_size=4,
                        lr=1e-3, max_grad_norm=0, progress=False, **extra)
        trainer = SFTTrainer(cfg, bundle=copy.deepcopy(load_preset("tiny", seed=0)))
        convs = trainer.load_data()
        opt, _, _ = trainer._setup(1)
        calls, forward = [], trainer.bundle.model.forward

        def counting(*args, _calls=calls, _forward=forward, **kwargs):
            _calls.append(1)
            return _forward(*args, **kwargs)

        trainer.bundle.model.forward = counting
        stats = trainer._step(convs, [0, 1, 2, 3], opt)
        out[name] = (stats["sft/loss"], len(calls), {k: v.detach().clone() for k, v in
                                                     trainer.bundle.model.state_dict().items()})
    assert out["one"][1] == 1 and out["packed"][1] == 4
    assert abs(out["one"][0] - out["packed"][0]) < 1e-5
    for k, v in out["one"][2].items():
        torch.testing.assert_close(v, out["packed"][2][k], atol=3e-5, rtol=1e-5)
