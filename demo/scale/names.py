"""Names of the province-scale deployment: a province, its eleven cities and, below them, counties,
departments, work teams and townships with made-up but plausible names.

Plain data and pure functions: the same seed gives the same names. Codes are short ASCII (they
are the first half of each username, ``c06_k01_liaison``).
"""

from __future__ import annotations

import random

PROVINCE_NAME = "山西省巩固拓展脱贫攻坚成果同乡村振兴有效衔接领导小组办公室"
PROVINCE_SHORT = "省巩固衔接办"
# (kind, prefix): the province office's number prefixes.
PROVINCE_PREFIXES = (("supervision", "晋巩办督"), ("assignment", "晋巩办交"))

# The eleven cities of the province: (code, name, one-character abbreviation for letter prefixes).
CITIES: tuple[tuple[str, str, str], ...] = (
    ("taiyuan", "太原", "并"),
    ("datong", "大同", "同"),
    ("shuozhou", "朔州", "朔"),
    ("xinzhou", "忻州", "忻"),
    ("yangquan", "阳泉", "阳"),
    ("lvliang", "吕梁", "吕"),
    ("jinzhong", "晋中", "榆"),
    ("changzhi", "长治", "长"),
    ("jincheng", "晋城", "泽"),
    ("linfen", "临汾", "临"),
    ("yuncheng", "运城", "运"),
)

# Characters place names are made of; two of them make a county, two more a township.
_FIRST = "安平阳城山河清水兴宁东西南北和丰泉林石源定远乐寿昌义原川汾晋古新永龙凤云"
_SECOND = "平阳城山河泉林石源定远乐寿昌义原川汾峪谷坪庄沟岭堡口店关台湾滩"
_TOWN_KIND = ("镇", "乡", "镇", "镇", "乡", "街道")

DEPARTMENTS = (
    "教育局",
    "民政局",
    "财政局",
    "人力资源和社会保障局",
    "自然资源局",
    "住房和城乡建设局",
    "交通运输局",
    "水利局",
    "农业农村局",
    "商务局",
    "文化和旅游局",
    "卫生健康委员会",
    "医疗保障局",
    "乡村振兴局",
    "林业局",
    "发展和改革委员会",
    "工业和信息化局",
    "生态环境局",
    "审计局",
    "统计局",
    "市场监督管理局",
    "应急管理局",
    "供销合作社",
    "残疾人联合会",
    "妇女联合会",
    "团委",
    "国有资产监督管理委员会",
    "行政审批服务管理局",
    "能源局",
    "气象局",
    "金融办",
    "税务局",
    "邮政管理局",
    "电力公司",
    "移动公司",
)
WORK_TEAMS = (
    "产业帮扶工作专班",
    "就业帮扶工作专班",
    "易地搬迁后续扶持工作专班",
    "饮水安全工作专班",
    "住房安全工作专班",
    "防止返贫监测工作专班",
    "消费帮扶工作专班",
    "驻村帮扶工作专班",
    "小额信贷工作专班",
    "教育保障工作专班",
    "医疗保障工作专班",
    "兜底保障工作专班",
)


def city_office_name(city: str) -> str:
    return f"{city}市巩固拓展脱贫攻坚成果同乡村振兴有效衔接领导小组办公室"


def city_prefixes(abbreviation: str) -> tuple[tuple[str, str], ...]:
    return (("supervision", f"{abbreviation}巩办督"), ("assignment", f"{abbreviation}巩办交"))


def place_names(rng: random.Random, count: int, taken: set[str]) -> list[str]:
    """``count`` two-character names not in ``taken`` (which they are added to)."""
    names: list[str] = []
    while len(names) < count:
        name = rng.choice(_FIRST) + rng.choice(_SECOND)
        if name not in taken:
            taken.add(name)
            names.append(name)
    return names


def county_suffix(rng: random.Random) -> str:
    # Most are counties; some districts and county-level cities.
    roll = rng.random()
    return "区" if roll < 0.15 else "市" if roll < 0.25 else "县"


def town_suffix(rng: random.Random) -> str:
    return rng.choice(_TOWN_KIND)


SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
GIVEN = "建国志强海军丽娟秀英玉兰明华文杰红梅晓东利民永刚俊峰春燕宏伟雪梅桂芳立新金龙淑珍德胜"


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
