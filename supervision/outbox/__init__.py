"""The outbox's worker side: what an event says (payload), where it goes (expansion), how it is
sent (senders), when (quiet hours, digests) and the office's actions on it (services)."""
