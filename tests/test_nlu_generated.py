"""The generated training sentences (data/nlu/generated_varied.yml) follow their patterns
(data/nlu_templates.yml), name dishes and places from the lexicon and the gazetteer, and never
repeat a held-out test sentence."""
from __future__ import annotations

import pytest
import yaml

from scripts import gen_nlu_varied


def test_the_generated_file_is_in_sync_with_the_patterns():
    assert gen_nlu_varied.main(["--check"]) == 0


def test_particles_follow_the_last_letter():
    assert gen_nlu_varied.particle("김치찜", "을") == "을"
    assert gen_nlu_varied.particle("피자", "을") == "를"
    assert gen_nlu_varied.particle("서울", "으로") == "로"
    assert gen_nlu_varied.particle("부산", "으로") == "으로"
    assert gen_nlu_varied.particle("KFC", "이") == "가"


def test_entities_are_annotated_and_split_from_their_particles():
    data = yaml.safe_load(gen_nlu_varied.OUTPUT.read_text(encoding="utf-8"))
    examples = {item["intent"]: item["examples"] for item in data["nlu"]}
    assert "](food_type)" in examples["food_request"]
    assert "](location)" in examples["location_inquiry"]
    assert gen_nlu_varied.aligned("[부산](location)에서 [돼지국밥](food_type) 먹을래")
    assert not gen_nlu_varied.aligned("[통영충무김밥](food_type)집 알려줘")


def test_no_held_out_sentence_is_generated():
    generated = gen_nlu_varied.existing_sentences([gen_nlu_varied.OUTPUT])
    held_out = gen_nlu_varied.existing_sentences(gen_nlu_varied.HELD_OUT.glob("*.yml"))
    assert generated and not generated & held_out


def test_places_come_from_the_fixed_list_and_each_is_in_the_gazetteer(tmp_path, monkeypatch):
    """New gazetteer rows do not reshuffle the generated sentences (data/places/template_places.txt
    header); a listed name the gazetteer does not know is refused with its line."""
    listed = gen_nlu_varied.places()
    assert listed[:3] == ["종로구", "종로", "중구"] and "서면" not in listed   # a metro row, not listed
    unknown = tmp_path / "template_places.txt"
    unknown.write_text("# header\n종로구\n아틀란티스\n", encoding="utf-8")
    monkeypatch.setattr(gen_nlu_varied, "TEMPLATE_PLACES", unknown)
    with pytest.raises(ValueError, match="line 3: '아틀란티스'"):
        gen_nlu_varied.places()
