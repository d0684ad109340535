"""Word segmentation for the leftovers of a free sentence, with a small domain dictionary.

jieba's default dictionary costs about 85 MB resident; the bot must idle under 100 MB.
So the parser runs its own jieba.Tokenizer on `domain_dict.txt` (a few hundred words:
fillers, company suffixes, place names, product words) and lets jieba's HMM join the
unknown characters of names.  Segmentation only trims name spans; the fields themselves
come from the key grammar, the regular scanners and the lexicon.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Any, Protocol

DICT_PATH = Path(__file__).with_name("domain_dict.txt")


class _Tokenizer(Protocol):
    """What the parser uses of a jieba.Tokenizer: jieba ships no type hints."""

    def lcut(self, sentence: str, HMM: bool = True) -> list[str]: ...


_lock = threading.Lock()
_tokenizer: _Tokenizer | None = None


def _load_tags() -> dict[str, str]:
    tags: dict[str, str] = {}
    with DICT_PATH.open(encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3:
                tags[parts[0]] = parts[2]
    return tags


TAGS: dict[str, str] = _load_tags()


def _import_jieba() -> Any:
    if "jieba" in sys.modules:
        return sys.modules["jieba"]
    # jieba only uses pkg_resources to open its bundled files and falls back to plain
    # open(); importing pkg_resources costs ~12 MB resident, so hide it for this import.
    hide = "pkg_resources" not in sys.modules
    if hide:
        # None in sys.modules is how Python blocks an import; typeshed types the values as
        # modules only, hence the ignore.
        sys.modules["pkg_resources"] = None  # type: ignore[assignment]
    try:
        import jieba
    finally:
        if hide and sys.modules.get("pkg_resources", 0) is None:
            del sys.modules["pkg_resources"]
    jieba.setLogLevel(60)  # quieter than CRITICAL: start-up must not print to stderr
    return jieba


def warm_up() -> None:
    """Import jieba and build the domain dictionary now (call once at bot start-up)."""
    _loaded_tokenizer()


def _loaded_tokenizer() -> _Tokenizer:
    global _tokenizer
    if _tokenizer is not None:
        return _tokenizer
    with _lock:
        if _tokenizer is not None:
            return _tokenizer
        jieba = _import_jieba()
        tokenizer = jieba.Tokenizer(dictionary=str(DICT_PATH))
        # Build the prefix dictionary directly: Tokenizer.initialize() would also write a
        # cache file into the temp directory, which a bot has no business doing.
        with DICT_PATH.open("rb") as f:
            tokenizer.FREQ, tokenizer.total = tokenizer.gen_pfdict(f)
        tokenizer.initialized = True
        _tokenizer = tokenizer
        return _tokenizer


def is_warm() -> bool:
    return _tokenizer is not None


def cut(text: str, hmm: bool = True) -> list[str]:
    """Words of `text` (a run of Chinese characters and letters)."""
    return _loaded_tokenizer().lcut(text, HMM=hmm)


def tag(word: str) -> str | None:
    return TAGS.get(word)
