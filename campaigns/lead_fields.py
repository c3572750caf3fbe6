"""The lead's fields as people name them: standard tokens, header vocabulary, custom token names.

One place for what the import, its mapping form and the lead services must agree on.
Pure functions, no database.

- Standard fields are the Lead columns Leadterra knows (email, firstName, lastName,
  company, jobTitle); every other column becomes a custom field, named by a merge token.
- Header names are compared by their key: case-folded, accents removed, everything that
  is not a letter or digit dropped ("E-Mail", "e mail" and "EMAIL" are all "email";
  "Prénom" is "prenom").
- single_line() is what every single-line field holds once imported: the values may be
  used in a subject line, where a newline or an invisible character would do harm.
"""

from __future__ import annotations

import re
import unicodedata

# token -> (Lead attribute, label), in the order the mapping page lists them.
STANDARD = {
    "email": ("email", "Email"),
    "firstName": ("first_name", "First name"),
    "lastName": ("last_name", "Last name"),
    "company": ("company", "Company"),
    "jobTitle": ("job_title", "Job title"),
}
STANDARD_FIELDS = {token: attr for token, (attr, _) in STANDARD.items()}
TEXT_FIELDS = {token: attr for token, attr in STANDARD_FIELDS.items() if token != "email"}  # single-line text
TOKEN_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")  # what a merge tag's name may be
MAX_TOKEN_CHARS = 40

# Header keys (see header_key) -> standard token. English first, then French, German,
# Spanish, Italian, Portuguese, Dutch, and the Nordic, Central European and Russian
# spellings CRM exports use. A key belongs to one token only (a test holds this).
_VOCABULARY = {
    "email": """email emailaddress mail mailaddress workemail businessemail emailadresse mailadresse
        courriel adressecourriel adresseemail adressemail adresseelectronique
        correo correoelectronico direcciondecorreo direccionemail direcciondeemail
        postaelettronica indirizzoemail indirizzodiposta indirizzopostaelettronica
        enderecoemail enderecodeemail correioeletronico correioelectronico
        emailadres mailadres epost epostadresse epostadress sahkoposti adresemail
        электроннаяпочта почта""",
    "firstName": """firstname first givenname fname forename
        prenom
        vorname rufname
        nombre nombrepila
        nome primonome
        primeironome
        voornaam roepnaam
        fornavn fornamn etunimi imie jmeno keresztnev имя""",
    "lastName": """lastname last surname familyname lname
        nom nomdefamille
        nachname familienname zuname
        apellido apellidos
        cognome
        sobrenome apelido ultimonome
        achternaam familienaam
        efternavn efternamn etternavn sukunimi nazwisko prijmeni vezeteknev фамилия""",
    "company": """company companyname organization organisation account accountname employer
        societe entreprise nomdelentreprise nomdelasociete raisonsociale
        firma firmenname unternehmen unternehmensname
        empresa nombredelaempresa compania
        azienda societa ragionesociale nomeazienda
        companhia nomedaempresa organizacao
        bedrijf bedrijfsnaam onderneming organisatie
        foretag virksomhed yritys spolka компания организация""",
    "jobTitle": """jobtitle title position role jobrole designation jobposition
        poste fonction intituledeposte titredeposte
        berufsbezeichnung stellenbezeichnung jobbezeichnung funktion
        cargo puesto puestodetrabajo
        ruolo posizione qualifica mansione funzione
        funcao
        functie functietitel
        befattning stilling titel tehtava stanowisko pozice должность""",
}
HEADER_ALIASES = {token: frozenset(words.split()) for token, words in _VOCABULARY.items()}

