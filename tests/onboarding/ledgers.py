"""Two ledgers (整改台账) of the demo office in the layout of seed 000's 附件1 — title rows, the
two-row grouped heading, the category merged down its section, each problem merged down over its
measures — naming the demo office's units as offices write them: several in one cell, short
names, and collective names (各县（市、区）, 市直各有关部门, 各工作专班)."""

from __future__ import annotations

import datetime as dt
import io

from tests.imports.sheets import COMMON, HEADING_MERGES, SPECIFIC, Sheet, ledger_row, xlsx

UPPER = ["问题类别", "问题清单", None, "整改清单", None, None, "责任清单", None, None, "备注"]
LOWER = [None, "问题描述", None, "整改措施", "整改进展", "整改时限", "责任单位", "责任人", "完成情况", None]


def _by(days: int, *, phase: bool = False) -> str:
    day = dt.date.today() + dt.timedelta(days=days)
    text = f"{day.year}年{day.month}月{day.day}日前"
    return text + "取得阶段性成效并长期坚持" if phase else text


def _head(title: str) -> list[list]:
    return [
        [title] + [None] * 9,
        ["单位：吕梁市巩固拓展脱贫攻坚成果同乡村振兴有效衔接领导小组办公室"],
        ["时间："],
        UPPER,
        LOWER,
    ]


def _ledger(
    title: str, sections: list[tuple[str, list[tuple[str, list[tuple[str, str, str]]]]]]
) -> tuple[io.BytesIO, int]:
    """The sheet, and how many measures (items of the letter) it holds."""
    rows = _head(title)
    merges = [*HEADING_MERGES, "A1:J1"]
    measures = 0
    for category, problems in sections:
        first_of_section = len(rows) + 1
        for problem, lines in problems:
            first = len(rows) + 1
            for n, (measure, units, deadline) in enumerate(lines):
                rows.append(
                    ledger_row(
                        category if len(rows) + 1 == first_of_section else None,
                        problem if n == 0 else None,
                        measure,
                        units,
                        deadline,
                    )
                )
                measures += 1
            merges.append(f"B{first}:C{len(rows)}")
        merges.append(f"A{first_of_section}:A{len(rows)}")
    return xlsx(Sheet(rows, tuple(merges), name="整改台账")), measures


def relocation_ledger() -> tuple[io.BytesIO, int]:
    """易地扶贫搬迁后续扶持: the seed letter's problems, owned by the demo office's units."""
    return _ledger(
        "吕梁市易地扶贫搬迁后续扶持问题排查整改台账",
        [
            (
                COMMON,
                [
                    (
                        "问题一：搬迁脱贫人口持续增收仍有压力，异地搬迁脱贫人口人均纯收入增速连续两年仍低于脱贫人口平均水平。",
                        [
                            (
                                "1. 支持安置点发展特色产业，带动搬迁群众就近就业。",
                                "各县（市、区）、市农业农村局",
                                _by(60, phase=True),
                            ),
                            ("2. 开发公益性岗位，优先安置搬迁脱贫劳动力。", "各县(市、区)、市人社局", _by(45)),
                            (
                                "3. 开发乡村旅游精品线路，辐射周边安置点。",
                                "市文旅局、离石区、临县",
                                _by(90, phase=True),
                            ),
                            ("4. 支持建设帮扶车间，培育一批安置点特色产品。", "市乡村振兴局、市发改委", _by(75)),
                        ],
                    ),
                    (
                        "问题二、异地扶贫搬迁“五好社区”创建工作不扎实",
                        [("定期维修更新安置点公共服务设施，完善社区治理。", "各县（市、区）、市住建局", _by(60))],
                    ),
                ],
            ),
            (
                SPECIFIC,
                [
                    (
                        "问题三：部分安置点后续扶持台账不完整，底数不清。",
                        [
                            (
                                "逐户核实搬迁群众就业和收入情况，完善台账。",
                                "易地扶贫搬迁后续扶持专班、离石区",
                                "立行立改",
                            ),
                            ("信义镇、吴城镇安置点逐户建档。", "信义镇、吴城镇", _by(30)),
                        ],
                    )
                ],
            ),
        ],
    )


def monitoring_ledger() -> tuple[io.BytesIO, int]:
    """防返贫动态监测和帮扶: problems for the work teams and the departments as wholes."""
    return _ledger(
        "吕梁市防返贫动态监测和帮扶问题整改台账",
        [
            (
                COMMON,
                [
                    (
                        "问题一：防止返贫动态监测不够精准，部分风险户未及时纳入监测。",
                        [
                            ("1. 开展一轮集中排查，做到应纳尽纳。", "各县（市、区）", _by(30)),
                            ("2. 行业部门数据定期比对预警。", "市直各有关部门", _by(45, phase=True)),
                            ("3. 各专班按职责落实帮扶措施。", "各工作专班", _by(60)),
                        ],
                    ),
                    (
                        "问题二：帮扶措施针对性不强，“一户一策”落实不到位。",
                        [
                            ("完善“一户一策”帮扶计划，逐户落实。", "防返贫监测帮扶专班、市民政局、市医保局", _by(45)),
                            ("强化兜底保障，做到应保尽保。", "兜底保障专班、市民政局", "立行立改"),
                        ],
                    ),
                ],
            ),
        ],
    )
