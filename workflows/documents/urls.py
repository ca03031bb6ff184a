"""Document downloads and the problem-list import; the project includes these under /documents/.

The namespace stays ``notices``: the templates and links name these pages ``notices:…``."""

from __future__ import annotations

from django.urls import path

from . import imports, progress, task_sheet, views

app_name = "notices"

urlpatterns = [
    path("letters/<int:pk>/pdf/", views.letter_pdf, name="letter_pdf"),
    path("letters/<int:pk>/import/", imports.letter_import, name="letter_import"),
    path("letters/<int:pk>/import/preview/", imports.letter_import_preview_page, name="letter_import_preview"),
    path("letters/<int:pk>/import/sheet/", imports.letter_import_sheet, name="letter_import_sheet"),
    path("letters/<int:pk>/import/confirm/", imports.letter_import_confirm, name="letter_import_confirm"),
    path("imports/<str:token>/", imports.import_status, name="import_status"),
    path("imports/preview/<uuid:job_id>/", imports.import_job_preview, name="import_job_preview"),
    path("notices/<int:pk>/pdf/", views.notice_pdf, name="notice_pdf"),
    path("ledger/", views.ledger_page, name="ledger_page"),
    path("ledger.xlsx", views.ledger_xlsx, name="ledger_xlsx"),
    path("ledger.pdf", views.ledger_pdf, name="ledger_pdf"),
    path("import-template.xlsx", imports.import_template, name="import_template"),
    path("progress/", progress.progress_page, name="progress_page"),
    path("progress.xlsx", progress.progress_xlsx, name="progress_xlsx"),
    path("tasks/<int:pk>/sheet.pdf", task_sheet.task_sheet, name="task_sheet"),
]
