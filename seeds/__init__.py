"""Bundled data shipped in the package: sample articles (`articles/`), lexicons and gazetteer CSVs.

Importable as `newsfacts.seeds` so that `importlib.resources` finds it both in a checkout and in an
installed wheel; see `README.md` in this folder for provenance and licences.
"""
