"""Leads imported before single-line cleaning may hold line breaks and control characters in
fields that reach subject lines; clean them as an import now does. Only changed rows are written."""

from django.db import migrations

from campaigns.lead_fields import single_line

ATTRS = ["first_name", "last_name", "company", "job_title"]
CHUNK = 2000


def _clean(lead) -> bool:
    changed = False
    for attr in ATTRS:
        value = single_line(getattr(lead, attr))
        if value != getattr(lead, attr):
            setattr(lead, attr, value[:200])
            changed = True
    if isinstance(lead.custom_fields, dict):
        custom = {k: single_line(v) if isinstance(v, str) else v for k, v in lead.custom_fields.items()}
        if custom != lead.custom_fields:
            lead.custom_fields, changed = custom, True
    return changed


def clean_leads(apps, schema_editor):
    Lead = apps.get_model("campaigns", "Lead")
    batch = []
    for lead in Lead.objects.only("pk", *ATTRS, "custom_fields").iterator(chunk_size=CHUNK):
        if _clean(lead):
            batch.append(lead)
        if len(batch) >= CHUNK:
            Lead.objects.bulk_update(batch, [*ATTRS, "custom_fields"])
            batch = []
    Lead.objects.bulk_update(batch, [*ATTRS, "custom_fields"])


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0006_content_sanitise_bodies")]
    operations = [migrations.RunPython(clean_leads, migrations.RunPython.noop, elidable=True)]
