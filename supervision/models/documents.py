"""Documents as they went out: the PDF of an issued letter or a published notice, kept whole.

A letter is rendered once when it is issued and a notice once when it is published; the file is
stored with its SHA-256, which the audit row of that step records too, and every later download
serves the stored file. What the units received can so be proved later
(``manage.py verify_documents`` recomputes every hash). A document issued again or corrected is
a new version; the earlier versions stay.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from supervision import clock


class DocumentReason(models.TextChoices):
    ISSUED = "issued", _("Issued")
    PUBLISHED = "published", _("Published")
    REISSUED = "reissued", _("Issued again")
    CORRECTED = "corrected", _("Corrected")


def _document_path(document: IssuedDocument, filename: str) -> str:
    # Private storage, never under a public URL: downloads go through the views' checks.
    owner = f"letters/{document.letter_id}" if document.letter_id else f"notices/{document.notice_id}"
    return f"issued/{owner}/v{document.version}-{document.sha256[:16]}.pdf"


class IssuedDocument(models.Model):
    letter = models.ForeignKey(
        "supervision.Letter",
        verbose_name=_("letter"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="issued_documents",
    )
    notice = models.ForeignKey(
        "supervision.Notice",
        verbose_name=_("notice"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="issued_documents",
    )
    version = models.PositiveIntegerField(_("version"))
    reason = models.CharField(_("reason"), max_length=20, choices=DocumentReason.choices)
    file = models.FileField(_("file"), upload_to=_document_path, max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveBigIntegerField(_("size"))
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("issued document")
        verbose_name_plural = _("issued documents")
        ordering = ["letter", "notice", "version"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(letter__isnull=False, notice__isnull=True)
                | models.Q(letter__isnull=True, notice__isnull=False),
                name="issueddocument_one_owner",
            ),
            models.UniqueConstraint(
                fields=["letter", "version"], condition=models.Q(letter__isnull=False), name="issueddocument_letter_v"
            ),
            models.UniqueConstraint(
                fields=["notice", "version"], condition=models.Q(notice__isnull=False), name="issueddocument_notice_v"
            ),
        ]

    def __str__(self) -> str:
        owner = self.letter if self.letter_id else self.notice
        return f"{owner} v{self.version}"
