"""People's names written in Chinese: "我叫陳大文", "陳先生", "姓名: 黃美玲".

spaCy's English model cannot read Chinese, so Chinese names are found by their cues: a name
introduced by 我叫 / 我係 / 我是 / 姓名 / 名字 / 聯絡人 (a common surname and one or two more
characters), or a surname followed by a title (先生, 小姐, 太太, 女士, 生, 太; only the surname
is reported). A Chinese name with no cue ("陳大文 想投訴") is not found: without a word list of
given names it cannot be told from other words.
"""

from __future__ import annotations

from presidio_analyzer import Pattern

from crm_backend.privacy.recognizers.base import ModulePatternRecognizer

# The commonest Hong Kong surnames (about nine people in ten).
SURNAMES = (
    "陳黃李張梁劉林吳王何郭楊鄭羅謝曾麥鄧蔡馮周朱葉蕭潘袁許余趙彭盧容莫胡鍾林江譚蘇文"
    "黎石杜孔方關傅歐洪溫姚嚴鄺崔龐程勞區凌丁宋邱施伍麥韋"
)
_SURNAME = f"[{''.join(dict.fromkeys(SURNAMES))}]"
_HAN = r"[\u4e00-\u9fff]"
_CUE = r"(?:我叫|我係|我是|本人|姓名|名字|聯絡人|联络人|客人|顧客)\s*[:\uff1a]?\s*"
_TITLE = r"(?:先生|小姐|太太|女士|生|太|姑娘|經理|主任)"

PATTERNS = [
    Pattern("Chinese name after a cue", rf"(?<={_CUE}){_SURNAME}{_HAN}{{1,2}}", 0.6),
    Pattern("Chinese surname with a title", rf"{_SURNAME}(?={_TITLE})", 0.5),
]

CONTEXT = ["姓名", "名字", "叫", "先生", "小姐"]


class ZhNameRecognizer(ModulePatternRecognizer):
    """Chinese-script names after a cue, reported as ``PERSON``."""

    ENTITY = "PERSON"
    DEFAULT_PATTERNS = PATTERNS
    DEFAULT_CONTEXT = CONTEXT
