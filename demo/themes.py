"""The lines of work of the campaign, in the order the planner draws them, and the items of the
first letter. Each group's problems are in its own module: ``themes_households``,
``themes_guarantees``, ``themes_support`` and ``themes_villages``; what a theme is, in ``theme``.
"""

from __future__ import annotations

from .theme import Text, Theme
from .themes_guarantees import GUARANTEE_THEMES
from .themes_households import HOUSEHOLD_THEMES
from .themes_support import SUPPORT_THEMES
from .themes_villages import VILLAGE_THEMES

THEMES: tuple[Theme, ...] = (*HOUSEHOLD_THEMES, *GUARANTEE_THEMES, *SUPPORT_THEMES, *VILLAGE_THEMES)

THEMES_BY_KEY: dict[str, Theme] = {t.key: t for t in THEMES}

# The first supervision letter of the campaign: every county and every work team sets up its
# plan and ledger (seed 004: 13 个县市区和市级 18 个工作专班全部制定问题整改方案).
KICKOFF_ITEMS: tuple[Text, ...] = (
    (
        "问题整改方案制定不及时，部分单位未结合实际细化整改任务",
        "对照国家、省考核评估反馈问题和市级整改工作方案，制定本单位问题整改方案，细化整改任务、措施和时限",
    ),
    (
        "整改台账不规范，问题清单、整改清单、责任清单“三清单”不完整",
        "按照问题清单、整改清单、责任清单格式建立整改台账，逐条明确责任单位、责任人和整改时限，实行销号管理",
    ),
    (
        "举一反三排查不深入，自查发现问题数量偏少",
        "组织开展全覆盖自查，举一反三排查同类问题，自查问题一并纳入台账整改",
    ),
    (
        "双周调度机制落实不到位，整改进展报送不及时",
        "落实“双周调度、双周通报、双周排队”要求，明确联络员，每两周报送一次整改进展",
    ),
)
