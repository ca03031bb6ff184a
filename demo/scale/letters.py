"""The letters of the province-scale data set and their items: who issues each (the province office
to the city offices, a city office to its counties, departments and work teams), its number (per
prefix and year, 1, 2, 3… without a gap, in the order they were issued), its addressees, title,
items and their deadlines, and the three audit rows of its own (drafted, signed, issued).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from supervision import cycle_calendar
from supervision.models import AuditEvent, Item, Letter

from .sink import Sink
from .tree import Node, Office

THEMES = (
    "巩固拓展脱贫攻坚成果同乡村振兴有效衔接",
    "防止返贫动态监测和帮扶",
    "易地扶贫搬迁后续扶持",
    "农村饮水安全保障",
    "农村住房安全保障",
    "产业帮扶项目资产管理",
    "脱贫人口稳岗就业",
    "衔接资金项目管理",
)
PROBLEMS = (
    ("安置点配套设施不完善，部分群众反映就医、就学不便", "完善安置点配套设施，落实就医就学保障措施"),
    ("防返贫监测对象识别不精准，存在漏评、错评现象", "开展集中排查，做到应纳尽纳、应帮尽帮"),
    ("部分产业帮扶项目效益不高，联农带农机制不健全", "优化项目管理，健全联农带农利益联结机制"),
    ("农村供水工程管护不到位，部分村季节性缺水", "落实工程管护责任，建立应急供水机制"),
    ("衔接资金支出进度缓慢，部分项目未按期开工", "加快资金拨付和项目建设进度，按月通报"),
    ("脱贫劳动力务工人数较上年下降", "加强就业帮扶，开发公益性岗位，稳定务工规模"),
    ("危房改造质量不达标，存在安全隐患", "逐户排查鉴定，限期完成加固改造"),
    ("驻村工作队管理不严，部分队员在岗率不高", "严格考勤管理，落实驻村工作队轮换和考核制度"),
)
CATEGORIES = ("common", "specific")
SOURCES = ("national", "provincial", "self_inspection", "unannounced_visit", "supervision")


@dataclass
class LetterRow:
    id: int
    kind: str
    office: Office
    issued_at: dt.datetime
    addressees: list[Node]
    items: list[tuple[int, dt.date, str]]  # (item id, deadline, measures)


class Letters:
    def __init__(self, sink: Sink, *, first_letter: int, first_item: int, rng: random.Random):
        self.rng = rng
        self.next_letter, self.next_item = first_letter, first_item
        self.counters: dict[tuple[int, int], int] = {}
        self.letters = sink.open(
            Letter,
            [
                "id", "kind", "office_id", "prefix_id", "year", "serial", "number", "title", "title_lines", "body",
                "deadline", "state", "drafter_id", "signer_id", "sign_comment", "created_at", "updated_at",
                "signed_at", "issued_at",
            ],
        )  # fmt: skip
        self.addressees = sink.open(Letter.addressees.through, ["letter_id", "unit_id"])
        self.items = sink.open(
            Item,
            [
                "id",
                "letter_id",
                "seq",
                "category",
                "source",
                "site",
                "description",
                "measures",
                "deadline",
                "deadline_kind",
            ],
        )
        self.audit: object = None  # set by the caller: the audit table is shared with the tasks

    def issue(
        self,
        office: Office,
        kind: str,
        addressees: list[Node],
        items: int,
        issued_at: dt.datetime,
        *,
        due_by: dt.date | None = None,
    ) -> LetterRow:
        """``due_by``: every item is due then (a long-term letter, phase results then ongoing)."""
        rng = self.rng
        prefix_id, prefix = office.prefixes[kind]
        year = cycle_calendar.local_date(issued_at).year
        serial = self.counters.get((prefix_id, year), 0) + 1
        self.counters[(prefix_id, year)] = serial
        number = f"{prefix}〔{year}〕{serial}号"
        theme = rng.choice(THEMES)
        title = f"关于加快推进{theme}问题整改的{'督办函' if kind == 'supervision' else '交办函'}"
        letter_id = self.next_letter
        self.next_letter += 1
        clerk, director = office.staff["clerk"], office.staff["director"]
        drafted, signed = issued_at - dt.timedelta(days=2, hours=3), issued_at - dt.timedelta(hours=20)
        self.letters.add(
            letter_id, kind, office.unit.id, prefix_id, year, serial, number, title, "",
            f"请对照问题清单逐项抓好整改落实，每两周报送一次整改进展。（{theme}）", None, "issued", clerk, director,
            "同意印发。", drafted, issued_at, signed, issued_at,
        )  # fmt: skip
        for unit in addressees:
            self.addressees.add(letter_id, unit.id)
        unit_id = office.unit.id
        audit = self.audit
        audit.add(drafted, clerk, "clerk", unit_id, "letter.drafted", letter_id, None, "", "draft", "", "{}")
        audit.add(
            signed,
            director,
            "director",
            unit_id,
            "letter.signed",
            letter_id,
            None,
            "draft",
            "signed",
            "同意印发。",
            "{}",
        )
        n_assign = len(addressees) * items
        data = f'{{"number": "{number}", "assignments": {n_assign}}}'
        audit.add(issued_at, clerk, "clerk", unit_id, "letter.issued", letter_id, None, "signed", "issued", "", data)
        row = LetterRow(id=letter_id, kind=kind, office=office, issued_at=issued_at, addressees=addressees, items=[])
        day = cycle_calendar.local_date(issued_at)
        for seq in range(1, items + 1):
            problem, measures = rng.choice(PROBLEMS)
            deadline = day + dt.timedelta(days=rng.randint(25, 120))
            kind_ = "phase_then_ongoing" if rng.random() < 0.1 else "by_date"
            if due_by is not None:
                deadline, kind_ = due_by, "phase_then_ongoing"
            item_id = self.next_item
            self.next_item += 1
            self.items.add(
                item_id, letter_id, seq, rng.choice(CATEGORIES), rng.choice(SOURCES), "", f"问题{seq}：{problem}",
                measures, deadline, kind_,
            )  # fmt: skip
            row.items.append((item_id, deadline, measures))
        return row

    def counter_rows(self) -> list[tuple[int, int, int]]:
        """(prefix id, year, last number) of every prefix and year used."""
        return [(p, y, n) for (p, y), n in sorted(self.counters.items())]


AUDIT_FIELDS = [
    "at", "actor_id", "actor_role", "actor_unit_id", "action", "letter_id", "assignment_id", "from_state", "to_state",
    "comment", "data",
]  # fmt: skip
AUDIT_MODEL = AuditEvent
