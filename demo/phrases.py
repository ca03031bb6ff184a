"""What people write along the way: progress reports, sign-off comments, reasons.

Sentences are combined at random (from the loader's seeded generator) so that reports of the
same unit do not all read alike. Placeholders are filled by ``fill``.
"""

from __future__ import annotations

import datetime as dt
import random

PROGRESS_OPENINGS: tuple[str, ...] = (
    "已召开专题推进会，对照问题清单逐项研究整改措施，明确分管领导、责任股室和完成时限。",
    "已成立整改工作小组，由分管领导牵头，抽调业务骨干逐村逐户开展核查。",
    "已将问题纳入整改台账，实行挂图作战、销号管理。",
    "已组织乡镇、村两级干部召开整改部署会，压实属地责任。",
    "已对问题涉及的乡镇、村开展拉网式排查，摸清底数。",
    "主要领导专题听取整改情况汇报，分管领导带队深入一线督导。",
    "已制定整改工作方案，细化任务分工和时间节点。",
)

PROGRESS_MIDDLES: tuple[str, ...] = (
    "目前已入户核实{n}户，完成整改{m}户，其余正在推进中。",
    "目前已完成整改任务量的{pct}%，剩余部分计划于{date}前完成。",
    "已落实资金{money}万元，项目已开工建设，工程进度约{pct}%。",
    "已组织政策培训{m}场次，培训乡村干部{n}人次。",
    "同步举一反三，对同类问题开展排查，新发现问题{m}个，已一并纳入台账整改。",
    "已完成方案制定和前期准备，正在组织实施。",
    "已与相关部门对接，明确了整改路径和配合分工。",
    "已完成{n}户信息复核，系统数据已同步更新。",
)

PROGRESS_CLOSINGS: tuple[str, ...] = (
    "下一步将加大督导力度，确保按期完成整改。",
    "下一步将持续跟踪问效，防止问题反弹。",
    "下一步将倒排工期、挂图作战，确保整改到位。",
    "下一步将建立长效机制，巩固整改成果。",
    "",
)

COMPLETION_OPENINGS: tuple[str, ...] = (
    "该问题已整改完成。",
    "经乡镇自查、县级复核，该问题已整改到位。",
    "按照整改措施要求，各项任务已全部完成。",
    "该问题已按期整改完成，整改情况已在村务公开栏公示。",
)

COMPLETION_CLOSINGS: tuple[str, ...] = (
    "同时建立了长效管理机制，现申请核验销号。",
    "整改前后情况已形成台账备查，现申请核验销号。",
    "已举一反三完成同类问题排查，现申请核验销号。",
    "现申请核验销号。",
)

REWORK_REPORTS: tuple[str, ...] = (
    "根据核验意见，已补充开展入户核实{n}户，对整改不到位的{m}户重新落实措施。",
    "已按核验意见补齐相关资料，并对同类问题再次排查。",
    "已根据领导审签意见重新核实整改情况，补充完善整改台账。",
    "针对反馈意见，已组织专人现场复查，问题已重新整改。",
)

LEADER_APPROVALS: tuple[str, ...] = ("同意，报市巩固衔接办核验。", "同意。", "情况属实，同意申请销号。", "")

LEADER_REFUSALS: tuple[str, ...] = (
    "整改成效表述不具体，请补充整改前后对比情况和长效机制后重新报送。",
    "部分户整改尚未到位，请逐户核实后再报。",
    "整改措施与问题不对应，请核实后重报。",
)

VERIFY_COMMENTS: tuple[str, ...] = (
    "经实地核验，整改到位。",
    "经电话回访和实地抽查，问题已整改。",
    "经核验，整改资料齐全，整改到位。",
    "",
)

REJECT_REASONS: tuple[str, ...] = (
    "经实地核验，现场仍存在同类问题，整改不彻底，请继续整改。",
    "抽查{n}户中有{m}户帮扶措施未落实到位，请举一反三全面整改。",
    "长效机制尚未建立，请完善制度后再申请销号。",
    "整改情况与台账记录不一致，请核实后重新申请。",
)

