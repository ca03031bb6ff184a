"""The reads of the domain, one module per subject. Pages, documents, commands and services
read through these; nothing here writes.

- ``visibility``: who may see which letters, items, assignments, evidence and attachments (the
  unit rules, as SQL conditions), and a user's inbox.
- ``queues``: what waits on whom (to claim, to sign, to verify, to write off, extensions).
- ``search``: the assignment lists' filters, traffic light and keyset pages.
- ``overview``, ``dashboard``, ``standing``: the landing pages' and the office dashboard's figures.
- ``rankings``: cycles, rankings, escalation lists and notices, with who may see what.
- ``notices``: where a user may draft a cycle's notice.
- ``shares``: who a letter was shared with, and who reads it anyway.
- ``reports``: where an assignment's reporting stands in the current cycle.

The steps a user may take on an object are the step table's (``services.steps.allowed``).
"""