# Characters a single-line value must not hold. Control characters (C0, DEL, C1) and the
# Unicode line/paragraph separators break a subject line: they become one space.
_BREAKS = r"\x00-\x1f\x7f-\x9f\u2028\u2029"
_BREAK_RUN_RE = re.compile(f"[ {_BREAKS}]*[{_BREAKS}][ {_BREAKS}]*")
# Invisible format characters (Unicode category Cf) are dropped: zero-width space, word
# joiner, BOM, soft hyphen, bidirectional embeddings, overrides and isolates (a value could
# reverse the rest of a subject line), tag characters (invisible text) … Kept: ZWNJ and ZWJ
# (U+200C/D: emoji sequences, Persian and Indic spelling need them) and the LRM, RLM and ALM
# marks (U+200E/F, U+061C: right-to-left names), except at the ends of a value where they
# mean nothing. Written out, not computed at start-up; a test compares it with unicodedata.
_INVISIBLE_RE = re.compile(
    "[\u00ad\u0600-\u0605\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b\u202a-\u202e\u2060-\u2064"
    "\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]"
)
# Letters that do not decompose into a base letter and an accent, spelled in ASCII for tag names.
_ASCII_SPELLING = str.maketrans(
    {"ß": "ss", "ẞ": "SS", "æ": "ae", "Æ": "Ae", "œ": "oe", "Œ": "Oe", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L"}
    | {"đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "þ": "th", "Þ": "Th", "ı": "i"}
)
KEPT_FORMAT = "\u200c\u200d\u200e\u200f\u061c"
_EDGES_RE = re.compile(f"^[\\s{KEPT_FORMAT}]+|[\\s{KEPT_FORMAT}]+$")


def header_key(header: str) -> str:
    """ "Prénom " -> "prenom", "E-Mail" -> "email", "Straße" -> "strasse"."""
    decomposed = unicodedata.normalize("NFKD", (header or "").casefold())
    return "".join(ch for ch in decomposed if ch.isalnum() and not unicodedata.combining(ch))


def standard_token(header: str) -> str:
    """The standard token a header names, or ''."""
    key = header_key(header)
    for token, aliases in HEADER_ALIASES.items():
        if key in aliases:
            return token
    return ""


def custom_token(header: str, index: int) -> str:
    """A merge-token name for a custom column.

    A header that already is a valid name is kept as it is ("industry", "lead_source",
    "ARR"); otherwise its words, accents removed, are joined in camelCase:
    "Annual revenue (€)" -> "annualRevenue", "Secteur d'activité" -> "secteurDActivite".
    A leading digit gets a "c" ("2024 spend" -> "c2024Spend"); a header with no Latin
    letters or digits ("Отрасль") becomes column<n>, its position in the file.
    """
    header = (header or "").strip()
    if TOKEN_NAME_RE.match(header) and len(header) <= MAX_TOKEN_CHARS:
        return header
    ascii_text = unicodedata.normalize("NFKD", header.translate(_ASCII_SPELLING)).encode("ascii", "ignore").decode()
    words = re.findall(r"[A-Za-z0-9]+", ascii_text)
    if not words:
        return f"column{index + 1}"
    token = words[0].lower() + "".join(w[:1].upper() + w[1:].lower() for w in words[1:])
    token = token if token[0].isalpha() else f"c{token}"
    return token[:MAX_TOKEN_CHARS]


def is_reserved(token: str) -> bool:
    """A standard field's name, in any case: a custom field must not shadow it."""
    return token.lower() in {t.lower() for t in STANDARD}


def unique_token(token: str, taken: set[str]) -> str:
    """`token`, or token2, token3 … : the first that differs, ignoring case, from `taken` and the standard names."""
    lowered = {t.lower() for t in taken}
    candidate, n = token, 1
    while candidate.lower() in lowered or is_reserved(candidate):
        n += 1
        candidate = f"{token[: MAX_TOKEN_CHARS - len(str(n))]}{n}"
    return candidate


def single_line(value) -> str:
    """The value as a single-line field stores it: line breaks and control characters as one
    space, invisible format characters removed (see above), composed (NFC), trimmed."""
    text = "" if value is None else str(value)
    if text.isascii() and text.isprintable():
        return text.strip()  # the common case, kept fast for large imports
    text = _BREAK_RUN_RE.sub(" ", unicodedata.normalize("NFC", _INVISIBLE_RE.sub("", text)))
    return _EDGES_RE.sub("", text)
