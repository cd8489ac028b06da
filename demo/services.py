"""Loading the demo county: its territory, the demo logins and the case catalogue, each through
its app's public path (grids.services.grid_import, as for an uploaded GeoJSON file; the
catalogue loaders of cases.catalogue, as `manage.py load_catalogue`). Everything upserts by
code or username, so loading it again changes nothing. The case history is demo.history's.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from cases.catalogue import LoadSummary, catalogue_load, departments_load
from demo.logins import logins_save
from demo.territory import DEMO_SEED, build_demo_county
from grids.services import ImportSummary, Progress, grid_import


@dataclass(frozen=True)
class CountySummary:
    grids: ImportSummary
    departments: LoadSummary
    categories: LoadSummary


def demo_county_load(*, password: str, seed: int = DEMO_SEED, progress: Progress | None = None) -> CountySummary:
    """Build the demo county and write it, the demo logins (all with `password`), the departments
    and the catalogue in one transaction. Raises grids.services.GridImportError (or
    cases.catalogue.CatalogueError) with nothing written."""
    county = build_demo_county(seed=seed)
    with transaction.atomic():
        grids = grid_import(data=county.geojson, progress=progress)
        departments = departments_load()
        categories = catalogue_load()
        logins_save(chiefs=county.chiefs, staff_names=county.staff_names, password=password)
    return CountySummary(grids=grids, departments=departments, categories=categories)
