"""Forms of the leads pages: upload, column mapping, suppression paste."""

from django import forms

from campaigns import lead_fields

# Each choice names the merge tag the column fills; a custom field's tag is typed beside it.
FIELD_CHOICES = [
    ("", "Don't import"),
    *((token, f"{label} {{{{{token}}}}}") for token, (_, label) in lead_fields.STANDARD.items()),
    ("custom", "Custom field…"),
]


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
            is_custom = current and current not in lead_fields.STANDARD
            self.fields[f"col_{index}"] = forms.ChoiceField(
                choices=FIELD_CHOICES, required=False, initial="custom" if is_custom else current, label=header
            )
            suggestion = current if is_custom else lead_fields.custom_token(header, index)
            self.fields[f"token_{index}"] = forms.CharField(required=False, max_length=60, initial=suggestion)

    def columns(self):
        """(header, choice field, token field) for the template."""
        return [(h, self[f"col_{i}"], self[f"token_{i}"]) for i, h in enumerate(self.headers)]

    def clean(self):
        data, mapping, used = super().clean(), {}, {}
        for index, header in enumerate(self.headers):
            choice = data.get(f"col_{index}")
            token = (data.get(f"token_{index}") or "").strip() if choice == "custom" else choice
            problem = self._token_problem(token) if choice == "custom" else ""
            # Tags differing only in case ({{Industry}}, {{industry}}) would be two fields that read as one.
            if not problem and token and token.lower() in used:
                problem = f"“{header}” and “{used[token.lower()]}” both fill {{{{{token}}}}}; keep one."
            if problem:
                self.add_error(f"token_{index}" if choice == "custom" else f"col_{index}", problem)
            elif token:
                used[token.lower()], mapping[str(index)] = header, token
        if "email" not in mapping.values():
            raise forms.ValidationError("Choose the column that holds the email addresses.")
        data["mapping"] = mapping
        return data

    @staticmethod
    def _token_problem(token: str) -> str:
        if not lead_fields.TOKEN_NAME_RE.match(token):
            return "Letters, digits and _ only, starting with a letter: favouriteColour."
        if lead_fields.is_reserved(token):
            return f"“{token}” is a standard field; choose it from the list instead."
        return ""


class SuppressionForm(forms.Form):
    emails = forms.CharField(
        label="Addresses",
        widget=forms.Textarea(attrs={"rows": 5, "placeholder": "ada@example.com\nbob@example.org, carol@example.net"}),
        help_text="One or many: separated by new lines, commas, semicolons or spaces.",
        max_length=400_000,
    )
    note = forms.CharField(label="Note", required=False, max_length=500, help_text="Why (optional).")
