import pickle

import gymnasium as gym
import pytest
from PIL import Image

from pyvision_envs.core import EnvConfig, PyVisionEnv, make_config
from pyvision_envs.sandbox import SandboxError
from pyvision_envs.types import EndReason, Observation, RewardTerms, Task
from pyvision_envs.visual_tokens import QWEN25_VL, PatchRule, chars_per_token, images_tokens, visual_tokens

IMAGE = Image.new("RGB", (224, 224), (200, 30, 30))
# Plain dicts everywhere: Task's default mappings are mappingproxy objects, which do not pickle.
TASK = Task(id="red-1", question="What is the red channel of pixel (0, 0)?", answer="200", grader="numeric",
            grader_args={}, images=(IMAGE,), family="unit", public={"hint": {"channel": "red"}}, meta={})


def code(src: str) -> str:
    return f"<code>\n```python\n{src}\n```\n</code>"


def answer(text: str) -> str:
    return f"<answer>\n\\boxed{{{text}}}\n</answer>"


class OneTaskEnv(PyVisionEnv):
    """A real environment that always plays TASK (or the task passed in options)."""

    def _sample_task(self, options):
        return TASK


@pytest.fixture
def make_env():
    envs = []

    def _make(**kw):
        env = OneTaskEnv(**kw)
        envs.append(env)
        return env

    yield _make
    for env in envs:
        env.close()


def play(env, actions, seed=0):
    obs, info = env.reset(seed=seed)
    rewards, steps = [], []
    for a in actions:
        step = env.step(a)
        rewards.append(step[1])
        steps.append(step)
        if step[2] or step[3]:
            break
    return info, steps, rewards


# ----- visual tokens: values computed by hand from Qwen2.5-VL's smart_resize -----
@pytest.mark.parametrize("w, h, resized, tokens", [
    (224, 224, (224, 224), 64),          # already multiples of 28: 8 x 8
    (1000, 500, (1008, 504), 648),       # round(1000/28)=36, round(500/28)=18 -> 36 x 18
    (3840, 2160, (3836, 2156), 10549),   # 4K: 137 x 77, under max_pixels
    (20, 20, (56, 56), 4),               # below min_pixels (3136): scaled up to 56 x 56 -> 2 x 2
    (10000, 5000, (5068, 2520), 16290),  # above max_pixels: beta = sqrt(5e7 / 12845056) -> 181 x 90
])
def test_qwen25_vl_visual_tokens_by_hand(w, h, resized, tokens):
    assert QWEN25_VL.resized(w, h) == resized
    assert visual_tokens(w, h) == tokens


def test_visual_token_rules_are_pluggable_and_validated():
    assert visual_tokens(100, 100, rule=lambda w, h: 7) == 7
    assert PatchRule(factor=14, min_pixels=14 * 14, max_pixels=10**8)(28, 28) == 4
    assert images_tokens([IMAGE, IMAGE]) == 128
    assert chars_per_token("a" * 9) == 3
    with pytest.raises(ValueError, match="aspect ratio"):
        visual_tokens(201, 1)
    with pytest.raises(ValueError, match="min_pixels"):
        PatchRule(min_pixels=10, max_pixels=5)


# ----- config -----
def test_config_names_misspelt_keywords_and_bad_values():
    with pytest.raises(TypeError, match="Did you mean 'max_turns'"):
        make_config(max_turn=3)
    with pytest.raises(ValueError, match="on_tool_error='stop'"):
        EnvConfig(on_tool_error="stop")
    with pytest.raises(ValueError, match="max_turns must be positive"):
        EnvConfig(max_turns=0)
    with pytest.raises(ValueError, match="format_penalty"):
        EnvConfig(format_penalty=-1)


