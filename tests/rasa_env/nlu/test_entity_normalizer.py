"""KoreanEntityNormalizer: entity text → the values the actions use; model round trip."""
from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.entity_normalizer import KoreanEntityNormalizer

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def normalizer(tmp_path_factory) -> KoreanEntityNormalizer:
    storage = LocalModelStorage(tmp_path_factory.mktemp("storage"))
    resource = Resource("normalizer")
    context = ExecutionContext(GraphSchema({}), "test")
    config = KoreanEntityNormalizer.get_default_config()
    trained = KoreanEntityNormalizer.create(config, storage, resource, context)
    trained.train(load_data(str(ROOT / "data" / "nlu")))
    # what a served model does: load the persisted synonym table
    return KoreanEntityNormalizer.load(config, storage, resource, context)


def run(normalizer, text, entity, surface=None, value=None):
    surface = surface or text
    start = text.index(surface)
    message = Message(data={TEXT: text, ENTITIES: [{
        "entity": entity, "start": start, "end": start + len(surface),
        "value": value if value is not None else surface, "extractor": "DIETClassifier"}]})
    normalizer.process([message])
    return message.get(ENTITIES)


@pytest.mark.parametrize(("text", "surface", "won"), [
    ("5천원으로 뭐 먹지", "5천원", 5000), ("만 이천원으로", "만 이천원", 12000),
    ("1.5만원 안에서", "1.5만원", 15000), ("오천원밖에 없어", "오천원", 5000),
    ("7,000원 이하", "7,000원", 7000), ("만오천원", "만오천원", 15000),
])
def test_budget_becomes_integer_won_and_keeps_its_text(normalizer, text, surface, won):
    [entity] = run(normalizer, text, "budget", surface)
    assert entity["value"] == won and isinstance(entity["value"], int)
    assert entity["text"] == surface
    assert "KoreanEntityNormalizer" in entity["processors"]


@pytest.mark.parametrize(("surface", "count"), [("10명", 10), ("다섯 명", 5), ("세 명", 3),
                                                ("열두 명", 12), ("둘이서", 2), ("혼자", 1)])
def test_party_size_becomes_integer(normalizer, surface, count):
    [entity] = run(normalizer, surface + " 먹을 곳", "party_size", surface)
    assert entity["value"] == count


@pytest.mark.parametrize(("surface", "canonical"), [
    ("떡뽁이", "떡볶이"), ("통닭", "치킨"), ("중국집", "중식"), ("짜장", "짜장면"),
    ("분식집", "분식"), ("치킨이", "치킨"), ("떡볶이", "떡볶이"), ("돈가스", "돈까스"),
    ("피자를", "피자"),
])
def test_food_names_are_canonical(normalizer, surface, canonical):
    [entity] = run(normalizer, surface + " 먹고 싶어", "food_type", surface)
    assert entity["value"] == canonical


@pytest.mark.parametrize(("surface", "value"), [("점심시간", "점심"), ("밤", "야식"),
                                                ("지금", "지금"), ("저녁", "저녁"),
                                                ("아침 일찍", "아침")])
def test_time_preference_is_a_closed_set(normalizer, surface, value):
    [entity] = run(normalizer, surface + "에 먹을 거", "time_preference", surface)
    assert entity["value"] == value


@pytest.mark.parametrize(("surface", "value"), [("지금 당장", "high"), ("급해", "high"),
                                                ("빨리", "high"), ("천천히", "low")])
def test_urgency(normalizer, surface, value):
    [entity] = run(normalizer, surface + " 먹을 거", "urgency", surface)
    assert entity["value"] == value


def test_other_vocabularies(normalizer):
    assert run(normalizer, "매운거 빼고", "taste_preference")[0]["value"] == "순한"
    assert run(normalizer, "양 많은 걸로", "portion_size", "양 많은")[0]["value"] == "large"
    assert run(normalizer, "친구들이랑", "companions", "친구들")[0]["value"] == "친구"
    assert run(normalizer, "학교 앞에서", "location")[0]["value"] == "학교 앞"
    codes = [e["value"] for e in run(normalizer, "땅콩이랑 새우 알레르기", "dietary_restrictions")]
    assert codes == ["no_shellfish", "no_nuts"] or set(codes) == {"no_nuts", "no_shellfish"}


def test_unreadable_numbers_are_dropped_not_guessed(normalizer):
    assert run(normalizer, "5 정도", "budget", "5") == []
    assert run(normalizer, "몇 명", "party_size", "몇") == []


def test_option_numbers(normalizer):
    assert run(normalizer, "두번째 거", "option_number", "두번째")[0]["value"] == 2
    assert run(normalizer, "1번으로", "option_number", "1번")[0]["value"] == 1


@pytest.mark.parametrize(("text", "surface", "won"), [
    ("예산이 팔천원이야", "천원", 8000),      # DIET tagged only 천원: the numeral before it counts
    ("이만원으로 뭐 먹어", "만원", 20000),
    ("예산이만원", "만원", 10000),            # 이 after 예산 is a particle
])
def test_budget_takes_in_a_numeral_left_out_of_the_span(normalizer, text, surface, won):
    [entity] = run(normalizer, text, "budget", surface)
    assert entity["value"] == won


@pytest.mark.parametrize(("text", "surface", "entity"), [
    ("010-1234-5678원", "010-1234-5678원", "budget"),           # a phone number read as money
    ("4111111111111111원으로", "4111111111111111원", "budget"),  # a card number as a budget
    ("1234567890원", "1234567890원", "budget"),                 # 10 digits
    ("200만원으로", "200만원", "budget"),                        # over 1,000,000원
    ("공일공 일이삼사 오육칠팔 명", "공일공 일이삼사 오육칠팔 명", "party_size"),
    ("999명", "999명", "party_size"),
    ("０１０．１２３４．５６７８", "０１０．１２３４．５６７８", "location"),  # any entity over a phone
])
def test_implausible_numbers_and_personal_data_are_dropped(normalizer, text, surface, entity):
    assert run(normalizer, text, entity, surface) == []


@pytest.mark.parametrize(("text", "surface", "entity", "value"), [
    ("100만원 이하", "100만원", "budget", 1_000_000), ("4500원", "4500원", "budget", 4500),
    ("만 이천원으로", "만 이천원", "budget", 12000), ("30명", "30명", "party_size", 30),
])
def test_plausible_amounts_and_counts_still_work(normalizer, text, surface, entity, value):
    [result] = run(normalizer, text, entity, surface)
    assert result["value"] == value


@pytest.mark.parametrize("text", ["010.1234.5678", "1.2.3", "1..2원", "９９９９９９９９９９９９원", "억" * 40 + "원"])
def test_odd_numbers_never_raise(normalizer, text):
    run(normalizer, text, "budget", text)
    run(normalizer, text, "party_size", text)
    run(normalizer, text, "option_number", text)


@pytest.mark.parametrize("surface,canonical", [
    ("건대", "건대입구"), ("홍대", "홍대입구"), ("강남역", "강남"), ("수원", "수원시"), ("망원동", "망원동"),
])
def test_place_names_resolve_through_the_gazetteer_kept_in_the_model(normalizer, surface, canonical):
    """The gazetteer is read at train time and loaded back from the model storage."""
    assert run(normalizer, surface, "location")[0]["value"] == canonical
