"""The office's letter pages: list, draft editor (items, units, attachments), signing, issuing
and withdrawing. Writes go through supervision.services only."""