# ----- rewards and the turn loop -----
def test_correct_answer_pays_accuracy_plus_successful_tool_calls(make_env):
    env = make_env(max_turns=5)
    actions = [code("r = image_clue_0.getpixel((0, 0))[0]"), code("undefined_name"), code("print(r)"), answer("200")]
    reset_info, steps, rewards = play(env, actions)
    obs, reward, terminated, truncated, info = steps[-1]
    assert (terminated, truncated) == (True, False)
    assert info["end_reason"] is EndReason.ANSWERED
    assert info["tool_calls"] == 2 and info["tool_errors"] == 1  # the NameError does not count
    assert info["reward_terms"] == RewardTerms(accuracy=1.0, tool=pytest.approx(0.2), format=0.0)
    assert info["correct"] is True and info["answer_given"] == "200"
    assert rewards[:-1] == [0.0, 0.0, 0.0]  # paid at the end only
    assert sum(rewards) == pytest.approx(1.2) == reward
    assert "NameError" in steps[1][0].text
    assert steps[2][0].text == "<interpreter>\nText Result:\n200\n\n</interpreter>"  # state persisted
    assert reset_info["task_public"] == {"hint": {"channel": "red"}} and reset_info["question"] == TASK.question


def test_wrong_answer_earns_nothing_even_with_tool_calls(make_env):
    env = make_env()
    _, steps, rewards = play(env, [code("print(1)"), code("print(2)"), answer("7")])
    assert sum(rewards) == 0.0 and steps[-1][4]["reward_terms"] == RewardTerms(0.0, 0.0, 0.0)
    assert steps[-1][4]["correct"] is False


@pytest.mark.parametrize("kw, expected", [
    ({"tool_cap": 1}, RewardTerms(1.0, 0.1, 0.0)),
    ({"tool_coef": 0.5}, RewardTerms(1.0, 1.0, 0.0)),
    ({"tool_reward": False}, RewardTerms(1.0, 0.0, 0.0)),
    ({"format_penalty": 0.25}, RewardTerms(1.0, 0.2, -0.25)),  # the bare fence below is not the exact layout
])
def test_reward_settings(make_env, kw, expected):
    env = make_env(**kw)
    _, steps, rewards = play(env, [code("print(1)"), "```python\nprint(2)\n```", answer("200")])
    terms = steps[-1][4]["reward_terms"]
    assert (terms.accuracy, terms.tool, terms.format) == pytest.approx((expected.accuracy, expected.tool, expected.format))
    assert sum(rewards) == pytest.approx(expected.total)


def test_max_turns_truncates_without_running_the_last_code(make_env):
    env = make_env(max_turns=2)
    _, steps, _ = play(env, [code("print(1)"), code("print(2)")])
    obs, reward, terminated, truncated, info = steps[-1]
    assert (terminated, truncated, reward) == (False, True, 0.0)
    assert info["end_reason"] is EndReason.MAX_TURNS and info["turn"] == 2
    assert info["tool_calls"] == 1 and "Turn limit reached" in obs.text
    assert info["answer_given"] is None and info["correct"] is False


def test_malformed_turn_gets_a_hint_and_counts_as_a_turn(make_env):
    env = make_env(max_turns=3)
    _, steps, _ = play(env, ["I am not sure.", answer("200")])
    assert "could not be read" in steps[0][0].text and steps[0][4]["format_errors"] == 1
    assert steps[1][4]["turn"] == 2 and steps[1][4]["correct"] is True


def test_malformed_turn_can_end_the_episode(make_env):
    env = make_env(on_malformed="end")
    _, steps, _ = play(env, ["no tags here"])
    assert steps[0][2] is True and steps[0][4]["end_reason"] is EndReason.FORMAT_ERROR


def test_tool_error_can_end_the_episode(make_env):
    env = make_env(on_tool_error="end")
    _, steps, _ = play(env, [code("1 / 0"), answer("200")])
    assert len(steps) == 1 and steps[0][2] is True
    assert steps[0][4]["end_reason"] is EndReason.TOOL_ERROR and "ZeroDivisionError" in steps[0][0].text


