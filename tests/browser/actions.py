"""What a person does on the task pages in the browser tests: press an action's button (filling
its form), wait for the success message, keep a screenshot."""

from __future__ import annotations

from pathlib import Path

SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "browser"


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def clear(page) -> None:
    # Pages are swapped in place (Turbo): drop the last message so the next wait sees the new one.
    page.evaluate("document.querySelectorAll('.sv-msg').forEach(e => e.remove())")


def ok(page, text: str) -> None:
    """The success message the person sees after an action."""
    page.locator(".sv-msg--success").filter(has_text=text).wait_for()


def press(page, button: str, **fields: str) -> None:
    """Fill the action's form and press its button."""
    form = page.locator("form.sv-action", has=page.get_by_role("button", name=button, exact=True))
    for name, value in fields.items():
        form.locator(f"[name={name}]").fill(value)
    clear(page)
    form.get_by_role("button", name=button, exact=True).click()
