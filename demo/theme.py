"""What a line of work of the campaign (a ``Theme``) holds, and how its problem texts are written.

Problem and measure texts follow the ledger of the city's rectification plans (问题清单 /
整改清单): a plain statement of what is wrong and where, and concrete measures. Items are
built by combining a template with a place and a few numbers, so ~950 items read differently
without being random noise. Placeholders: ``{place}`` (a village or resettlement site),
``{n}`` (households or people), ``{m}`` (a smaller count), ``{pct}`` (a percentage),
``{money}`` (万元).
"""

from __future__ import annotations

from dataclasses import dataclass

Text = tuple[str, str]  # (problem description, rectification measures)


@dataclass(frozen=True)
class Theme:
    key: str
    name: str  # as used in letter titles: 关于加快推进{name}问题整改的督办函
    team: str  # the work team (工作专班) in charge
    departments: tuple[str, ...]  # city departments that cooperate on it
    place: str  # "site" (安置点) or "village"
    common: tuple[Text, ...]  # 共性问题: national and provincial feedback, no place
    specific: tuple[Text, ...]  # 个性问题: found on the ground, with a place
    city: tuple[Text, ...]  # city-level problems a department or work team leads
    # Why a county would dispute an item of this theme, and whose it would then be.
    return_reason: str = ""
