"""Labelled PII data written apart from the detector, and the metric that scores it.

``generate`` makes multi-locale synthetic records with Faker and templates
written fresh for this benchmark; ``corpora`` loads a human-annotated public
corpus from an installed package; ``metrics`` scores detected spans against
gold spans. Nothing here imports or reads the detector's code.
"""
