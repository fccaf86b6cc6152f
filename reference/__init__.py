"""Loaders for reference data (seeds CSVs, built gazetteer): the I/O edge that feeds transforms."""
