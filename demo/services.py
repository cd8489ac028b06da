"""Loading the demo county: its territory, the demo logins, the case catalogue and its
component inventory, each through its app's public path (grids.services.grid_import, as for an
uploaded GeoJSON file; the catalogue loaders of cases.catalogue, as `manage.py load_catalogue`;
assets.services.asset_import, as `manage.py import_assets`). Everything upserts by code or
username, so loading it again changes nothing. The case history is demo.history's; the devices
and their alerts, the campaign, the census and the reports about assets, which need that
history's people, are loaded after it (demo_extras_load).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from assets.services import ImportSummary as AssetSummary
from assets.services import asset_import
from cases.catalogue import LoadSummary, catalogue_load, departments_load
from demo.bulletin import demo_bulletin_load
from demo.cameras import demo_cameras_load
from demo.campaign import demo_asset_reports_load, demo_campaign_load, demo_census_load
from demo.centers import demo_centers_save, demo_escalations_load, demo_patrol_reports_load
from demo.exchange import demo_exchange_load
from demo.gazetteer import build_demo_gazetteer
from demo.history import _quiet, _tasks_in_process
from demo.inventory import build_demo_inventory
from demo.logins import logins_save, place_logins_for
from demo.regions import demo_catalogue_text, demo_region_classes_ensure
from demo.roads import build_demo_roads, road_through
from demo.territory import DEMO_SEED, build_demo_county
from gazetteer.services import GazetteerSummary, gazetteer_import
from grids.roads import road_import
from grids.services import ImportSummary, Progress, grid_import


@dataclass(frozen=True)
class CountySummary:
    grids: ImportSummary
    departments: LoadSummary
    categories: LoadSummary
    assets: AssetSummary
    gazetteer: GazetteerSummary | None = None


def demo_county_load(*, password: str, seed: int = DEMO_SEED, progress: Progress | None = None) -> CountySummary:
    """Build the demo county and write it, the demo logins (all with `password`), the departments
    and the catalogue in one transaction. Raises grids.services.GridImportError (or
    cases.catalogue.CatalogueError) with nothing written."""
    county = build_demo_county(seed=seed)
    with transaction.atomic():
        demo_region_classes_ensure()  # the micro grids name them (一类/二类/三类, 农村区域)
        grids = grid_import(data=county.geojson, progress=progress)
        departments = departments_load()
        categories = catalogue_load(text=demo_catalogue_text())
        assets = asset_import(data=build_demo_inventory(county.geojson))
        roads = build_demo_roads(county.geojson, seed=seed)
        road_import(data=roads)
        gazetteer = gazetteer_import(data=build_demo_gazetteer(county.geojson))
        logins_save(
            chiefs=county.chiefs,
            staff_names=county.staff_names,
            password=password,
            places=place_logins_for(county.geojson, county.chiefs["micro"]),
            road=road_through(roads, county.geojson, county.chiefs["micro"]),
        )
        demo_centers_save(geojson=county.geojson, operator_large=county.chiefs["large"])
    return CountySummary(
        grids=grids, departments=departments, categories=categories, assets=assets, gazetteer=gazetteer
    )


@dataclass(frozen=True)
class ExtrasSummary:
    keys: dict[str, str]  # the device keys made this time: shown once
    system_keys: dict[str, str]  # the upstream systems' keys made this time: shown once
    campaign: str
    census: str | None
    asset_reports: int


def demo_extras_load() -> ExtrasSummary:
    """The cameras, the sensor and their alerts, the 12345 hotline and the higher-level platform with
    their orders, the clean-up campaign, the census and a few reports about assets; each once
    (running it again adds nothing)."""
    # As the history: the snapshots' derivatives made here and now, their log lines not worth reading.
    with _quiet("cases.notifications", "cases.photos", "celery.app.trace"), _tasks_in_process(), transaction.atomic():
        keys = demo_cameras_load()
        system_keys = demo_exchange_load()
        reports = demo_asset_reports_load()
        census = demo_census_load()
        demo_escalations_load()  # 上报 / 交办 between the town's center and the county's
        demo_patrol_reports_load()  # a street chief's report from patrol
        campaign = demo_campaign_load()  # it counts the cases the others made too
        demo_bulletin_load()  # last: its published issues freeze the figures of all of the above
    return ExtrasSummary(keys, system_keys, campaign.name, census.name if census else None, reports)
