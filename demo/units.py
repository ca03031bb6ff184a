"""Master data of the demo campaign: the office, the units of 吕梁 and the people in them.

Everything here is plain data. Unit codes are short pinyin, typed as the first half of a demo
username (``linxian_liaison``), so they stay ASCII and lower case.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from supervision.models import LetterKind, PeerGroup, Role, UnitKind

DEMO_PASSWORD = "demo1234"
ADMIN_USERNAME = "admin"

OFFICE_CODE = "office"
OFFICE_NAME = "吕梁市巩固拓展脱贫攻坚成果同乡村振兴有效衔接领导小组办公室"
OFFICE_SHORT = "市巩固衔接办"
# The office issues all three kinds of letter in its own name (吕巩办督 / 吕巩办交 / 吕巩办催).
LETTER_PREFIXES: tuple[tuple[str, str, str], ...] = (
    (LetterKind.SUPERVISION, "吕巩办督", OFFICE_NAME),
    (LetterKind.ASSIGNMENT, "吕巩办交", OFFICE_NAME),
    (LetterKind.REMINDER, "吕巩办催", OFFICE_NAME),
)


@dataclass(frozen=True)
class UnitSpec:
    code: str
    name: str
    short_name: str
    kind: str
    peer_group: str
    leader_title: str
    liaison_title: str
    parent: str | None = None
    # Towns (乡镇) and resettlement sites (安置点) give items a real-looking place.
    towns: tuple[str, ...] = field(default=())
    sites: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class OfficeAccount:
    username: str
    role: str
    title: str


OFFICE_ACCOUNTS: tuple[OfficeAccount, ...] = (
    OfficeAccount("office_clerk", Role.CLERK, "督查督办科督办员"),
    OfficeAccount("office_inspector", Role.INSPECTOR, "督查督办科核验员"),
    OfficeAccount("office_director", Role.DIRECTOR, "市巩固衔接办主任"),
    OfficeAccount("office_observer", Role.OBSERVER, "领导小组副组长"),
)


def _county(code: str, name: str, level: str, towns: tuple[str, ...], sites: tuple[str, ...]) -> UnitSpec:
    # 离石区 is a district, 孝义 and 汾阳 are county-level cities, the rest counties.
    return UnitSpec(
        code=code,
        name=f"{name}人民政府",
        short_name=name,
        kind=UnitKind.COUNTY,
        peer_group=PeerGroup.COUNTY,
        leader_title=f"副{level}长",
        liaison_title=f"{name}乡村振兴局综合股股长",
        towns=towns,
        sites=sites,
    )


COUNTIES: tuple[UnitSpec, ...] = (
    _county("lishi", "离石区", "区", ("信义镇", "吴城镇", "枣林乡", "坪头乡", "红眼川乡"), ("城北", "信义", "滨河")),
    _county("xiaoyi", "孝义市", "市", ("下栅乡", "阳泉曲镇", "西辛庄镇", "兑镇镇", "梧桐镇"), ("下栅", "阳泉曲")),
    _county("fenyang", "汾阳市", "市", ("杏花村镇", "峪道河镇", "三泉镇", "贾家庄镇", "栗家庄乡"), ("杏花", "峪道河")),
    _county("wenshui", "文水县", "县", ("开栅镇", "孝义镇", "南庄镇", "马西乡", "苍儿会"), ("开栅", "南庄")),
    _county("jiaocheng", "交城县", "县", ("西社镇", "夏家营镇", "东坡底乡", "水峪贯镇", "岭底乡"), ("西社", "夏家营")),
    _county(
        "xingxian", "兴县", "县", ("蔡家崖乡", "魏家滩镇", "瓦塘镇", "康宁镇", "奥家湾乡"), ("蔡家崖", "东关", "魏家滩")
    ),
    _county(
        "linxian",
        "临县",
        "县",
        ("城庄镇", "湍水头镇", "白文镇", "林家坪镇", "三交镇", "碛口镇"),
        ("城庄", "湍水头", "白文", "林家坪"),
    ),
    _county("liulin", "柳林县", "县", ("穆村镇", "成家庄镇", "留誉镇", "薛村镇", "王家沟乡"), ("穆村", "成家庄")),
    _county("shilou", "石楼县", "县", ("小蒜镇", "罗村镇", "义牒镇", "龙交乡", "裴沟乡"), ("城北", "小蒜")),
    _county("lanxian", "岚县", "县", ("东村镇", "界河口镇", "岚城镇", "梁家庄乡", "土峪乡"), ("东村", "界河口")),
    _county("fangshan", "方山县", "县", ("峪口镇", "圪洞镇", "大武镇", "北武当镇", "积翠乡"), ("峪口", "圪洞")),
    _county("zhongyang", "中阳县", "县", ("枝柯镇", "宁乡镇", "金罗镇", "暖泉镇", "武家庄镇"), ("枝柯", "宁乡")),
    _county("jiaokou", "交口县", "县", ("水头镇", "桃红坡镇", "石口乡", "回龙乡", "双池镇"), ("水头", "桃红坡")),
)


def _team(code: str, theme: str) -> UnitSpec:
    return UnitSpec(
        code=f"zb_{code}",
        name=f"市巩固衔接{theme}工作专班",
        short_name=f"{theme}专班",
        kind=UnitKind.WORK_TEAM,
        peer_group=PeerGroup.WORK_TEAM,
        leader_title="专班办公室主任",
        liaison_title="专班联络员",
    )


# The 18 work teams (工作专班) of the city leading group, one per line of work.
WORK_TEAMS: tuple[UnitSpec, ...] = (
    _team("jiance", "防返贫监测帮扶"),
    _team("banqian", "易地扶贫搬迁后续扶持"),
    _team("chanye", "产业帮扶"),
    _team("jiuye", "就业帮扶"),
    _team("yinshui", "农村饮水安全"),
    _team("zhufang", "农村住房安全"),
    _team("jiaoyu", "教育保障"),
    _team("yiliao", "医疗保障"),
    _team("doudi", "兜底保障"),
    _team("xindai", "小额信贷"),
    _team("guangfu", "光伏帮扶"),
    _team("zijin", "衔接资金项目管理"),
    _team("zhucun", "驻村帮扶"),
    _team("xiaofei", "消费帮扶"),
    _team("xiezuo", "东西部协作和定点帮扶"),
    _team("jianshe", "乡村建设"),
    _team("xiangfeng", "乡风文明"),
    _team("zhili", "基层治理"),
)


def _department(code: str, name: str, short: str, leader: str, liaison: str) -> UnitSpec:
    return UnitSpec(
        code=code,
        name=f"吕梁市{name}",
        short_name=short,
        kind=UnitKind.DEPARTMENT,
        peer_group=PeerGroup.DEPARTMENT,
        leader_title=leader,
        liaison_title=liaison,
    )


# Codes are the usual pinyin initials of each bureau (发改委 fgw, 农业农村局 nyncj …).
DEPARTMENTS: tuple[UnitSpec, ...] = (
    _department("fgw", "发展和改革委员会", "市发改委", "副主任", "农村经济科科长"),
    _department("jyj", "教育局", "市教育局", "副局长", "学生资助管理中心主任"),
    _department("mzj", "民政局", "市民政局", "副局长", "社会救助科科长"),
    _department("czj", "财政局", "市财政局", "副局长", "农业农村科科长"),
    _department("rsj", "人力资源和社会保障局", "市人社局", "副局长", "就业促进科科长"),
    _department("zrzyj", "自然资源局", "市自然资源局", "副局长", "耕地保护监督科科长"),
    _department("zjj", "住房和城乡建设局", "市住建局", "副局长", "村镇建设科科长"),
    _department("slj", "水利局", "市水利局", "副局长", "农村水利水电科科长"),
    _department("nyncj", "农业农村局", "市农业农村局", "副局长", "发展规划科科长"),
    _department("wlj", "文化和旅游局", "市文旅局", "副局长", "公共服务科科长"),
    _department("wjw", "卫生健康委员会", "市卫健委", "副主任", "基层卫生健康科科长"),
    _department("ybj", "医疗保障局", "市医保局", "副局长", "待遇保障科科长"),
    _department("xczxj", "乡村振兴局", "市乡村振兴局", "副局长", "综合规划科科长"),
)


def _township(code: str, name: str) -> UnitSpec:
    level = "镇" if name.endswith("镇") else "乡"
    return UnitSpec(
        code=code,
        name=f"离石区{name}人民政府",
        short_name=name,
        kind=UnitKind.TOWNSHIP,
        peer_group=PeerGroup.TOWNSHIP,
        leader_title=f"副{level}长",
        liaison_title=f"{level}乡村振兴工作站站长",
        parent="lishi",
    )


# A few townships under 离石区: they cooperate on the district's own items.
TOWNSHIPS: tuple[UnitSpec, ...] = (
    _township("xinyi", "信义镇"),
    _township("wucheng", "吴城镇"),
    _township("zaolin", "枣林乡"),
    _township("pingtou", "坪头乡"),
)

ALL_UNITS: tuple[UnitSpec, ...] = COUNTIES + WORK_TEAMS + DEPARTMENTS + TOWNSHIPS
UNITS_BY_CODE: dict[str, UnitSpec] = {u.code: u for u in ALL_UNITS}
TOWNSHIP_BY_NAME: dict[str, str] = {u.short_name: u.code for u in TOWNSHIPS}

# Villages are named the way the loess hills name them: families, gullies, ridges, flats.
VILLAGE_STEMS: tuple[str, ...] = (
    "王家沟",
    "刘家坪",
    "高家塔",
    "李家湾",
    "张家峁",
    "枣圪塔",
    "后沟",
    "前坪",
    "柏树焉",
    "杜家庄",
    "贺家坡",
    "薛家庄",
    "冯家峁",
    "马家岔",
    "白家山",
    "任家塔",
    "郭家庄",
    "曹家坡",
    "寨子上",
    "阳坡",
    "石窑",
    "下庄",
    "上庄",
    "南沟",
    "东坪",
    "西湾",
    "白草坪",
    "柳沟",
    "红崖",
    "康家岭",
    "霍家山",
    "乔家沟",
)

SURNAMES = "王李张刘郭赵杨高武薛任白贾乔冯田霍韩马梁孙宋温闫康段崔吕成秦曹侯贺牛"
GIVEN_NAMES: tuple[str, ...] = (
    "建国",
    "志强",
    "晓燕",
    "丽萍",
    "海军",
    "文斌",
    "俊峰",
    "红梅",
    "永明",
    "瑞芳",
    "国栋",
    "亚楠",
    "鹏飞",
    "慧敏",
    "宏伟",
    "春生",
    "玉兰",
    "晋峰",
    "彦军",
    "翠萍",
    "利平",
    "卫东",
    "俊芳",
    "旭东",
    "艳霞",
    "振华",
    "雪梅",
    "长青",
    "向阳",
    "晓东",
    "金花",
    "润生",
    "静",
    "磊",
    "敏",
    "娟",
    "强",
    "芳",
)
