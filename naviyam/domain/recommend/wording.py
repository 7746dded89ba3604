"""Korean particles that depend on the last syllable (치킨은 / 떡볶이는), for reply templates."""
from __future__ import annotations

_PAIRS = {"은": ("은", "는"), "는": ("은", "는"), "이": ("이", "가"), "가": ("이", "가"),
          "을": ("을", "를"), "를": ("을", "를"), "과": ("과", "와"), "와": ("과", "와")}


def has_final_consonant(word: str) -> bool:
    """True when the last Hangul syllable has a final consonant (받침); False for other text."""
    for ch in reversed(word.strip()):
        code = ord(ch) - 0xAC00
        if 0 <= code < 11172:
            return code % 28 != 0
        if ch.isalnum():
            return False
    return False


def with_particle(word: str, particle: str) -> str:
    """``with_particle("치킨", "는")`` → 치킨은; ``with_particle("떡볶이", "은")`` → 떡볶이는."""
    pair = _PAIRS.get(particle)
    if pair is None:
        return word + particle
    return word + (pair[0] if has_final_consonant(word) else pair[1])


def food_values(word: str) -> dict[str, str]:
    """Template values for a food word: {food}, {food_topic}, {food_subject}, {food_object}."""
    return {"food": word, "food_topic": with_particle(word, "는"), "food_subject": with_particle(word, "가"),
            "food_object": with_particle(word, "를")}
