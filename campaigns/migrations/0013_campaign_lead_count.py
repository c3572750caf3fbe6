# The stored lead count: added, then filled from the leads already there.

from django.db import migrations, models
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce


def count_leads(apps, schema_editor):
    Campaign, Lead = apps.get_model("campaigns", "Campaign"), apps.get_model("campaigns", "Lead")
    counted = Lead.objects.filter(campaign=OuterRef("pk")).order_by().values("campaign").annotate(n=Count("pk"))
    Campaign.objects.update(lead_count=Coalesce(Subquery(counted.values("n")[:1]), 0))


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0012_lead_indexes_imports_pay_for"),
    ]

    operations = [
        migrations.AddField(
            model_name="campaign",
            name="lead_count",
            field=models.PositiveIntegerField(default=0, help_text="Leads in the campaign (any status)."),
        ),
        migrations.RunPython(count_leads, migrations.RunPython.noop),
    ]
