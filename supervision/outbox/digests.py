"""Daily digests: one e-mail a day per person who chose it, with everything since the last one.

A person with ``MessagePreference.digest`` gets their e-mail deliveries as DIGEST, due at their
next morning (the end of their quiet hours, on a workday when rest days are quiet). When tick
finds such deliveries due, it folds each person's into one digest:

- a ``digest`` OutboxEvent (not in the integration catalog; the API's feed leaves it out),
  already expanded, addressed to that person only;
- its one e-mail Delivery, PENDING now, which the worker sends like any other (retries, failure
  and the office's retry included);
- each folded delivery becomes DIGESTED and points at that delivery (``Delivery.digest``), so
  the monitor shows which e-mail carried it.

Idempotent: a folded delivery is no longer DIGEST, so a second tick at the same moment finds none.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db import connection, transaction
from django.utils.translation import ngettext

from supervision.models import ChannelKind, Delivery, DeliveryStatus, OutboxEvent

from .write import DIGEST, dispatch_soon

# People folded per transaction.
DIGEST_BATCH = 200


def digests_fold(*, now: dt.datetime) -> int:
    """Fold every person's due DIGEST deliveries into one digest e-mail each. Returns how many
    digests were made."""
    made = 0
    while True:
        with transaction.atomic():
            due = Delivery.objects.filter(status=DeliveryStatus.DIGEST, due_at__lte=now).order_by("user_id", "id")
            if connection.vendor == "postgresql":
                due = due.select_for_update(skip_locked=True)
            rows = list(due.values_list("pk", "user_id")[: DIGEST_BATCH * 20])
            if not rows:
                return made
            by_user: dict[int, list[int]] = defaultdict(list)
            for pk, user_id in rows:
                by_user[user_id].append(pk)
            people = sorted(by_user)[:DIGEST_BATCH]
            digests = [
                OutboxEvent(
                    name=DIGEST,
                    verb=DIGEST,
                    text=ngettext("%(n)d message", "%(n)d messages", len(by_user[u])) % {"n": len(by_user[u])},
                    recipient_ids=[u],
                    payload={"deliveries": len(by_user[u])},
                    created_at=now,
                    expanded_at=now,
                )
                for u in people
            ]
            OutboxEvent.objects.bulk_create(digests)
            letters = [
                Delivery(
                    event=e,
                    kind=ChannelKind.EMAIL,
                    user_id=u,
                    status=DeliveryStatus.PENDING,
                    due_at=now,
                    created_at=now,
                )
                for e, u in zip(digests, people, strict=True)
            ]
            Delivery.objects.bulk_create(letters)
            for letter, u in zip(letters, people, strict=True):
                folded = by_user[u]
                for i in range(0, len(folded), 900):  # SQLite's bound-parameter limit
                    Delivery.objects.filter(pk__in=folded[i : i + 900]).update(
                        status=DeliveryStatus.DIGESTED, digest=letter
                    )
            made += len(people)
            dispatch_soon()
