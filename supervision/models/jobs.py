"""Background jobs a person asked for (后台任务): a long ledger as PDF or Excel, a notice PDF, a
large import, a batch export. The worker runs them; the page polls the row for progress and
offers the file when it is ready. The file is kept for a day and only its requester (or the
office) may fetch it."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class JobState(models.TextChoices):
    # With a context: "Running" and "Done" already name a stand-in's and a task's states.
    QUEUED = "queued", pgettext_lazy("job state", "Queued")
    RUNNING = "running", pgettext_lazy("job state", "Running")
    DONE = "done", pgettext_lazy("job state", "Done")
    FAILED = "failed", pgettext_lazy("job state", "Failed")
    EXPIRED = "expired", pgettext_lazy("job state", "Expired")


class Job(models.Model):
    uuid = models.UUIDField(_("job id"), default=uuid.uuid4, unique=True, editable=False)
    # What to run (notices/jobs.py lists the kinds) and with what: filters, ids, a stored upload.
    kind = models.CharField(_("kind"), max_length=30)
    params = models.JSONField(_("parameters"), default=dict)
    title = models.CharField(_("title"), max_length=200)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.CASCADE, related_name="+"
    )
    state = models.CharField(_("state"), max_length=10, choices=JobState.choices, default=JobState.QUEUED)
    rows_done = models.PositiveIntegerField(_("rows done"), default=0)
    rows_total = models.PositiveIntegerField(_("rows in all"), default=0)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # Private storage, served only through a view that checks who asks.
    file = models.FileField(_("file"), upload_to="jobs/%Y/%m/%d/", blank=True, max_length=300)
    filename = models.CharField(_("file name"), max_length=200, blank=True, default="")
    content_type = models.CharField(_("content type"), max_length=100, blank=True, default="")
    # What the job produced besides a file (an import's created items, its row errors).
    result = models.JSONField(_("result"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True, default="")
    created_at = models.DateTimeField(_("created at"))
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("kept until"), null=True, blank=True)

    class Meta:
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["requested_by", "-created_at"], name="job_requester_recent"),
            models.Index(fields=["state", "-created_at"], name="job_state_recent"),
            models.Index(fields=["expires_at"], name="job_expires"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def percent(self) -> int:
        if self.state == JobState.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, self.rows_done * 100 // self.rows_total)
