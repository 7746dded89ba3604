"""Stdlib-only Korean text helpers shared by the Rasa side (``bot/``) and the app.

- ``numbers``: money expressions → integer won, head counts → int, ordinals → int
- ``vocab``: closed vocabularies (meal times, urgency, portion, taste, companions,
  dietary restrictions) and the normalisers that map free text onto them
"""
