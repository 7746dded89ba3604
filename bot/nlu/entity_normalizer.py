"""Entity normaliser: turns extracted entity text into the values the actions use.

Runs after DIET and EntitySynonymMapper. For each entity it sets ``value`` and keeps
the surface string in ``text``:

| entity | value |
|---|---|
| budget | integer won (``naviyam.shared.korean.numbers.parse_money``: 만 이천원 → 12000) |
| party_size | integer (``parse_head_count``: 세 명이서 → 3, 혼자 → 1) |
| option_number | integer (``parse_ordinal``: 두번째 거 → 2) |
| time_preference | one of 아침, 점심, 저녁, 야식, 지금 |
| urgency | high, normal or low |
| food_type | canonical name from the synonym table (data/nlu/synonyms.yml and the food lexicon's generated data/nlu/lookup_food.yml), particles stripped; a generic word (맛집, 식당, 가게: the lexicon's ``not_dishes``) is dropped |
| taste_preference | canonical taste (매운, 순한, 단, 담백한...) |
| companions | 혼자, 친구, 가족, 선생님, 연인 |
| dietary_restrictions | one entity per code (vegetarian, halal, no_pork, no_nuts...) |
| portion_size | large, normal, small |
| location | the gazetteer's canonical name (건대 → 건대입구, 강남역 근처 → 강남), else the place words without trailing particles (학교 앞) |

Entities whose number cannot be read (budget "5" with no unit) are dropped rather
than filling a slot with garbage; ``drop_unparsed`` switches that off.

Entities never carry personal data: an entity whose span overlaps a phone, card,
resident or other long number in the message (``naviyam.shared.personal_data``) is
dropped whatever its type, and so is a budget over 1,000,000원, a head count over 50
or either with 10+ digits. The message is then answered as if no amount had been given. The synonym
table and the food lookup are learnt from the training data at train time, and the
place gazetteer (``gazetteer_path``, data/places/gazetteer.csv) is read then; all are
persisted through ``ModelStorage``, so a model is self-contained.
"""
from __future__ import annotations

import json
import logging
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from naviyam.shared import food_lexicon
from naviyam.shared.korean import numbers, vocab
from naviyam.shared.personal_data import contains_personal_number, number_spans
from naviyam.shared.places import Gazetteer

logger = logging.getLogger(__name__)

FILENAME = "entity_normalizer.json"

# Plausible values: anything outside is no amount or head count (a phone or card number
# typed by a child, or a typo) and the entity is dropped, as if none had been given.
MAX_BUDGET_WON = 1_000_000
MAX_PARTY_SIZE = 50
MAX_NUMBER_DIGITS = 9  # 10+ digits in a budget or head count is never one


def carries_personal_data(entity: Dict[Text, Any], spans: List[tuple]) -> bool:
    """Whether the entity's span overlaps a personal number, or its value holds one."""
    start, end = entity.get("start"), entity.get("end")
    if isinstance(start, int) and isinstance(end, int):
        if any(start < s_end and s_start < end for s_start, s_end in spans):
            return True
    value = entity.get("value")
    return isinstance(value, str) and contains_personal_number(value)


def plausible_number(name: Text, value: Any, surface: Text) -> bool:
    """A budget up to 1,000,000원 or a head count up to 50, without 10+ digits."""
    digits = sum(1 for char in surface if char.isdigit())
    if digits > MAX_NUMBER_DIGITS or contains_personal_number(surface):
        return False
    if not isinstance(value, (int, float)):
        return True  # unread values are handled by drop_unparsed
    limit = MAX_BUDGET_WON if name == "budget" else MAX_PARTY_SIZE
    return 0 < value <= limit


def read_gazetteer_rows(path: Optional[Text]) -> List[Dict[Text, Text]]:
    """The place gazetteer's rows (data/places/gazetteer.csv), [] when none is configured or readable."""
    if not path:
        return []
    try:
        return Gazetteer.from_csv(path).to_rows()
    except (OSError, ValueError):
        logger.warning("KoreanEntityNormalizer: gazetteer %s unreadable; place names stay as typed", path)
        return []


def widen_number(text: Text, start: Any, surface: Text) -> Text:
    """Take in a numeral DIET left out: "팔|천원" → "팔천원", "이|만원" → "이만원".

    Only when the numeral starts a word ("예산이만원" keeps "만원": that 이 is a particle).
    """
    if not isinstance(start, int) or start <= 0 or not surface:
        return surface
    i = start
    while i > 0 and (text[i - 1] in numbers.SINO_DIGITS or text[i - 1].isdigit()):
        i -= 1
    if i == start:
        return surface
    if i > 0 and not (text[i - 1].isspace() or text[i - 1] in ",.!?~"):
        return surface
    return text[i:start] + surface


