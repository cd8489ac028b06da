"""Writes of the campaigns: the cases a campaign counts, by rule and by hand.

The rule (campaigns.selectors.campaign_rule_cases) is applied as a whole each time: the cases it
matches now are tagged, rule tags it no longer matches (a case filed under another subcategory)
are dropped, and tags made by hand, in or out, are left as they are. So it can run at any time,
as often as wanted: every few minutes by the beat, and before a campaign's figures are read.
"""

from __future__ import annotations

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import Campaign, CampaignCase, How
from campaigns.selectors import campaign_rule_cases
from cases.models import Case
from cases.scope import may_see
from config.errors import ApplicationError

RECENT_DAYS = 120  # campaigns that ended longer ago are not re-tagged by the periodic job


class CampaignError(ApplicationError):
    """A tag that cannot be changed (400)."""


class CampaignCaseNotFound(ApplicationError):
    status_code = 404
    code = "not_found"


def campaign_tag_by_rule(*, campaign: Campaign, now: datetime.datetime | None = None) -> tuple[int, int]:
    """Bring the campaign's rule tags in step with its rule; returns (added, dropped)."""
    if not campaign.by_rule:
        return 0, 0
    now = now or timezone.now()
    matching = set(campaign_rule_cases(campaign=campaign).values_list("pk", flat=True))
    tags = dict(CampaignCase.objects.filter(campaign=campaign).values_list("case_id", "how"))
    added = sorted(matching - set(tags))
    dropped = [case_id for case_id, how in tags.items() if how == How.RULE and case_id not in matching]
    with transaction.atomic():
        if dropped:
            CampaignCase.objects.filter(campaign=campaign, how=How.RULE, case_id__in=dropped).delete()
        CampaignCase.objects.bulk_create(
            [CampaignCase(campaign=campaign, case_id=case_id, how=How.RULE, at=now) for case_id in added],
            batch_size=500,
            ignore_conflicts=True,  # a tag made meanwhile (by hand, or another run) stays as it is
        )
    return len(added), len(dropped)


def campaigns_tag_by_rule(*, now: datetime.datetime | None = None) -> int:
    """Every campaign under way or recently over: its rule tags in step (the periodic job)."""
    now = now or timezone.now()
    since = timezone.localdate(now) - datetime.timedelta(days=RECENT_DAYS)
    total = 0
    for campaign in Campaign.objects.filter(by_rule=True, ends_on__gte=since).prefetch_related("grids", "categories"):
        added, dropped = campaign_tag_by_rule(campaign=campaign, now=now)
        total += added + dropped
    return total


def _case_for(value, actor) -> Case:
    """A case by id or tracking number, if `actor` may see it (else: not found)."""
    text = str(value or "").strip()
    case = None
    if text.isdigit() and len(text) < 12:
        case = Case.objects.filter(pk=int(text)).first()
    elif text:
        case = Case.objects.filter(tracking_number=text).first()
    if case is None or not may_see(user=actor, case_id=case.pk):
        raise CampaignCaseNotFound(_("No such case, or not one you may see."))
    return case


def campaign_tag(*, campaign: Campaign, case, actor, counted: bool = True) -> CampaignCase:
    """Put a case into the campaign by hand (`counted`), or take it out (it stays out, whatever the
    rule says). `case`: a Case, its id or its tracking number."""
    case = _case_for(case.pk if isinstance(case, Case) else case, actor)
    how = How.HAND if counted else How.EXCLUDED
    now = timezone.now()
    try:
        with transaction.atomic():
            tag, _created = CampaignCase.objects.update_or_create(
                campaign=campaign, case=case, defaults={"how": how, "by": actor, "at": now}
            )
    except IntegrityError:  # the rule tagged it at the same moment: take it as it is now
        tag = CampaignCase.objects.get(campaign=campaign, case=case)
        CampaignCase.objects.filter(pk=tag.pk).update(how=how, by=actor, at=now)
        tag.refresh_from_db()
    return tag