CLOSE_COMMENTS: tuple[str, ...] = ("同意销号。", "", "")

REOPEN_REASONS: tuple[str, ...] = (
    "“回头看”发现问题反弹，已整改问题再次出现，重新整改。",
    "群众来电反映问题仍未解决，经暗访核实问题反弹，重新整改。",
)

RETURN_REASONS: tuple[str, ...] = (
    "经核实，该问题不属于我单位职责范围，申请退回改派。",
    "问题所涉村已于行政区划调整后划归相邻乡镇管辖，申请退回核实。",
)

CITY_RETURN_REASONS: tuple[str, ...] = (
    "该问题属县级属地管理事项，我单位仅负责行业指导和配合，申请退回。",
    "该问题所涉事项不在我单位职能范围内，建议由属地政府牵头整改，申请退回。",
    "经核实，该问题已由相关部门牵头整改，我单位无配合任务，申请退回。",
)

RETURN_APPROVALS: tuple[str, ...] = ("情况属实，同意退回。", "同意退回，请市巩固衔接办改派。")
RETURN_REFUSALS: tuple[str, ...] = (
    "该问题属地责任明确，不同意退回，请抓紧认领整改。",
    "退回理由不充分，请先行整改，需要配合的主动对接相关部门。",
)
REISSUE_REASONS: tuple[str, ...] = (
    "经核实，该问题属您单位职责范围，不予改派，请抓紧整改。",
    "属地管理责任不能推卸，请您单位牵头整改，相关部门配合。",
)

EXTENSION_REASONS: tuple[str, ...] = (
    "涉及工程项目受汛期降雨影响停工，无法按期完工，申请延期。",
    "所需资金需纳入下一批次衔接资金计划，申请延期。",
    "涉及跨部门协调，需待相关政策明确后整改，申请延期。",
    "涉及户数较多，入户核实工作量大，申请延期。",
)
EXTENSION_SIGNS: tuple[str, ...] = ("情况属实，同意延期。", "同意。")
EXTENSION_REFUSALS: tuple[str, ...] = ("延期理由不充分，请按原时限完成。", "请加大力度，按原时限完成整改。")
EXTENSION_APPROVALS: tuple[str, ...] = ("同意延期，请按新时限完成整改。", "同意。")
EXTENSION_NO_LONGER_NEEDED = "该任务已提交完成报告，延期申请不再需要，不予办理。"
EXTENSION_REJECTIONS: tuple[str, ...] = (
    "该问题群众反映强烈，不同意延期，请倒排工期按期完成。",
    "不同意延期，请采取临时措施，按原时限完成。",
)


def fill(rng: random.Random, template: str, **extra: str) -> str:
    """Fill the numeric placeholders a template may use; ``extra`` gives the rest."""
    n = rng.randint(6, 60)
    values = {
        "n": str(n),
        "m": str(rng.randint(2, max(3, n // 4))),
        "pct": str(rng.choice(range(30, 95, 5))),
        "money": str(rng.choice((12, 18, 25, 36, 48, 60, 85, 120, 150, 230))),
        **extra,
    }
    return template.format(**values)


def progress_text(rng: random.Random, date: str) -> str:
    parts = [rng.choice(PROGRESS_OPENINGS), rng.choice(PROGRESS_MIDDLES), rng.choice(PROGRESS_CLOSINGS)]
    return fill(rng, "".join(parts), date=date)


def completion_text(rng: random.Random, measures: str) -> str:
    # Quote the first clause of the measures: the report says what was actually done.
    done = measures.split("，")[0].split("；")[0]
    middle = f"已{done}。" if not done.startswith(("已", "对", "按")) else f"{done}。"
    return rng.choice(COMPLETION_OPENINGS) + middle + rng.choice(COMPLETION_CLOSINGS)


def cycle_period(starts_on: dt.date, ends_on: dt.date) -> str:
    """A cycle's period as a notice's opening writes it: 11月23日至12月6日."""
    return f"{starts_on.month}月{starts_on.day}日至{ends_on.month}月{ends_on.day}日"
