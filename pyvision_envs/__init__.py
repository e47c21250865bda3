"""PyVision-RL environments: multi-turn, text-action Gymnasium environments where a model answers questions
about images and videos by writing Python.

Importing the package registers the ids (cheaply: entry points are loaded only by ``gym.make``)::

    import gymnasium as gym
    import pyvision_envs  # noqa: F401  (registers PyVision/...)

    env = gym.make("PyVision/Counting-v0")
    obs, info = env.reset(seed=0)
    obs, reward, terminated, truncated, info = env.step("<answer>\\n\\boxed{3}\\n</answer>")
"""

from pyvision_envs.registration import env_ids, register_envs

__version__ = "0.1.0"
__all__ = ["__version__", "env_ids", "register_envs"]

register_envs()
