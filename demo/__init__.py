"""The demo campaign: 吕梁's rectification drive after the 2022 assessment, replayed.

``load_demo`` creates the city's leading-group office, its 13 counties, 18 work teams and city
departments with one demo person per role, and replays about ten weeks of letters (19
supervision letters and 21 assignment letters with ~950 problems, as in the real campaign of
seed 004) through the transition services, so every row, audit event and notification is one
the product itself would have written.

Modules: ``units`` (master data and people), ``themes`` (lines of work and their problems, held
by ``theme`` and the ``themes_*`` modules), ``phrases`` (what people write), ``plan`` (the campaign
on paper), ``history`` (the replay, with ``stories`` and ``storytelling``), ``evidence`` (tiny
files), ``loader`` (putting it together), ``accounts`` (the printed table).

This package is a Django app (``load_demo`` is its command), so it imports nothing here: Django
imports an app's package before the models are ready. Import from the modules, e.g.
``demo.loader.load_demo`` and ``demo.units.DEMO_PASSWORD``.
"""
