"""Password rules beyond Django's own: no short pattern repeated, no password from the list
people in offices here actually choose.

Django's CommonPasswordValidator knows 20,000 English-speaking passwords but not ``demo1234``,
``qwer1234`` or a pinyin name followed by digits (``zhang123``), which are the usual weak choices
here; a brute-force tool tries exactly those first.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Lower-cased. Keyboard walks, counting sequences, and words with the digits people append.
COMMON_PASSWORDS: frozenset[str] = frozenset(
    {
        "123456",
        "1234567",
        "12345678",
        "123456789",
        "1234567890",
        "123123123",
        "147258369",
        "5201314",
        "52013140",
        "1314520",
        "88888888",
        "66666666",
        "abc123",
        "abc12345",
        "abc123456",
        "abcd1234",
        "a1b2c3d4",
        "a1234567",
        "a12345678",
        "aa123456",
        "qwer1234",
        "qwerty123",
        "1qaz2wsx",
        "1q2w3e4r",
        "zxcvbnm123",
        "asdf1234",
        "password",
        "password1",
        "password123",
        "passw0rd",
        "p@ssw0rd",
        "p@ssword1",
        "iloveyou",
        "woaini1314",
        "demo1234",
        "demo123456",
        "test1234",
        "test123456",
        "admin123",
        "admin1234",
        "admin12345",
        "admin123456",
        "admin@123",
        "root1234",
        "user1234",
        "guest1234",
        "welcome1",
        "changeme",
        "changeme123",
    }
)

# Common surnames and words in pinyin that people pair with digits: zhang123, wang1234, admin888.
_PINYIN_STEMS = (
    "admin|root|user|test|demo|guest|wang|li|zhang|liu|chen|yang|huang|zhao|wu|zhou|xu|"
    "sun|ma|zhu|hu|guo|he|gao|lin|luo|zheng|liang|xie|song|tang|han|feng|deng|cao|peng|"
    "zeng|xiao|tian|dong|pan|yuan|cai|jiang|yu|du|ye|cheng|wei|su|lv|ding|ren|lu|yao|"
    "shen|zhong|cui|tan|fan|jin|shi|liao|jia|xia|fu|fang|zou|xiong|bai|meng|qin|qiu|"
    "hou|yin|xue|yan|duan|lei|long|tao|gu|mao|hao|gong|shao|wan|qian|woaini|aini|nihao|"
    "laopo|laogong|baobao|qq|zz|dc|duban|ducha|zhengfu|gov|office"
)
_PINYIN_WITH_DIGITS = re.compile(rf"(?:{_PINYIN_STEMS})[@._#!-]?\d{{1,8}}[@._#!-]?", re.I)


def _is_repeated_pattern(password: str) -> bool:
    """True for a password that is one short chunk said again and again: aaaaaaaa, abcabcabc, 12121212."""
    n = len(password)
    return any(n % size == 0 and password == password[:size] * (n // size) for size in range(1, min(4, n // 2) + 1))


class RepeatedPatternValidator:
    """Refuses passwords of too few distinct characters or one short chunk repeated."""

    def __init__(self, min_unique: int = 5) -> None:
        self.min_unique = min_unique

    def validate(self, password: str, user: Any = None) -> None:
        if len(set(password)) < self.min_unique or _is_repeated_pattern(password):
            raise ValidationError(
                _(
                    "This password repeats too few characters over and over. "
                    "Use at least %(min_unique)d different characters, not one pattern repeated."
                )
                % {"min_unique": self.min_unique},
                code="password_repeated",
                params={"min_unique": self.min_unique},
            )

    def get_help_text(self) -> str:
        return _("Your password must use at least %(min_unique)d different characters, not one pattern repeated.") % {
            "min_unique": self.min_unique
        }


class LocalCommonPasswordValidator:
    """Refuses the weak passwords common here: well-known lists, and a pinyin word with digits."""

    def validate(self, password: str, user: Any = None) -> None:
        lowered = password.strip().lower()
        if lowered in COMMON_PASSWORDS or _PINYIN_WITH_DIGITS.fullmatch(lowered):
            raise ValidationError(
                _("This password is one of the first that password-guessing tools try. Choose another."),
                code="password_too_common_locally",
            )

    def get_help_text(self) -> str:
        return _("Your password can't be a commonly used password such as admin123 or a name followed by digits.")
