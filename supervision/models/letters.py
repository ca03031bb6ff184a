"""Letters (督办函 / 交办函 / 催办函) and the rectification items they carry."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from viewflow.fsm.fields import FSMField

from supervision import clock

from .units import LetterKind, LetterPrefix, Unit


class LetterState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    # 送签: sent to a named director, who signs it or returns it to the drafter (退回修改).
    # Still a draft on paper: nobody may change it meanwhile, and its PDF says 草稿.
    PENDING_SIGNATURE = "pending_signature", _("Awaiting signature")
    SIGNED = "signed", _("Signed")
    ISSUED = "issued", _("Issued")
    CLOSED = "closed", _("Closed")
    # Issued by mistake and taken back before any unit claimed an item; keeps its number.
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Letter(models.Model):
    kind = models.CharField(_("kind"), max_length=20, choices=LetterKind.choices, db_index=True)
    office = models.ForeignKey(
        Unit, verbose_name=_("issuing office"), on_delete=models.PROTECT, related_name="letters_issued"
    )
    prefix = models.ForeignKey(
        LetterPrefix, verbose_name=_("number prefix"), on_delete=models.PROTECT, related_name="letters"
    )
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    serial = models.PositiveIntegerField(_("serial"), null=True, blank=True)
    number = models.CharField(_("letter number"), max_length=60, null=True, blank=True, unique=True)
    title = models.CharField(_("title"), max_length=200)
    # Where the drafter broke the title on the printed letter, one line per line; the lines
    # joined are the title. Empty: the title is broken between words automatically (GB/T 9704
    # 7.3.1), which is what almost every letter wants.
    title_lines = models.TextField(_("title line breaks"), blank=True)
    body = models.TextField(_("body"), blank=True)
    deadline = models.DateField(_("reply deadline"), null=True, blank=True)
    addressees = models.ManyToManyField(
        Unit, verbose_name=_("addressed units"), related_name="letters_addressed", blank=True
    )
    cc_units = models.ManyToManyField(Unit, verbose_name=_("copied units"), related_name="letters_copied", blank=True)
    # A reminder letter chases the overdue items of an earlier letter.
    parent = models.ForeignKey(
        "self",
        verbose_name=_("chased letter"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reminders",
    )
    state = FSMField(
        _("state"), max_length=20, choices=LetterState.choices, default=LetterState.DRAFT, protected=True, db_index=True
    )
    drafter = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("drafter"), on_delete=models.PROTECT, related_name="letters_drafted"
    )
    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="letters_signed",
    )
    # While awaiting signature: the director it was sent to (送签), who alone signs or returns it.
    routed_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent for signature to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="letters_routed",
    )
    sign_comment = models.TextField(_("signing comment"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    sent_at = models.DateTimeField(_("sent for signature at"), null=True, blank=True)
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True, db_index=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("letter")
        verbose_name_plural = _("letters")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["prefix", "year", "serial"], name="letter_number_unique"),
        ]
        indexes = [models.Index(fields=["state", "kind"], name="letter_state_kind")]

    def __str__(self) -> str:
        return f"{self.number} {self.title}" if self.number else self.title

    # --- transitions: the services call these under a row lock, after checking roles ----------
    @state.transition(source=LetterState.DRAFT, target=LetterState.PENDING_SIGNATURE)
    def send(self) -> None:
        """送签: to the director named in routed_to."""

    @state.transition(source=LetterState.PENDING_SIGNATURE, target=LetterState.DRAFT)
    def send_back(self) -> None:
        """退回修改: the director returns it to the drafter, with a reason."""

    # From a draft too: a director may sign a draft put in front of them (当面签发).
    @state.transition(source=[LetterState.DRAFT, LetterState.PENDING_SIGNATURE], target=LetterState.SIGNED)
    def sign(self) -> None:
        """签发"""

    @state.transition(source=LetterState.SIGNED, target=LetterState.ISSUED)
    def issue(self) -> None:
        """印发"""

    @state.transition(source=LetterState.ISSUED, target=LetterState.WITHDRAWN)
    def withdraw(self) -> None:
        """撤回: only before any unit claimed or returned an item (the service checks)."""

    @state.transition(source=LetterState.ISSUED, target=LetterState.CLOSED)
    def close(self) -> None:
        """办结: every assignment closed."""

    @state.transition(source=LetterState.CLOSED, target=LetterState.ISSUED)
    def reopen(self) -> None:
        """An assignment of a closed letter was reopened (回头看)."""


class ItemCategory(models.TextChoices):
    COMMON = "common", _("Common problem")  # 共性问题: national/provincial feedback
    SPECIFIC = "specific", _("Specific problem")  # 个性问题: self-found


class ItemSource(models.TextChoices):
    NATIONAL = "national", _("National feedback")
    PROVINCIAL = "provincial", _("Provincial feedback")
    SELF_INSPECTION = "self_inspection", _("Self-inspection")
    UNANNOUNCED_VISIT = "unannounced_visit", _("Unannounced visit")
    SUPERVISION = "supervision", _("Supervision finding")
    OTHER = "other", _("Other")


class DeadlineKind(models.TextChoices):
    BY_DATE = "by_date", _("Done by the date")
    PHASE_THEN_ONGOING = "phase_then_ongoing", _("Phase result by the date, then ongoing")
    # 立行立改: to be fixed at once. The date is when "at once" is checked (the importer sets it
    # a short while after the import and says so in its preview).
    IMMEDIATE = "immediate", _("At once")


class Item(models.Model):
    letter = models.ForeignKey(Letter, verbose_name=_("letter"), on_delete=models.CASCADE, related_name="items")
    seq = models.PositiveIntegerField(_("number"))
    category = models.CharField(_("category"), max_length=20, choices=ItemCategory.choices, db_index=True)
    source = models.CharField(_("source"), max_length=30, choices=ItemSource.choices, db_index=True)
    site = models.CharField(_("site"), max_length=120, blank=True, db_index=True)
    description = models.TextField(_("problem description"))
    measures = models.TextField(_("rectification measures"), blank=True)
    deadline = models.DateField(_("deadline"))
    deadline_kind = models.CharField(
        _("deadline kind"), max_length=30, choices=DeadlineKind.choices, default=DeadlineKind.BY_DATE
    )
    units = models.ManyToManyField(Unit, through="ItemUnit", verbose_name=_("responsible units"), related_name="items")
    # One problem (问题) often has several measures (整改措施), each with its own units and
    # deadline: each measure is its own item, and the items of one problem share this number
    # (the ledger's "问题一", "问题二"…), so documents can print the problem once over its measures.
    # Null for an item that stands alone.
    problem_no = models.PositiveIntegerField(_("problem number"), null=True, blank=True)
    # On a reminder letter (催办函): the overdue item this item chases; its lead units are the
    # units late on it. Issuing the reminder creates no new assignment: each unit goes on with the
    # one it has (services.letter_issue chases it).
    chased_item = models.ForeignKey(
        "self",
        verbose_name=_("chased item"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reminder_items",
    )
    # Set when the letter is issued with a cooperating unit's task of this item (services/
    # letter_issue.py; items no longer change once signed), never unset: a lead task of an item
    # without it has no cooperating task to lock and carry along (services/cooperation.py).
    has_cooperating = models.BooleanField(_("has cooperating units"), default=False, db_default=False)

    class Meta:
        verbose_name = _("item")
        verbose_name_plural = _("items")
        ordering = ["letter", "seq"]
        constraints = [models.UniqueConstraint(fields=["letter", "seq"], name="item_letter_seq")]

    def __str__(self) -> str:
        return f"{self.seq}. {self.description[:40]}"

    @property
    def deadline_text(self) -> str:
        """The deadline as offices write it: "2023年8月15日前" or "…前取得阶段性成效并长期坚持"."""
        # The whole phrase is one message: word order differs between Chinese and English.
        date = date_format(self.deadline, "DATE_FORMAT")
        if self.deadline_kind == DeadlineKind.PHASE_THEN_ONGOING:
            return str(_("phase results by %(date)s, then ongoing")) % {"date": date}
        if self.deadline_kind == DeadlineKind.IMMEDIATE:
            return str(_("at once (by %(date)s)")) % {"date": date}
        return str(_("by %(date)s")) % {"date": date}


class UnitRole(models.TextChoices):
    LEAD = "lead", _("Lead")
    COOPERATING = "cooperating", _("Cooperating")


class ItemUnit(models.Model):
    """A unit named on an item of a draft: one lead, any number cooperating.

    An item with no units named goes to every addressed unit as lead (a common problem that
    each county fixes on its own ground).
    """

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="item_units")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="item_units")
    role = models.CharField(_("role"), max_length=20, choices=UnitRole.choices)

    class Meta:
        verbose_name = _("responsible unit of an item")
        verbose_name_plural = _("responsible units of items")
        constraints = [models.UniqueConstraint(fields=["item", "unit"], name="itemunit_unique")]

    def __str__(self) -> str:
        return f"{self.unit_id} ({self.role})"


def _attachment_path(instance: LetterAttachment, filename: str) -> str:
    # Content-addressed like evidence: the user's file name stays in the database only.
    return f"letters/{instance.sha256[:2]}/{instance.sha256}"


class LetterAttachment(models.Model):
    """A file sent with a letter (附件: a problem list, a work plan). Added while drafting;
    fixed once the letter is signed."""

    letter = models.ForeignKey(Letter, verbose_name=_("letter"), on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to=_attachment_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=120)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("checksum"), max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"), default=clock.now)

    class Meta:
        verbose_name = _("letter attachment")
        verbose_name_plural = _("letter attachments")
        ordering = ["letter", "id"]

    def __str__(self) -> str:
        return self.original_name
