"""Which encoding a CSV export is in: a BOM, UTF-8, charset-normalizer, then Windows-1252.

Spreadsheets and CRMs export in the encoding of the machine's locale: Windows-1252 in
Western Europe, Windows-1250 or ISO-8859-2 in Poland and Czechia, Windows-1251 for
Cyrillic, Shift-JIS (Windows' CP932) in Japan, UTF-16 from Excel's "Unicode text".

Only the lines of the file's first DETECT_BYTES that are not UTF-8 are examined.
charset-normalizer proposes the encodings that read them without mess. On a CSV of a few
names it often finds several equally clean ones (Windows-1250 reads Spanish "Muñoz" as
"Muńoz"; Windows-1252 reads Czech "Dvořák" as "Dvoøák"), so among its proposals, and
Windows-1252, we take the reading with the fewest words that no language spells that way
(see _oddities) and, on a tie, the encoding most common in exports.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

from charset_normalizer import from_bytes

DETECT_BYTES = 256 * 1024  # how much of the file the detection reads
EVIDENCE_BYTES = 16 * 1024  # of which non-UTF-8 lines are weighed (enough for hundreds of names)
WESTERN = "utf-8"  # UTF-8, each byte it rejects read as Windows-1252 (see csv_import)
# The encodings we consider, most common in exports first (the order breaks ties).
CANDIDATES = [
    "cp1252",
    "cp1250",
    "iso8859_2",
    "cp1251",
    "cp1254",
    "cp1257",
    "cp1253",
    "koi8_r",
    "cp932",
    "euc_jp",
    "gb18030",
    "big5",
    "euc_kr",
]
# Weighed even when charset-normalizer does not propose them: on a few short lines its
# mess threshold can reject every reading, and these are the European exports' encodings.
ALWAYS_WEIGHED = ["cp1252", "cp1250", "iso8859_2", "cp1251"]
LABELS = {
    "utf-8": "UTF-8 / Windows-1252",
    "utf-8-sig": "UTF-8 (with BOM)",
    "utf-16": "UTF-16",
    "utf-32": "UTF-32",
    "cp1250": "Windows-1250 (Central European)",
    "iso8859_2": "ISO-8859-2 (Central European)",
    "cp1251": "Windows-1251 (Cyrillic)",
    "cp1257": "Windows-1257 (Baltic)",
    "cp1254": "Windows-1254 (Turkish)",
    "cp1253": "Windows-1253 (Greek)",
    "koi8_r": "KOI8-R (Cyrillic)",
    "cp932": "Shift-JIS (Japanese)",
    "euc_jp": "EUC-JP (Japanese)",
    "gb18030": "GB18030 (Chinese)",
    "big5": "Big5 (Chinese)",
    "euc_kr": "EUC-KR (Korean)",
}
MIXED_NOTE = "This file mixes UTF-8 and Windows-1252 text; each part was read in its own encoding."
VALID_UTF8_MULTIBYTE = re.compile(
    rb"[\xC2-\xDF][\x80-\xBF]|\xE0[\xA0-\xBF][\x80-\xBF]|[\xE1-\xEF][\x80-\xBF]{2}|\xF0[\x90-\xBF][\x80-\xBF]{2}"
)
# The accented letters of the languages written in Latin script, one alphabet each: a word
# whose accented letters no single alphabet holds ("Dvoøák") was probably misread.
_ALPHABETS = [
    set(letters)
    for letters in (
        "äöüß",  # German
        "àâæçéèêëîïôœùûü",  # French
        "áéíñóúü",  # Spanish
        "àçèéíïòóúü",  # Catalan
        "àèéìíîòóùú",  # Italian
        "áâãàçéêíóôõú",  # Portuguese
        "éëïóöüè",  # Dutch
        "æøåé",  # Danish, Norwegian
        "åäöé",  # Swedish, Finnish
        "áðéíóúýþæö",  # Icelandic
        "ąćęłńóśźż",  # Polish
        "áčďéěíňóřšťúůýž",  # Czech
        "áäčďéíĺľňóôŕšťúýž",  # Slovak
        "áéíóöőúüű",  # Hungarian
        "ăâîșțşţ",  # Romanian
        "čćđšž",  # Croatian, Serbian, Bosnian, Slovene
        "çğıöşüâîû",  # Turkish
        "ąčęėįšųūž",  # Lithuanian
        "āčēģīķļņšūž",  # Latvian
        "äõöüšž",  # Estonian
    )
]
# Japanese mixes kanji, kana and enclosed signs ("㈱") in one word: one script for our purpose.
_SCRIPT_GROUPS = dict.fromkeys(["HIRAGANA", "KATAKANA", "HALFWIDTH", "FULLWIDTH", "PARENTHESIZED", "CIRCLED"], "CJK")


def label(codec: str) -> str:
    return LABELS.get(codec, codec)


def _script(ch: str) -> str:
    if ch.isascii():
        return "LATIN"
    word = unicodedata.name(ch, "?").split()[0]
    return _SCRIPT_GROUPS.get(word, word)


def _oddities(text: str) -> int:
    """How many places read as no language is written: a misread encoding's fingerprint.

    Counts words that mix scripts, Latin words whose accents no one alphabet holds, words
    with a capital after a small letter among accented letters ("иБЮМ"), symbols before a
    letter ("£ukasz", "¦wi±tek") and control or unassigned characters.
    """
    odd = 0
    for word in re.findall(r"[^\W\d_]+", text):
        if word.isascii():
            continue
        scripts = {_script(ch) for ch in word}
        accented = {ch for ch in word.lower() if not ch.isascii() and not unicodedata.combining(ch)}
        if len(scripts) > 1 or (scripts == {"LATIN"} and not any(accented <= a for a in _ALPHABETS)):
            odd += 1
        if any(a.islower() and b.isupper() for a, b in zip(word, word[1:], strict=False)):
            odd += 1
    for i, ch in enumerate(text):
        if ch.isascii():
            continue
        category = unicodedata.category(ch)
        if category in ("Cc", "Co", "Cn"):
            odd += 3
        elif (category[0] == "S" or category == "No") and _script(ch) != "CJK":
            odd += text[i + 1 : i + 2].isalpha()  # "Acme®" is spelled so, "£ukasz" is not
    return odd


def _foreign_lines(prefix: bytes) -> tuple[bytes, bool]:
    """(the prefix's lines that are not UTF-8, up to EVIDENCE_BYTES; whether others are UTF-8 with accents)."""
    foreign, utf8_accents, size = [], False, 0
    for line in prefix.splitlines():
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            utf8_accents = True
        except UnicodeDecodeError:
            foreign.append(line)
            size += len(line) + 1
            if size >= EVIDENCE_BYTES:
                break
    return b"\n".join(foreign), utf8_accents


def _best_reading(evidence: bytes) -> str:
    """The candidate encoding that reads `evidence` best (charset-normalizer's proposals and ALWAYS_WEIGHED)."""
    proposed = set(ALWAYS_WEIGHED)
    for match in from_bytes(evidence, cp_isolation=CANDIDATES, threshold=0.5):
        proposed.update(name for name in match.could_be_from_charset if name in CANDIDATES)

    def badness(codec: str) -> tuple[int, int]:
        try:
            text = evidence.decode(codec)
        except UnicodeDecodeError:
            return (1 << 30, 0)
        return (_oddities(text), CANDIDATES.index(codec))

    return min(proposed, key=badness)


def detect(sample: bytes) -> tuple[str, str, list[str]]:
    """(Python codec, label for the uploader, notes) for a file that starts with `sample`.

    The codec "utf-8" stands for UTF-8 with Windows-1252 for the bytes UTF-8 rejects.
    """
    if sample.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32", "UTF-32", []
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", "UTF-8 (with BOM)", []
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", "UTF-16", []
    prefix = sample[:DETECT_BYTES]
    try:
        codecs.getincrementaldecoder("utf-8")().decode(prefix, final=False)
        return WESTERN, "UTF-8", []
    except UnicodeDecodeError:
        pass
    evidence, utf8_accents = _foreign_lines(prefix)
    codec = _best_reading(evidence)
    if codec != "cp1252":
        notes = []
        if utf8_accents:
            notes.append(
                f"Some lines of this file are UTF-8 and others {label(codec)}; all were read as {label(codec)}. "
                "If names look wrong below, save the file as “CSV UTF-8” and upload it again."
            )
        return codec, label(codec), notes
    if VALID_UTF8_MULTIBYTE.search(prefix):
        return WESTERN, "Mixed UTF-8 / Windows-1252", [MIXED_NOTE]
    return WESTERN, "Windows-1252 / Latin-1", []
