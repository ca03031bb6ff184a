"""Province-scale data (``manage.py load_scale``): a province office, its city offices, about 5,000
units over four levels and a million assignments with their reports and audit history, generated
straight into the tables in bulk, for benchmarks and for trying the pages at that size.

- ``names``: the province, cities and made-up place names;
- ``tree``: units, people and letter prefixes (ORM bulk_create: a few thousand rows);
- ``letters``: letters, their numbers (gap-free per prefix and year), addressees and items;
- ``timeline``: one task's life drawn at random: its steps, reports and state now;
- ``tasks``: letters one after another, tasks handed down (分解 / 转办) to the units below;
- ``rows``: a life written as rows (assignment, ancestors, reports, evidence, sign-offs, audit);
- ``sink``: buffered tables written with COPY (PostgreSQL) or multi-row INSERTs (SQLite);
- ``evidence``: the few stored files the evidence rows share;
- ``cycles``: closed and ranked cycles, by the engine's own cycle service;
- ``load``: all of it, and the summary.
"""
