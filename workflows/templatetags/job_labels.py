"""``{{ job.kind|job_kind }}``: a background job's kind by its name (workflows/jobs/labels.py)."""

from __future__ import annotations

from django import template

from workflows.jobs.labels import kind_label

register = template.Library()


@register.filter
def job_kind(kind: str) -> str:
    return kind_label(kind)