def test_too_many_images_truncates_and_caps_the_observation(make_env):
    env = make_env(max_images=3)
    show3 = code("for i in range(3):\n    show(image_clue_0.crop((0, 0, 8 + i, 8)))")
    _, steps, _ = play(env, [show3])
    obs, _, terminated, truncated, info = steps[0]
    assert (terminated, truncated) == (False, True) and info["end_reason"] is EndReason.TOO_MANY_IMAGES
    assert len(obs.images) == 2 and obs in env.observation_space  # 1 input + 2 figures = the limit
    assert "1 more figure(s) not shown" in obs.text and info["images_shown"] == 3


def test_context_budget_uses_the_pluggable_counters(make_env):
    env = make_env(max_context_tokens=1000, token_counter=lambda s: 100, visual_token_rule=lambda w, h: 300)
    _, info = env.reset(seed=0)
    assert info["visual_tokens"] == 300 and info["context_tokens"] == 400
    obs, _, _, truncated, info = env.step(code("show(image_clue_0)"))
    # + 100 (turn) + 100 (observation text) + 300 (figure) = 900: still inside
    assert not truncated and info["context_tokens"] == 900
    obs, _, _, truncated, info = env.step(code("print(1)"))
    assert truncated and info["end_reason"] is EndReason.CONTEXT_FULL and info["context_tokens"] == 1100


def test_images_only_in_python_variant(make_env):
    env = make_env(image_in_context=False)
    obs, info = env.reset(seed=0)
    assert obs.images == () and info["visual_tokens"] == 0 and info["images_shown"] == 0
    obs, *_ = env.step(code("print(image_clue_0.size)"))
    assert "(224, 224)" in obs.text


def test_timeout_is_fed_back_and_the_next_call_reports_lost_state(make_env):
    env = make_env(timeout_s=1.0, max_turns=4)
    _, steps, _ = play(env, [code("x = 1"), code("while True:\n    pass"), code("print(image_clue_0.size)")])
    assert "time limit of 1 s" in steps[1][0].text and steps[1][4]["tool_errors"] == 1
    assert "state was lost" in steps[2][0].text and "(224, 224)" in steps[2][0].text


def test_info_keys_and_messages(make_env):
    env = make_env()
    obs, info = env.reset(seed=0)
    always = {"turn", "tool_calls", "tool_errors", "images_shown", "end_reason", "visual_tokens", "family",
              "task_id", "messages"}
    assert always | {"task_public", "question"} <= set(info)
    assert info["messages"] == [{"role": "user", "content": obs.text, "images": [IMAGE]}]
    _, _, _, _, info = env.step(code("show(image_clue_0.crop((0, 0, 5, 5)))"))
    assert always <= set(info) and "reward_terms" not in info
    assert [m["role"] for m in info["messages"]] == ["user", "assistant", "user"]
    assert info["messages"][2]["images"][0].size == (5, 5)
    assert info["visual_tokens"] == 64 + 4  # a 5x5 figure is scaled up to 56x56: 4 tokens
    _, _, _, _, info = env.step(answer("200"))
    assert always | {"reward_terms", "correct", "answer_given"} <= set(info)
    quiet = make_env(messages_in_info=False)
    assert "messages" not in quiet.reset(seed=0)[1]


def test_reset_options_pick_a_task_and_reject_unknown_ones(make_env):
    env = make_env()
    other = Task(id="blue", question="q", answer="x", images=(Image.new("RGB", (8, 8)),))
    obs, info = env.reset(options={"task": other})
    assert info["task_id"] == "blue" and obs.images[0].size == (8, 8)
    with pytest.raises(ValueError, match="unknown reset option"):
        env.reset(options={"tsk": other})
    with pytest.raises(TypeError, match="needs a pyvision_envs.types.Task"):
        env.reset(options={"task": "blue"})


def test_step_misuse_raises(make_env):
    env = make_env()
    with pytest.raises(gym.error.ResetNeeded):
        env.step(answer("1"))
    env.reset(seed=0)
    with pytest.raises(TypeError, match="str text"):
        env.step(["not", "text"])
    env.step(answer("1"))
    with pytest.raises(gym.error.ResetNeeded):
        env.step(answer("1"))


