"""One assignment from issue to write-off, as the office and a unit would do it."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from supervision import services
from supervision.models import Assignment, AuditEvent, Letter, LetterState, Notification


def test_whole_loop_closes_assignment_and_letter(world):
    from tests.conftest import issue_letter

    letter = issue_letter(world, items=1, units=[world.unit_a])
    assert letter.number == f"测巩办督〔{letter.issued_at.astimezone().year}〕1号"
    a = Assignment.objects.get(letter=letter)
    services.assignment_claim(actor=world.liaison_a, assignment=a, responsible_person="张三")
    services.assignment_report_progress(
        actor=world.liaison_a,
        assignment=a,
        text="已完成一半",
        files=[SimpleUploadedFile("照片.pdf", b"%PDF-1.4 x", "application/pdf")],
    )
    services.assignment_submit_completion(actor=world.liaison_a, assignment=a, text="已全部完成")
    services.assignment_approve_completion(actor=world.leader_a, assignment=a)
    services.assignment_verify(actor=world.inspector, assignment=a)
    services.assignment_close(actor=world.director, assignment=a)
    a = Assignment.objects.get(pk=a.pk)
    assert a.state == "closed"
    assert Letter.objects.get(pk=letter.pk).state == LetterState.CLOSED
    actions = list(AuditEvent.objects.filter(assignment=a).values_list("action", flat=True))
    assert actions == [
        "assignment.issued",
        "assignment.claimed",
        "assignment.reported",
        "assignment.completion_submitted",
        "assignment.completion_signed",
        "assignment.verified",
        "assignment.closed",
    ]
    assert Notification.objects.filter(recipient=world.leader_a, verb="signoff_needed").exists()