def canonical_food(value: Text, surface: Text, synonyms: Dict[Text, Text], foods: set,
                   foods_compact: Dict[Text, Text]) -> Text:
    """Canonical food name: synonym table first, then without trailing particles."""
    for candidate in (value, surface):
        key = vocab.compact(candidate)
        if key in synonyms:
            return synonyms[key]
        if candidate in foods:
            return candidate
        if key in foods_compact:          # "김치 찜" → 김치찜
            return foods_compact[key]
    stripped = vocab.strip_particles(surface or value)
    key = vocab.compact(stripped)
    if key in synonyms:
        return synonyms[key]
    # "치킨이" / "피자가": a known food followed by a one-letter particle
    for particle in ("이", "가", "도", "나"):
        if stripped.endswith(particle) and stripped[:-1] in foods:
            return stripped[:-1]
        if stripped.endswith(particle) and vocab.compact(stripped[:-1]) in synonyms:
            return synonyms[vocab.compact(stripped[:-1])]
    return value if value != surface else stripped


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True
)
class KoreanEntityNormalizer(GraphComponent):
    """Normalises Korean entity values (money, head counts, closed vocabularies)."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """Returns the component's default config."""
        return {
            # Drop number entities (budget, party_size, option_number) that cannot be parsed
            "drop_unparsed": True,
            # Entity whose values are canonicalised through the learnt synonym table
            "food_entity": "food_type",
            # Lookup table names whose elements count as canonical food values
            "food_lookup_tables": ["food_type"],
            # The food lexicon whose generic words (맛집, 식당...) are never a food_type
            "lexicon_path": str(food_lexicon.DEFAULT_PATH),
            # Place gazetteer read at train time (relative to the working directory); "" = none
            "gazetteer_path": "data/places/gazetteer.csv",
        }

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        synonyms: Optional[Dict[Text, Text]] = None,
        foods: Optional[List[Text]] = None,
        generic: Optional[List[Text]] = None,
        places: Optional[List[Dict[Text, Text]]] = None,
    ) -> None:
        self._config = {**self.get_default_config(), **(config or {})}
        self._model_storage = model_storage
        self._resource = resource
        self.synonyms: Dict[Text, Text] = dict(synonyms or {})
        self.foods = set(foods or [])
        self.foods_compact = {vocab.compact(f): f for f in self.foods}
        self.generic = set(generic or [])
        self.place_rows: List[Dict[Text, Text]] = list(places or [])
        self.gazetteer = Gazetteer.from_rows(self.place_rows)

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> KoreanEntityNormalizer:
        """Creates a new, untrained component."""
        return cls(config, model_storage, resource)

    # ------------------------------------------------------------------ training

    def train(self, training_data: TrainingData) -> Resource:
        """Learns the synonym table and canonical food names; persists them."""
        synonyms: Dict[Text, Text] = {}
        for key, value in training_data.entity_synonyms.items():
            synonyms[vocab.compact(key)] = str(value)
        foods = set(synonyms.values())
        for table in training_data.lookup_tables:
            if table.get("name") in self._config["food_lookup_tables"]:
                elements = table.get("elements") or []
                if isinstance(elements, list):
                    foods.update(str(e) for e in elements)
        for example in training_data.entity_examples:
            for entity in example.get(ENTITIES, []):
                if entity.get("entity") == self._config["food_entity"]:
                    foods.add(str(entity.get("value")))
        try:
            generic = sorted(food_lexicon.read(self._config["lexicon_path"]).not_dishes)
        except FileNotFoundError:
            generic = []
        self.synonyms = synonyms
        self.foods = foods
        self.foods_compact = {vocab.compact(f): f for f in foods}
        self.generic = set(generic)
        self.place_rows = read_gazetteer_rows(self._config.get("gazetteer_path"))
        self.gazetteer = Gazetteer.from_rows(self.place_rows)
        with self._model_storage.write_to(self._resource) as directory:
            (directory / FILENAME).write_text(
                json.dumps({"synonyms": synonyms, "foods": sorted(foods), "generic": generic,
                            "places": self.place_rows},
                           ensure_ascii=False),
                encoding="utf-8",
            )
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> KoreanEntityNormalizer:
        """Loads the persisted synonym table (an empty one if none was trained)."""
        synonyms: Dict[Text, Text] = {}
        foods: List[Text] = []
        generic: List[Text] = []
        places: List[Dict[Text, Text]] = []
        try:
            with model_storage.read_from(resource) as directory:
                data = json.loads((directory / FILENAME).read_text(encoding="utf-8"))
                synonyms, foods = data.get("synonyms", {}), data.get("foods", [])
                generic = data.get("generic", [])
                places = data.get("places", [])
        except (ValueError, FileNotFoundError):
            logger.warning("KoreanEntityNormalizer: no persisted synonyms; using none.")
        return cls(config, model_storage, resource, synonyms, foods, generic, places)

    # ------------------------------------------------------------------ inference

    def process(self, messages: List[Message]) -> List[Message]:
        """Normalises every entity of each message in place."""
        for message in messages:
            text = message.get(TEXT) or ""
            personal = [(span.start, span.end) for span in number_spans(text)]
            normalised: List[Dict[Text, Any]] = []
            for entity in message.get(ENTITIES, []) or []:
                if carries_personal_data(entity, personal):
                    logger.debug("Dropping a %s entity over a personal number", entity.get("entity"))
                    continue
                normalised.extend(self.normalise_entity(entity, text))
            message.set(ENTITIES, normalised, add_to_output=True)
        return messages

    def normalise_entity(self, entity: Dict[Text, Any], text: Text) -> List[Dict[Text, Any]]:
        """The entity with a normalised value (zero, one or several entities)."""
        name = entity.get("entity")
        start, end = entity.get("start"), entity.get("end")
        surface = text[start:end] if isinstance(start, int) and isinstance(end, int) else ""
        surface = surface or str(entity.get("value", ""))
        raw = str(entity.get("value", surface))
        result = dict(entity)
        result["text"] = surface
        value: Any

        if name == "budget":
            surface = widen_number(text, start, surface)
            result["text"] = surface
            value = numbers.parse_money(surface) or numbers.parse_money(raw)
        elif name == "party_size":
            value = numbers.parse_head_count(surface) or numbers.parse_head_count(raw)
        elif name == "option_number":
            value = numbers.parse_ordinal(surface) or numbers.parse_ordinal(raw)
        elif name == "time_preference":
            value = vocab.normalize_time(raw) or vocab.normalize_time(surface)
        elif name == "urgency":
            value = vocab.normalize_urgency(surface)
        elif name == self._config["food_entity"]:
            if {vocab.compact(surface or raw), vocab.compact(vocab.strip_particles(surface or raw))} & self.generic:
                logger.debug("Dropping a generic food word %r: no particular food", surface)
                return []
            value = self.canonical_food(raw, surface)
        elif name == "taste_preference":
            value = vocab.normalize_taste(surface) or vocab.strip_particles(raw)
        elif name == "companions":
            value = vocab.normalize_companions(surface) or vocab.strip_particles(raw)
        elif name == "portion_size":
            value = vocab.normalize_portion(surface) or "normal"
        elif name == "location":
            place = self.gazetteer.resolve(raw) or self.gazetteer.resolve(surface)
            value = place.name if place is not None else vocab.normalize_location(raw)
        elif name == "dietary_restrictions":
            codes = vocab.normalize_dietary(surface) or vocab.normalize_dietary(raw)
            if not codes:
                return [self._mark(result, vocab.strip_particles(raw))]
            return [self._mark(dict(result), code) for code in codes]
        else:
            return [entity]

        if name in ("budget", "party_size") and not plausible_number(name, value, surface):
            logger.debug("Dropping an implausible %s entity", name)
            return []
        if value is None or value == "":
            if name in ("budget", "party_size", "option_number", "time_preference") \
                    and self._config["drop_unparsed"]:
                logger.debug("Dropping %s entity %r: no value could be read", name, surface)
                return []
            return [entity]
        return [self._mark(result, value)]

    def canonical_food(self, value: Text, surface: Text) -> Text:
        """Canonical food name (:func:`canonical_food`) from this model's tables."""
        return canonical_food(value, surface, self.synonyms, self.foods, self.foods_compact)

    def _mark(self, entity: Dict[Text, Any], value: Any) -> Dict[Text, Any]:
        entity["value"] = value
        processors = list(entity.get("processors") or [])
        if self.__class__.__name__ not in processors:
            processors.append(self.__class__.__name__)
        entity["processors"] = processors
        return entity