def test_sandbox_is_closed_on_reset_and_close(make_env):
    env = make_env()
    env.reset(seed=0)
    env.step(code("print(1)"))
    first = env._sandbox
    env.reset(seed=0)
    with pytest.raises(SandboxError, match="closed"):
        first.run("print(1)")
    env.step(code("print(1)"))
    second = env._sandbox
    env.close()
    env.close()  # twice is fine
    with pytest.raises(SandboxError, match="closed"):
        second.run("print(1)")


def test_pickled_env_mid_episode_reports_lost_state(make_env):
    env = make_env()
    env.reset(seed=0)
    env.step(code("x = 41"))
    copy = pickle.loads(pickle.dumps(env))
    try:
        obs, *_ = copy.step(code("print(image_clue_0.size)"))
        assert "state was lost" in obs.text and "(224, 224)" in obs.text
    finally:
        copy.close()
    obs, *_ = env.step(code("print(x + 1)"))  # the original keeps its state
    assert "42" in obs.text


def test_render_and_transcript(make_env):
    env = make_env(render_mode="ansi")
    assert env.render() == "(no episode yet: call reset())"
    play(env, [code("print(6 * 7)"), answer("200")])
    text = env.render()
    assert "--- assistant (turn 1) ---" in text and "42" in text and "[image 224x224]" in text
    assert "end: answered" in text and "expected: '200'" in text
    assert make_env().render() is None
    with pytest.raises(ValueError, match="render_mode='human'"):
        OneTaskEnv(render_mode="human")


def test_abstract_base_says_what_to_implement():
    with pytest.raises(NotImplementedError, match="_sample_task"):
        PyVisionEnv().reset(seed=0)


def test_prompt_must_fit_the_observation_space(make_env):
    env = make_env(max_images=1)
    two = Task(id="two", question="q", answer="a", images=(IMAGE, IMAGE))
    with pytest.raises(ValueError, match="task 'two'"):
        env.reset(options={"task": two})


def test_observations_are_in_the_space(make_env):
    env = make_env()
    obs, _ = env.reset(seed=0)
    assert obs in env.observation_space
    for a in [code("show(image_clue_0)"), "??", answer("1")]:
        obs, *_ = env.step(a)
        assert isinstance(obs, Observation) and obs in env.observation_space


class HookedEnv(OneTaskEnv):
    """Fills every episode hook and records when the base calls it."""

    _transient = (*PyVisionEnv._transient, "resource")

    def __init__(self, **kw):
        super().__init__(**kw)
        self.log, self.resource = [], None

    def _open_episode(self, task):
        self.log.append(("open", task.id))
        self.resource = [task.id]

    def _close_episode(self):
        super()._close_episode()
        self.log.append(("close", "sandbox stopped" if self._sandbox is None else "sandbox alive"))
        self.resource = None

    def _extra_info(self, ep):
        return {"resource": list(self.resource or [])}


def test_base_owns_the_episode_life_and_calls_the_hooks():
    env = HookedEnv()
    try:
        obs, info = env.reset(seed=0)
        assert env.log == [("close", "sandbox stopped"), ("open", "red-1")]
        assert info["task"] is TASK and info["resource"] == ["red-1"]  # the host gets the task, not env.episode
        _, _, _, _, info = env.step(code("print(1)"))
        assert info["resource"] == ["red-1"] and "task" not in info
        twin = pickle.loads(pickle.dumps(env))
        assert twin.resource is None and twin._sandbox is None and env.resource == ["red-1"]
        env.close()
        assert env.log[-1] == ("close", "sandbox stopped") and env.resource is None
    finally:
        env.close()


def test_reset_info_carries_the_generated_task():
    env = gym.make("PyVision/Counting-Easy-v0")
    try:
        _, info = env.reset(options={"index": 3})
        assert info["task"] == env.unwrapped.family.generate(3) == env.unwrapped.episode.task
    finally:
        env.close()


