"""Korean tokenizer for Rasa built on Kiwi (kiwipiepy).

Kiwi analyses a message into morphemes; Rasa needs tokens whose ``start``/``end``
index the original text without overlaps (entity annotations and DIET's predicted
spans are character offsets). Kiwi's morphemes may overlap or carry forms that are
not in the text (``알려줘`` → 알리/VV(0,2) 어/EC(1,1) 주/VX(2,1) 어/EF(2,1)), so
morphemes that share characters are merged into one token whose text is the
original surface string. Particles and number units stay separate tokens:
``5천원으로`` → ``5 | 천 | 원 | 으로``, so an entity annotated on ``5천원`` never swallows
the particle.

Each token also carries:
- ``lemma``: the merged morphemes without endings (``알려줘`` and ``알려주세요`` both →
  ``알리주``), which CountVectorsFeaturizer uses when ``use_lemma`` is on, so 반말 and
  존댓말 share features;
- ``pos``: the Kiwi tag of the token's first morpheme (NNG, SN, VV...), usable by
  LexicalSyntacticFeaturizer's ``pos`` feature.
"""
from __future__ import annotations

import logging
import threading
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message

logger = logging.getLogger(__name__)

_KIWI_CACHE: Dict[Tuple[Optional[str], Optional[str], bool], Any] = {}
_KIWI_LOCK = threading.Lock()


def get_kiwi(model_path: Optional[str] = None, typos: Optional[str] = None,
             multi_dict: bool = False) -> Any:
    """One Kiwi instance per (model path, typo mode, multi-word dictionary) per process
    (loading takes ~1.5 s)."""
    key = (model_path, typos, multi_dict)
    with _KIWI_LOCK:
        if key not in _KIWI_CACHE:
            from kiwipiepy import Kiwi

            kwargs: Dict[str, Any] = {"load_multi_dict": multi_dict}
            if model_path:
                kwargs["model_path"] = model_path
            if typos:
                kwargs["typos"] = typos
            _KIWI_CACHE[key] = Kiwi(**kwargs)
        return _KIWI_CACHE[key]


def merge_morphemes(text: Text, morphemes: List[Tuple[str, str, int, int]]) -> List[Token]:
    """Tokens over ``text`` from Kiwi morphemes ``(form, tag, start, length)``.

    Morphemes whose spans overlap (share at least one character) become one token;
    zero-length morphemes join the token before them. The result is sorted, never
    overlaps and each token's text is ``text[start:end]``.
    """
    groups: List[List[Any]] = []  # [start, end, [forms], [tags]]
    for form, tag, start, length in sorted(morphemes, key=lambda m: (m[2], -m[3])):
        end = start + max(length, 0)
        if groups and (start < groups[-1][1] or length <= 0):
            group = groups[-1]
            group[1] = max(group[1], end)
            group[2].append(form)
            group[3].append(tag)
            continue
        groups.append([start, end, [form], [tag]])

    tokens: List[Token] = []
    for start, end, forms, tags in groups:
        surface = text[start:end]
        if not surface.strip():
            continue
        content = [f for f, t in zip(forms, tags) if not t.startswith("E")]
        lemma = "".join(content or forms)
        token = Token(surface, start, end, lemma=lemma)
        token.set("pos", tags[0])
        tokens.append(token)
    return tokens


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False
)
class KiwiTokenizer(Tokenizer):
    """Splits Korean text into Kiwi morpheme tokens aligned with the original text."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """Returns the component's default config."""
        return {
            # Split intent names into tokens (Rasa's standard tokenizer option)
            "intent_tokenization_flag": False,
            # Symbol on which intent names are split
            "intent_split_symbol": "_",
            # Optional regex applied to the tokens (Rasa's standard tokenizer option)
            "token_pattern": None,
            # Symbol on which a prefix is split (Rasa's standard tokenizer option)
            "prefix_separator_symbol": None,
            # Directory of a Kiwi model; None = the kiwipiepy-model package
            "model_path": None,
            # Kiwi typo correction: None (off), "basic" or "basic_with_continual"
            "typos": None,
            # Kiwi's multi-word proper-noun dictionary: 180 MB per process for 2 of our 5,250
            # training and test sentences tokenised differently (docs/PERFORMANCE.md)
            "load_multi_dict": False,
        }

    @staticmethod
    def supported_languages() -> Optional[List[Text]]:
        """Kiwi analyses Korean only."""
        return ["ko"]

    @staticmethod
    def required_packages() -> List[Text]:
        """Python packages this component imports."""
        return ["kiwipiepy"]

    def __init__(self, config: Dict[Text, Any]) -> None:
        super().__init__(config)
        self._kiwi = get_kiwi(config.get("model_path"), config.get("typos"),
                              bool(config.get("load_multi_dict", False)))

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> KiwiTokenizer:
        """Creates a new component (see parent class for full docstring)."""
        return cls(config)

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        """Kiwi morphemes of ``message[attribute]`` as non-overlapping tokens."""
        text = message.get(attribute) or ""
        if not text.strip():
            return []
        morphemes = [(t.form, t.tag, t.start, t.len) for t in self._kiwi.tokenize(text)]
        tokens = merge_morphemes(text, morphemes)
        if not tokens:  # e.g. only symbols Kiwi dropped: one token for the whole text
            stripped = text.strip()
            start = text.index(stripped)
            tokens = [Token(stripped, start, start + len(stripped), lemma=stripped)]
        return self._apply_token_pattern(tokens)
