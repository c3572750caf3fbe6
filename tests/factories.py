import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from campaigns.models import Campaign, Lead, SequenceStep


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "pw-for-tests")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))
        if create:
            self.save()


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"Campaign {n}")
    owner = factory.SubFactory(UserFactory, role="SDR")


class StepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SequenceStep

    campaign = factory.SubFactory(CampaignFactory)
    position = factory.Sequence(lambda n: n + 1)
    subject = "Hi {{firstName}}"
    body_html = "<p>Hello {{firstName}} at {{company}}</p>"
    delay_days = 0


class LeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lead

    campaign = factory.SubFactory(CampaignFactory)
    email = factory.Sequence(lambda n: f"lead{n}@example.com")
    first_name = "Ada"
    last_name = "Lovelace"
    company = "Analytical Engines"
    job_title = "CTO"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        """As the services do: a lead added keeps its campaign's stored count exact."""
        from campaigns.services.lead_counts import lead_count_refresh

        lead = super()._create(model_class, *args, **kwargs)
        lead_count_refresh(campaign_id=lead.campaign_id)
        return lead