def test_a_turn_over_the_length_cap_gets_a_format_hint(make_env):
    env = make_env(max_action_chars=1000)
    env.reset(seed=0)
    obs, reward, terminated, truncated, info = env.step(answer("200") + " " * 1000)
    assert not terminated and info["format_errors"] == 1 and reward == 0.0
    assert "over the limit of 1,000; write a shorter turn" in obs.text
    with pytest.raises(ValueError, match="max_action_chars must be positive"):
        make_env(max_action_chars=0)


JUDGED = Task(id="judged-1", question="What colour is it?", answer="red", grader="judge", grader_args={},
              images=(IMAGE,), family="unit", public={}, meta={})


def test_a_failed_judgement_leaves_the_episode_unchanged_so_the_step_can_be_retried(make_env):
    from pyvision_envs.rewards import JudgeError, OpenAIJudge
    from tests.rewards.judge_servers import ChatServer, completion

    script = [(503, {"error": "busy"}, 0.0)] * 2 + [(200, completion("yes"), 0.0)]
    with ChatServer(script) as srv:
        env = make_env(judge=OpenAIJudge(srv.url, "m", max_attempts=2, backoff_s=0.0))
        env.reset(seed=0, options={"task": JUDGED})
        env.step(code("print(1)"))
        before = (env.episode.turn, len(env.episode.messages), env.episode.context_tokens, env.episode.answer)
        with pytest.raises(JudgeError) as failed:
            env.step(answer("crimson"))
        assert (env.episode.turn, len(env.episode.messages), env.episode.context_tokens,
                env.episode.answer) == before
        assert "judged-1" in str(failed.value) and "episode is unchanged: step() may be retried" in str(failed.value)
        obs, reward, terminated, truncated, info = env.step(answer("crimson"))  # the server is back
    assert terminated and info["turn"] == 2 and info["correct"] and reward == pytest.approx(1.1)
    assert [m["role"] for m in info["messages"]] == ["user", "assistant", "user", "assistant"]
    assert "judge_error" not in info and len(srv.requests) == 3


def test_on_judge_error_zero_scores_the_answer_0_and_says_why(make_env):
    from pyvision_envs.rewards import OpenAIJudge
    from tests.rewards.judge_servers import ChatServer

    with ChatServer([(500, {"error": "down"}, 0.0)]) as srv:
        env = make_env(judge=OpenAIJudge(srv.url, "m", max_attempts=2, backoff_s=0.0), on_judge_error="zero")
        env.reset(seed=0, options={"task": JUDGED})
        obs, reward, terminated, truncated, info = env.step(answer("red"))
    assert terminated and reward == 0.0 and not info["correct"]
    assert "failed after 2 attempt(s)" in info["judge_error"] and "HTTP 500" in info["judge_error"]
    with pytest.raises(ValueError, match="on_judge_error='skip': use one of \\('raise', 'zero'\\)"):
        make_env(on_judge_error="skip")
def play_calls(env, seed, calls=4):
    """Reset with ``seed`` and make ``calls`` tool calls; the per-call outcome (True: it ran) and the last info."""
    env.reset(seed=seed)
    ran = []
    for _ in range(calls):
        obs, _, _, _, info = env.step(code("print('ok')"))
        ran.append("ToolFailure:" not in obs.text)
        assert ran[-1] == ("\nok\n" in obs.text)  # a failed call did not run the code
    return ran, info


def test_tool_failure_rate_fails_calls_deterministically_by_seed(make_env):
    env = make_env(tool_failure_rate=0.5, max_turns=6)
    runs = {seed: play_calls(env, seed) for seed in range(6)}
    outcomes = [ok for ran, _ in runs.values() for ok in ran]
    assert 0 < sum(outcomes) < len(outcomes)  # 24 draws at 50%: some of each
    for ran, info in runs.values():
        assert info["tool_calls"] == sum(ran) and info["tool_errors"] == len(ran) - sum(ran)
    assert [play_calls(env, seed)[0] for seed in range(6)] == [ran for ran, _ in runs.values()]  # replays
    assert play_calls(make_env(max_turns=6), 0)[0] == [True] * 4  # off by default
    with pytest.raises(ValueError, match="tool_failure_rate must be in"):
        make_env(tool_failure_rate=1.0)
