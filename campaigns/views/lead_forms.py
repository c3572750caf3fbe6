"""Forms of the leads area: upload, column mapping, suppression paste."""

from django import forms

from campaigns.services.csv_import import STANDARD_TOKENS, TOKEN_NAME_RE, suggest_custom_token

FIELD_CHOICES = [
    ("", "Don't import"),
    ("email", "Email"),
    ("firstName", "First name"),
    ("lastName", "Last name"),
    ("company", "Company"),
    ("jobTitle", "Job title"),
    ("custom", "Custom field…"),
]
RESERVED = {t.lower() for t in STANDARD_TOKENS}


class UploadForm(forms.Form):
    # Empty files reach the import service, which explains what it expected.
    file = forms.FileField(
        label="CSV file", allow_empty_file=True, widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.tsv"})
    )


class MappingForm(forms.Form):
    """One "what is this column" choice per column, and a token name for custom columns."""

    def __init__(self, *args, headers: list[str], mapping: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.headers = headers
        for index, header in enumerate(headers):
            current = mapping.get(str(index), "")
            is_custom = current and current not in STANDARD_TOKENS
            self.fields[f"col_{index}"] = forms.ChoiceField(
                choices=FIELD_CHOICES, required=False, initial="custom" if is_custom else current, label=header
            )
            self.fields[f"token_{index}"] = forms.CharField(
                required=False, max_length=60, initial=current if is_custom else suggest_custom_token(header, index)
            )

    def columns(self):
        """(header, choice field, token field) for the template."""
        return [(h, self[f"col_{i}"], self[f"token_{i}"]) for i, h in enumerate(self.headers)]

    def clean(self):
        data, mapping, used = super().clean(), {}, {}
        for index, header in enumerate(self.headers):
            choice = data.get(f"col_{index}")
            if not choice:
                continue
            token = choice
            if choice == "custom":
                token = (data.get(f"token_{index}") or "").strip()
                if not TOKEN_NAME_RE.match(token):
                    message = "Letters, digits and _ only, starting with a letter: favouriteColour."
                    self.add_error(f"token_{index}", message)
                    continue
                if token.lower() in RESERVED:
                    self.add_error(f"token_{index}", f"“{token}” is a standard field; choose it from the list instead.")
                    continue
            if token in used:
                self.add_error(f"col_{index}", f"“{header}” and “{used[token]}” both fill {token}; keep one.")
                continue
            used[token], mapping[str(index)] = header, token
        if "email" not in mapping.values():
            raise forms.ValidationError("Choose the column that holds the email addresses.")
        data["mapping"] = mapping
        return data


class SuppressionForm(forms.Form):
    emails = forms.CharField(
        label="Addresses",
        widget=forms.Textarea(attrs={"rows": 5, "placeholder": "ada@example.com\nbob@example.org, carol@example.net"}),
        help_text="One or many: separated by new lines, commas, semicolons or spaces.",
        max_length=400_000,
    )
    note = forms.CharField(label="Note", required=False, max_length=500, help_text="Why (optional).")
