import json
import random

import numpy as np
import pytest
import torch

from trainers.checkpoint import (
    latest_checkpoint,
    list_checkpoints,
    load_checkpoint,
    rng_state,
    save_checkpoint,
    set_rng_state,
)

DATA = [float(i) for i in range(50)]


def build(seed):
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Dropout(0.3),
                                torch.nn.Linear(16, 1))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / 4))
    return model, opt, sched


def train_step(model, opt, sched, position):
    """One step that draws from every global RNG and from the data stream, like a real trainer."""
    x = torch.randn(8, 4)                       # torch RNG (and dropout below)
    target = DATA[position % len(DATA)] * 0.01
    noise = float(np.random.normal()) * 0.01    # NumPy RNG
    scale = 1.0 + random.random() * 0.1         # Python RNG
    loss = ((model(x) * scale - target - noise) ** 2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    sched.step()
    return position + 1


def seed_all(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def test_interrupted_and_resumed_run_is_bitwise_identical(tmp_path):
    seed_all(0)
    model_a, opt_a, sched_a = build(1)
    pos = 0
    for _ in range(6):
        pos = train_step(model_a, opt_a, sched_a, pos)

    seed_all(0)
    model_b, opt_b, sched_b = build(1)
    pos = 0
    for step in range(1, 4):
        pos = train_step(model_b, opt_b, sched_b, pos)
    save_checkpoint(tmp_path, step, model_b, opt_b, sched_b, data_state={"position": pos},
                    extra={"gen": torch.Generator().manual_seed(5).get_state(), "note": "hi"})
    del model_b, opt_b, sched_b

    seed_all(999)  # a fresh process: different RNG state, different init
    model_c, opt_c, sched_c = build(42)
    state = load_checkpoint(latest_checkpoint(tmp_path), model_c, opt_c, sched_c)
    assert state.step == 3 and state.data_state == {"position": 3} and state.extra["note"] == "hi"
    assert torch.equal(state.extra["gen"], torch.Generator().manual_seed(5).get_state())
    pos = state.data_state["position"]
    for _ in range(state.step, 6):
        pos = train_step(model_c, opt_c, sched_c, pos)

    for (name, a), (_, c) in zip(model_a.state_dict().items(), model_c.state_dict().items()):
        assert torch.equal(a, c), name
    assert sched_a.state_dict()["last_epoch"] == sched_c.state_dict()["last_epoch"] == 6
    sa, sc = opt_a.state_dict()["state"], opt_c.state_dict()["state"]
    assert all(torch.equal(sa[k]["exp_avg_sq"], sc[k]["exp_avg_sq"]) for k in sa)


def test_without_rng_restore_the_run_diverges(tmp_path):
    # guards the test above: resuming must depend on the restored RNG
    seed_all(0)
    model, opt, sched = build(1)
    train_step(model, opt, sched, 0)
    save_checkpoint(tmp_path, 1, model, opt, sched)
    expected = rng_state()
    seed_all(7)
    load_checkpoint(latest_checkpoint(tmp_path), model, opt, sched, restore_rng=False)
    assert not torch.equal(torch.get_rng_state(), expected["torch"])
    load_checkpoint(latest_checkpoint(tmp_path), model, opt, sched)
    assert torch.equal(torch.get_rng_state(), expected["torch"])


def test_rng_state_round_trip():
    seed_all(3)
    snap = rng_state()
    a = (random.random(), float(np.random.rand()), torch.rand(1).item())
    seed_all(4)
    set_rng_state(snap)
    assert (random.random(), float(np.random.rand()), torch.rand(1).item()) == a


def test_keep_last_and_latest(tmp_path):
    model, opt, sched = build(0)
    for step in (2, 4, 6, 8):
        save_checkpoint(tmp_path, step, model, opt, sched, keep_last=2)
    assert [p.name for p in list_checkpoints(tmp_path)] == ["step-00000006", "step-00000008"]
    assert latest_checkpoint(tmp_path).name == "step-00000008"
    assert latest_checkpoint(tmp_path / "missing") is None


def test_files_and_state_json(tmp_path):
    model, opt, sched = build(0)
    path = save_checkpoint(tmp_path, 5, model, opt, sched, data_state={"prompts": 80, "epoch": 1})
    names = sorted(p.name for p in path.iterdir())
    assert names == ["model.safetensors", "optimizer.pt", "rng.pt", "scheduler.pt", "state.json"]
    meta = json.loads((path / "state.json").read_text())
    assert meta["step"] == 5 and meta["data_state"] == {"prompts": 80, "epoch": 1}


def test_crash_mid_save_leaves_previous_checkpoint_and_no_half_one(tmp_path):
    model, opt, sched = build(0)
    save_checkpoint(tmp_path, 1, model, opt, sched)

    class Broken:
        def state_dict(self):
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(tmp_path, 2, model, Broken(), sched)
    assert [p.name for p in tmp_path.iterdir()] == ["step-00000001"]
    # a writer killed mid-save (no cleanup) leaves a .tmp dir: ignored by readers, removed by the next save
    (tmp_path / ".tmp-step-00000003-1234").mkdir()
    (tmp_path / ".tmp-step-00000003-1234" / "model.safetensors").write_bytes(b"partial")
    assert latest_checkpoint(tmp_path).name == "step-00000001"
    save_checkpoint(tmp_path, 4, model, opt, sched)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["step-00000001", "step-00000004"]


def test_resaving_a_step_replaces_it(tmp_path):
    model, opt, _ = build(0)
    save_checkpoint(tmp_path, 3, model, data_state={"v": 1})
    with torch.no_grad():
        model[0].weight.add_(1.0)
    save_checkpoint(tmp_path, 3, model, data_state={"v": 2})
    fresh, _, _ = build(1)
    state = load_checkpoint(tmp_path / "step-00000003", fresh)
    assert state.data_state == {"v": 2} and torch.equal(fresh[0].weight, model[0].weight)
    assert [p.name for p in tmp_path.iterdir()] == ["step-00000003"]


def test_tied_weights_survive(tmp_path):
    class Tied(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = torch.nn.Embedding(10, 4)
            self.head = torch.nn.Linear(4, 10, bias=False)
            self.head.weight = self.emb.weight

    torch.manual_seed(0)
    a = Tied()
    save_checkpoint(tmp_path, 1, a)
    torch.manual_seed(1)
    b = Tied()
    load_checkpoint(latest_checkpoint(tmp_path), b)
    assert torch.equal(a.emb.weight, b.emb.weight) and b.head.weight is b.emb.weight


def test_clear_errors(tmp_path):
    model, opt, sched = build(0)
    with pytest.raises(FileNotFoundError, match="not a complete checkpoint"):
        load_checkpoint(tmp_path, model)
    path = save_checkpoint(tmp_path, 1, model)
    with pytest.raises(FileNotFoundError, match="has no optimizer.pt"):
        load_checkpoint(path, model, opt)
    other = torch.nn.Linear(3, 3)
    with pytest.raises(RuntimeError, match="step-00000001/model.safetensors does not fit this model"):
        load_checkpoint(path, other)
    with pytest.raises(TypeError, match="JSON-serializable"):
        save_checkpoint(tmp_path, 2, model, data_state={"x": object()})
    assert latest_checkpoint(tmp_path).name == "step-00000001"
    with pytest.raises(ValueError, match="keep_last"):
        save_checkpoint(tmp_path, 2, model, keep_last=0)
