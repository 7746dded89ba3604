"""Custom Rasa NLU components (one per file, registered with ``@DefaultV1Recipe.register``).

config.yml names them by module path, e.g. ``bot.nlu.kiwi_tokenizer.KiwiTokenizer``.
"""
