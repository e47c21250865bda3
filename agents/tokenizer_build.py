r"""Build the ``tiny`` preset's tokenizer locally: a byte-level BPE trained on a built-in PyVision corpus.

Nothing is downloaded. The corpus is generated from a seed and covers the PyVision protocol (``<code>``,
```` ```python ````, ``</code>``, ``<answer>``, ``\boxed{}``, ``<interpreter>``, ``Text Result:``,
``Image Result:``), Python for numpy/PIL/matplotlib, digits and option letters. The trained tokenizer is cached
under ``$PYVISION_RL_CACHE/tokenizers/<hash>/`` (default ``~/.cache/pyvision-rl``), keyed by a hash of the corpus
and the settings, so training (under a second) happens once per machine.

Usage::

    tok = build_tiny_tokenizer(seed=0)   # a PreTrainedTokenizerFast with a Qwen-style ChatML template
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import tempfile
from pathlib import Path

from transformers import PreTrainedTokenizerFast

from pyvision_envs.protocol import ANSWER_CLOSE, ANSWER_OPEN, CODE_CLOSE, CODE_OPEN, answer_turn

BUILD_VERSION = 2  # bump when the corpus generator or the training settings change meaning
SPECIAL_TOKENS = (
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|image_pad|>",
    "<|video_pad|>",
)
# Protocol tags become single (non-special) tokens: shorter sequences for a tiny model to learn. The openers and
# closers of a code block and of an answer are also whole tokens (matched longest first), so which block a turn
# opens is one decision: with separate "<code>", "\n", "```python" tokens a 2-layer model must look two tokens
# back to tell a code block from an answer, and half its code turns drifted into "\boxed{".
PROTOCOL_TOKENS = (
    CODE_OPEN, CODE_CLOSE, ANSWER_OPEN, ANSWER_CLOSE,
    "<code>", "</code>", "<answer>", "</answer>", "<interpreter>", "</interpreter>",
    "```python", "```", "\\boxed{", "Text Result:", "Image Result:", "<image>",
)
# Same split as Qwen2's tokenizer: digits one by one, words with their leading space.
_SPLIT_PATTERN = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+"
    r"|\s+(?!\S)|\s+"
)
# Qwen2-VL-style ChatML; string content, or a list of {"type": "image"} / {"type": "text"} parts.
CHATML_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for part in message['content'] %}"
    "{% if part['type'] == 'image' or 'image' in part %}<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif 'text' in part %}{{ part['text'] }}{% endif %}"
    "{% endfor %}{% endif %}<|im_end|>\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

_COLORS = ["red", "green", "blue", "yellow", "purple", "orange", "black", "white", "gray", "cyan", "magenta"]
_SHAPES = ["circle", "square", "triangle", "star", "rectangle", "dot", "line", "arrow", "cross"]
_OBJECTS = ["car", "dog", "cat", "person", "tree", "sign", "cup", "clock", "bird", "house", "book"]
_WORDS = (
    "the a an of to in on at by for with from into over under above below between behind near far left right "
    "top bottom middle center corner edge side front back inside outside around across along up down "
    "is are was were be been being has have had do does did can could will would should may might must "
    "this that these those there here what which who whom whose where when why how all any each every some "
    "many much more most less least few several both either neither one two three four five six seven eight "
    "nine ten eleven twelve first second third last next previous other another same different similar "
    "image picture photo figure frame video clip scene view region area part patch pixel pixels channel "
    "color colour shape size width height length position location distance direction angle count number "
    "total sum average mean median maximum minimum value values result results answer question option options "
    "choice choices correct wrong true false yes no not only also then than so because since therefore thus "
    "let me we i you it they he she us them our my your its their look see find check compute measure compare "
    "crop zoom resize rotate flip enhance contrast brightness sharpen blur threshold mask detect locate identify "
    "plot show display print draw mark highlight label annotate segment estimate approximate calculate verify "
    "object objects item items thing person people man woman child dog cat bird car bus truck bike tree flower "
    "house building window door wall floor table chair cup bottle book clock sign text letter word line box "
    "circle square triangle star rectangle dot arrow cross polygon hexagon oval ellipse grid cell row column "
    "red green blue yellow purple orange black white gray grey cyan magenta pink brown dark light bright pale "
    "small large big tiny huge tall short wide narrow long thick thin round flat sharp smooth rough striped "
    "visible hidden clear unclear first finally step steps reasoning think thought carefully closely again "
    "python code numpy array shape dtype float int list dict tuple range len max min abs round sorted "
    "function variable index slice loop condition return import module library error output input data "
    "time second seconds minute fps timestamp start end begin middle sample samples sampled sequence order "
    "before after during while until once twice every appears appear shows showing shown contains contain "
    "larger smaller bigger higher lower closer farther brighter darker most least largest smallest highest "
    "lowest nearest farthest leftmost rightmost topmost number of times percent ratio fraction degrees "
    "room kitchen street road sky water grass field table desk screen phone laptop keyboard mouse bag hat "
    "shirt shoe ball toy box sofa bed lamp mirror plate bowl fork knife spoon apple banana orange cake pizza"
).split()
_CODE_LINES = [
    "import numpy as np", "from PIL import Image, ImageOps, ImageEnhance, ImageDraw", "import matplotlib.pyplot as plt",
    "img = image_clue_{i}", "arr = np.array(img)", "h, w = arr.shape[:2]", "print(arr.shape)",
    "crop = img.crop(({a}, {b}, {c}, {d}))", "zoom = crop.resize((crop.width * {k}, crop.height * {k}))",
    "plt.imshow(zoom)", "plt.axis('off')", "plt.show()", "show(crop)", "mask = (arr[:, :, 0] > {a}) & (arr[:, :, 1] < {b})",
    "ys, xs = np.nonzero(mask)", "print(len(xs), xs.mean(), ys.mean())", "count = int(mask.sum())",
    "print('count:', count)", "for y in range(0, h, {k}):", "    row = arr[y]", "    print(y, row.mean())",
    "gray = np.array(ImageOps.grayscale(img), dtype=np.float32)", "print(round(gray.mean(), 2))",
    "colors = {{'red': (255, 0, 0), 'green': (0, 255, 0), 'blue': (0, 0, 255)}}",
    "best = max(colors, key=lambda c: np.abs(arr - colors[c]).sum())", "print(best)",
    "frame = video_clue_0[{a}]", "frames = video_clue_0.get_batch([{a}, {b}, {c}])", "fps = video_clue_0.get_avg_fps()",
    "print(len(video_clue_0), fps)", "fig, ax = plt.subplots(1, {k}, figsize=({k}, 3))", "ax.imshow(frame)",
    "labels, counts = np.unique(arr.reshape(-1, 3), axis=0, return_counts=True)", "print(counts.max())",
]


def _question(rng: random.Random) -> str:
    kind = rng.randrange(4)
    if kind == 0:
        return f"How many {rng.choice(_COLORS)} {rng.choice(_SHAPES)}s are in the image?"
    if kind == 1:
        return f"What is the color of the {rng.choice(_SHAPES)} next to the {rng.choice(_OBJECTS)}?"
    if kind == 2:
        return f"Is the {rng.choice(_OBJECTS)} on the left or the right of the {rng.choice(_OBJECTS)}?"
    return f"Which {rng.choice(_SHAPES)} is the largest in image_clue_{rng.randrange(3)}?"


def _options(rng: random.Random) -> str:
    picks = rng.sample(_COLORS + _SHAPES + [str(n) for n in range(12)], 4)
    return "\n".join(f"({letter}) {p}" for letter, p in zip("ABCD", picks, strict=True))


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(8, 40))]
    words = [w.capitalize() if rng.random() < 0.15 else w + "," if rng.random() < 0.05 else w for w in words]
    return " ".join(words).capitalize() + rng.choice([".", "?", ":", "!"])


def _code(rng: random.Random) -> str:
    lines = rng.sample(_CODE_LINES, rng.randint(3, 8))
    vals = {k: rng.randint(0, 512) for k in "abcd"}
    return "\n".join(line.format(i=rng.randrange(3), k=rng.randint(2, 4), **vals) for line in lines)


def _episode(rng: random.Random) -> str:
    w, h = rng.randint(64, 1024), rng.randint(64, 1024)
    parts = [
        f"Image size: {w}x{h}. The image is loaded in Python as image_clue_0.",
        _question(rng), "Options:\n" + _options(rng),
        _sentence(rng),
        CODE_OPEN + _code(rng) + CODE_CLOSE,
    ]
    stdout = " ".join(str(rng.randint(0, 999)) for _ in range(rng.randint(1, 6)))
    k = rng.randint(1, 4)
    figure = f"<image_clue_{k}><image></image_clue_{k}>"
    parts.append(f"<interpreter>\nText Result:\n{stdout}\nImage Result:\n{figure}\n</interpreter>")
    answer = rng.choice(["A", "B", "C", "D", str(rng.randint(0, 99)), rng.choice(_COLORS), "yes", "no"])
    parts.append(answer_turn(answer))
    return "\n".join(parts)


def build_corpus(seed: int = 0, episodes: int = 3000) -> str:
    """Return the deterministic training corpus for the tiny tokenizer.

    Args:
        seed: Seed of the generator; the same seed always gives the same text.
        episodes: How many synthetic protocol episodes to write.
    """
    rng = random.Random(seed)
    extra = "0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopqrstuvwxyz (A) (B) (C) (D) yes no\n"
    return extra + "\n\n".join(_episode(rng) for _ in range(episodes))


def cache_root() -> Path:
    """The cache directory: ``$PYVISION_RL_CACHE`` or ``~/.cache/pyvision-rl``."""
    return Path(os.environ.get("PYVISION_RL_CACHE") or Path.home() / ".cache" / "pyvision-rl")


def _train(corpus: str, vocab_size: int) -> PreTrainedTokenizerFast:
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(_SPLIT_PATTERN), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, min_frequency=2, special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False,
    )
    tok.train_from_iterator(corpus.split("\n\n"), trainer=trainer)
    tok.add_tokens([AddedToken(t, normalized=False, special=False) for t in PROTOCOL_TOKENS])
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token=None, eos_token="<|im_end|>", pad_token="<|endoftext|>",
        unk_token=None, chat_template=CHATML_TEMPLATE, padding_side="left",
        additional_special_tokens=[t for t in SPECIAL_TOKENS if t not in ("<|im_end|>", "<|endoftext|>")],
    )


def build_tiny_tokenizer(seed: int = 0, vocab_size: int = 4096, cache: bool = True) -> PreTrainedTokenizerFast:
    """Train (or load from the cache) the tiny preset's byte-level BPE tokenizer.

    Args:
        seed: Seed of the corpus generator. Same seed, same tokenizer, on any machine.
        vocab_size: Target vocabulary size before the special and protocol tokens are added.
        cache: Read and write the on-disk cache; ``False`` always trains in memory.

    Returns:
        A ``PreTrainedTokenizerFast`` with ``<|im_end|>`` as eos, ``<|endoftext|>`` as pad, left padding and a
        Qwen-style ChatML chat template that also renders image parts for the VL sibling.
    """
    corpus = build_corpus(seed)
    settings = {"v": BUILD_VERSION, "vocab": vocab_size, "special": SPECIAL_TOKENS, "proto": PROTOCOL_TOKENS,
                "split": _SPLIT_PATTERN, "template": CHATML_TEMPLATE}
    key = hashlib.sha256((json.dumps(settings) + corpus).encode()).hexdigest()[:16]
    target = cache_root() / "tokenizers" / f"tiny-{key}"
    if cache and (target / "tokenizer.json").exists():
        return PreTrainedTokenizerFast.from_pretrained(str(target))
    tok = _train(corpus, vocab_size)
    if cache:
        save_atomically(tok.save_pretrained, target)
    return tok


def save_atomically(save, target: Path) -> None:
    """Call ``save(tmp_dir)`` and move the folder to ``target``; a concurrent writer that won keeps its copy."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=target.name + ".", dir=target.parent))
    try:
        save(str(tmp))
        os.replace(tmp, target)
    except OSError:
        if not target.exists():
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
