"""Lead fields as people name them: header vocabulary, custom tag names, single-line values."""

import itertools

import pytest

from campaigns import lead_fields
from campaigns.lead_fields import custom_token, single_line, standard_token, unique_token

# (header as exported, standard token): English, French, German, Spanish, Italian, Portuguese, Dutch.
HEADERS = [
    ("Email", "email"),
    ("E-mail", "email"),
    ("Email Address", "email"),
    ("first name", "firstName"),
    ("firstName", "firstName"),
    ("first_name", "firstName"),
    ("Surname", "lastName"),
    ("Organisation", "company"),
    ("Job Title", "jobTitle"),
    ("Prénom", "firstName"),
    ("PRENOM", "firstName"),
    ("prénom :", "firstName"),
    ("Nom", "lastName"),
    ("Nom de famille", "lastName"),
    ("Société", "company"),
    ("Entreprise", "company"),
    ("Nom de l'entreprise", "company"),
    ("Poste", "jobTitle"),
    ("Fonction", "jobTitle"),
    ("Intitulé de poste", "jobTitle"),
    ("Courriel", "email"),
    ("Adresse e-mail", "email"),
    ("Vorname", "firstName"),
    ("Nachname", "lastName"),
    ("Firma", "company"),
    ("Unternehmen", "company"),
    ("Position", "jobTitle"),
    ("Berufsbezeichnung", "jobTitle"),
    ("E-Mail", "email"),
    ("E-Mail-Adresse", "email"),
    ("Nombre", "firstName"),
    ("Apellidos", "lastName"),
    ("Empresa", "company"),
    ("Compañía", "company"),
    ("Cargo", "jobTitle"),
    ("Puesto", "jobTitle"),
    ("Correo electrónico", "email"),
    ("Nome", "firstName"),
    ("Cognome", "lastName"),
    ("Azienda", "company"),
    ("Società", "company"),
    ("Ruolo", "jobTitle"),
    ("Indirizzo e-mail", "email"),
    ("Primeiro nome", "firstName"),
    ("Sobrenome", "lastName"),
    ("Função", "jobTitle"),
    ("Endereço de e-mail", "email"),
    ("Voornaam", "firstName"),
    ("Achternaam", "lastName"),
    ("Bedrijfsnaam", "company"),
    ("Functie", "jobTitle"),
    ("E-mailadres", "email"),
    ("  Vor-Name\t", "firstName"),
    ("Favourite colour", ""),
    ("Name", ""),  # a full name is not a first name: it stays a custom field
    ("Industry", ""),
]


@pytest.mark.parametrize(("header", "token"), HEADERS)
def test_headers_in_the_main_european_languages_name_the_standard_fields(header, token):
    assert standard_token(header) == token


def test_no_header_spelling_belongs_to_two_fields():
    for (a, words_a), (b, words_b) in itertools.combinations(lead_fields.HEADER_ALIASES.items(), 2):
        assert not words_a & words_b, f"{a} and {b} share {words_a & words_b}"


def test_every_alias_is_written_as_its_own_key():
    """An alias with an accent or a capital could never match: keys are folded before lookup."""
    for words in lead_fields.HEADER_ALIASES.values():
        assert [w for w in words if lead_fields.header_key(w) != w] == []


@pytest.mark.parametrize(
    ("header", "index", "token"),
    [
        ("industry", 0, "industry"),
        ("lead_source", 1, "lead_source"),  # already a tag name: kept as it is
        ("ARR", 1, "ARR"),
        ("Annual revenue (€)", 2, "annualRevenue"),
        ("Favourite colour", 3, "favouriteColour"),
        ("Secteur d'activité", 0, "secteurDActivite"),
        ("Größe der Firma", 0, "grosseDerFirma"),
        ("Ærø Łódź", 0, "aeroLodz"),
        ("2024 spend", 0, "c2024Spend"),
        ("€€", 4, "column5"),
        ("Отрасль", 6, "column7"),
        ("", 0, "column1"),
        ("A very long header that somebody typed as a full sentence", 0, "aVeryLongHeaderThatSomebodyTypedAsAFullS"),
    ],
)
def test_custom_columns_get_a_valid_tag_name_from_their_header(header, index, token):
    assert custom_token(header, index) == token
    assert lead_fields.TOKEN_NAME_RE.match(token) and len(token) <= lead_fields.MAX_TOKEN_CHARS


def test_a_tag_name_taken_in_any_case_or_standard_gets_a_number():
    assert unique_token("industry", set()) == "industry"
    assert unique_token("industry", {"Industry"}) == "industry2"
    assert unique_token("industry", {"industry", "industry2"}) == "industry3"
    assert unique_token("email", set()) == "email2"
    assert unique_token("Company", {"company2"}) == "Company3"
    long = "x" * lead_fields.MAX_TOKEN_CHARS
    assert unique_token(long, {long}) == "x" * (lead_fields.MAX_TOKEN_CHARS - 1) + "2"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Multi\nLine Co", "Multi Line Co"),
        ("Multi\r\nLine\r\n\r\nCo", "Multi Line Co"),
        ("  Ada \t Lovelace  ", "Ada Lovelace"),
        ("Acme\x00\x07\x1b[31m Inc", "Acme [31m Inc"),
        ("Acme\x85\x9bInc", "Acme Inc"),  # C1 controls, NEL included
        ("Line\u2028Para\u2029End", "Line Para End"),
        ("\u200bZero\u200bwidth\ufeff", "Zerowidth"),
        ("soft\u00adhyphen", "softhyphen"),
        ("Acme\u202e,ereht", "Acme,ereht"),  # a right-to-left override would reverse the subject after it
        ("\u2066isolated\u2069", "isolated"),
        ("👩\u200d💻 Dev", "👩\u200d💻 Dev"),  # ZWJ builds the emoji: kept
        ("می\u200cخواهم", "می\u200cخواهم"),  # ZWNJ is Persian spelling: kept
        ("\u200dAda\u200c", "Ada"),  # but not at the ends
        ("\u200f\u05e9\u05dc\u05d5\u05dd", "\u05e9\u05dc\u05d5\u05dd"),
        ("Mu\u0308ller", "Müller"),  # composed, as a search for "Müller" expects
        ("Ada  Lovelace", "Ada  Lovelace"),  # plain spaces a person typed are theirs
        ("\u00a0Ada\u00a0Lovelace\u00a0", "Ada\u00a0Lovelace"),
        ("\n\t ", ""),
        (None, ""),
        ("Plain", "Plain"),
    ],
)
def test_single_line_fields_hold_no_breaks_controls_or_stray_invisibles(raw, clean):
    assert single_line(raw) == clean


def test_every_invisible_format_character_but_the_kept_ones_is_dropped():
    import sys
    import unicodedata

    invisible = [chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cf"]
    dropped = [ch for ch in invisible if single_line(f"a{ch}b") == "ab"]
    kept = [ch for ch in invisible if single_line(f"a{ch}b") == f"a{ch}b"]
    assert sorted(kept) == sorted(lead_fields.KEPT_FORMAT)
    assert len(dropped) + len(kept) == len(invisible)
