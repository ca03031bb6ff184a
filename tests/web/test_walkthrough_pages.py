"""What the walkthrough of issue 12 found on the pages: a column read 查看 where it meant 未办结,
基础数据 led to "no permission", unranked units showed a score, tie-breaking went unsaid, the
office's own peer group was offered to units, no favicon of our own, each request logged twice."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from django.contrib.auth.models import Permission
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.urls import reverse

from supervision.models import Membership, PeerGroup, Role, User
from supervision.selectors.search import peer_group_choices
from tests.conftest import issue_letter
from tests.helpers import signed_in

ROOT = Path(__file__).resolve().parents[2]


def _row(html: str, unit_id: int) -> str:
    return re.search(rf'<tr data-unit="{unit_id}">.*?</tr>', html, re.S).group(0)


def test_the_letter_lists_open_column_reads_unfinished_not_the_inbox_button(client, world):
    issue_letter(world, items=1)
    html = signed_in(client, world.clerk, language="zh-hans").get(reverse("letters:list")).content.decode()
    head = re.search(r"<thead>.*?</thead>", html, re.S).group(0)
    assert "<th>未办结</th>" in head and "查看" not in head


# --- 基础数据 -----------------------------------------------------------------------------------------


def _master_data_shown(client, user, page: str = "office:index") -> bool:
    html = signed_in(client, user).get(reverse(page)).content.decode()
    return f'href="{reverse("admin:index")}"' in html


def test_master_data_is_offered_only_to_whom_the_admin_shows_something(client, world):
    # Staff, as the demo makes every office account, but without a model permission: the admin
    # would only say "you don't have permission".
    for user in (world.clerk, world.observer):
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        assert not _master_data_shown(client, user)
    world.director.is_staff = True
    world.director.save(update_fields=["is_staff"])
    world.director.user_permissions.add(Permission.objects.get(codename="view_unit"))
    assert _master_data_shown(client, world.director)
    world.inspector.is_staff = world.inspector.is_superuser = True
    world.inspector.save(update_fields=["is_staff", "is_superuser"])
    assert _master_data_shown(client, world.inspector)


def test_the_no_role_page_offers_master_data_only_when_it_serves(client, world):
    world.outsider.is_staff = True
    world.outsider.save(update_fields=["is_staff"])
    assert not _master_data_shown(client, world.outsider, "home")
    world.outsider.user_permissions.add(Permission.objects.get(codename="view_unit"))
    assert _master_data_shown(client, world.outsider, "home")


# --- rankings ---------------------------------------------------------------------------------------


def test_a_unit_that_was_not_ranked_shows_no_score(client, ranked):
    # Unit C held nothing in the two cycles: listed, not ranked.
    html = signed_in(client, ranked.inspector).get(reverse("cycles:ranking")).content.decode()
    c_row, a_row = _row(html, ranked.unit_c.pk), _row(html, ranked.unit_a.pk)
    assert "data-score" not in c_row and re.search(r'data-label="Score"><span class="sv-muted"[^>]*>—</span>', c_row)
    assert "data-score" in a_row
    page = signed_in(client, ranked.inspector).get(reverse("cycles:unit", args=[ranked.unit_c.pk]))
    text = page.content.decode()
    assert "Not ranked" in text and "data-score" not in text and "data-points" not in text
    assert 'class="sv-total"' not in text
    overview = signed_in(client, ranked.liaison_c).get(reverse("unit:index")).content.decode()
    assert "not ranked" in overview and "score" not in overview


def test_the_ranking_says_how_equal_scores_are_placed(client, ranked):
    html = signed_in(client, ranked.clerk).get(reverse("cycles:ranking")).content.decode()
    assert "placed in the office's fixed order of units" in html


def test_units_are_not_offered_the_offices_peer_group(world):
    office_groups = [value for value, _label in peer_group_choices(world.clerk)]
    assert PeerGroup.OFFICE not in office_groups and PeerGroup.COUNTY in office_groups
    # A unit's lists hold its own tasks: one group, nothing to choose.
    assert peer_group_choices(world.liaison_a) == []
    # Someone working for a county and a department may narrow to either.
    Membership.objects.create(user=world.liaison_a, unit=world.unit_c, role=Role.LIAISON)
    # A fresh user object: roles are read once per object.
    both = User.objects.get(pk=world.liaison_a.pk)
    assert [value for value, _label in peer_group_choices(both)] == [
        PeerGroup.COUNTY,
        PeerGroup.DEPARTMENT,
    ]
    assert peer_group_choices(world.outsider) == []


def test_a_unit_member_is_offered_no_peer_group_to_pick_on_the_ranking(client, ranked):
    assert 'name="group"' not in signed_in(client, ranked.liaison_a).get(reverse("cycles:ranking")).content.decode()
    assert 'name="group"' in signed_in(client, ranked.clerk).get(reverse("cycles:ranking")).content.decode()


# --- the shell --------------------------------------------------------------------------------------


def test_every_page_links_our_own_favicon(client, world):
    html = signed_in(client, world.liaison_a).get(reverse("unit:index")).content.decode()
    for name in ("workflows/favicon.svg", "workflows/favicon.png"):
        assert f'<link rel="icon" href="{static(name)}"' in html
        assert finders.find(name)
    assert "viewflow/img/favicon.png" not in html


def test_the_development_server_logs_each_request_once(tmp_path):
    # As `make run` starts it: DEBUG on; daphne's runserver logs each request on this logger.
    code = (
        "import django, logging; django.setup(); "
        "logging.getLogger('django.channels.server').info('HTTP GET /office/ 200 [0.01, 127.0.0.1:1]')"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE"}}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "project.settings", "DEBUG": "1", "VAR_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("GET /office/ 200") == 1, result.stderr
