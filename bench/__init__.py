"""``make bench``: side-by-side performance of the generated adapters (see ``bench/run.py``).

Everything runs on 127.0.0.1 with bounded durations; nothing here is imported by the tests.
"""
