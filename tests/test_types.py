import pickle

from PIL import Image

from pyvision_envs.types import EndReason, RewardTerms, RolloutGroup, Task, Trajectory


def test_task_pickles_with_defaults_and_images():
    t = Task(id="a", question="q?", answer="1", images=(Image.new("RGB", (3, 2), (1, 2, 3)),))
    back = pickle.loads(pickle.dumps(t))
    assert back.id == "a" and back.grader_args == {} and back.images[0].getpixel((0, 0)) == (1, 2, 3)


def test_generated_tasks_with_read_only_views_pickle_and_copy():
    import copy
    from types import MappingProxyType

    from pyvision_envs.tasks import get_family

    t = get_family("counting", "easy").generate(0)
    assert isinstance(t.public, MappingProxyType)  # generators hand out read-only views
    back = pickle.loads(pickle.dumps(t))
    assert back == t == copy.deepcopy(t) and isinstance(back.public, MappingProxyType)
    assert isinstance(pickle.loads(pickle.dumps(Task(id="b", question="q", answer="x"))).public, dict)


def _traj(reward, acc):
    return Trajectory(prompt_id="p", token_ids=(1, 2, 3), loss_mask=(0, 1, 1), old_logprobs=(0.0, -1.0, -2.0),
                      prompt_len=1, reward=reward, terms=RewardTerms(accuracy=acc), end_reason=EndReason.ANSWERED)


def test_group_reward_std_is_the_population_std():
    g = RolloutGroup("p", (_traj(1.0, 1.0), _traj(0.0, 0.0)))
    assert g.reward_std == 0.5
    assert RolloutGroup("p", (_traj(1.0, 1.0),)).reward_std == 0.0


def test_trajectory_properties_and_broken_interactions():
    t = _traj(1.2, 1.0)
    assert t.correct and t.response_len == 2
    assert abs(RewardTerms(accuracy=1.0, tool=0.2, format=-0.1).total - 1.1) < 1e-12
    assert EndReason.CONTEXT_FULL.broken_interaction and not EndReason.MAX_TURNS.broken_interaction
