from django.core.management.base import BaseCommand, CommandError

from grids.models import Grid
from grids.selectors import grid_coverage_problems


class Command(BaseCommand):
    help = "Report overlaps between sibling grids and gaps they leave in their parent."

    def add_arguments(self, parser):
        parser.add_argument("--parent", help="check only the children of this grid code")
        parser.add_argument(
            "--min-area", type=float, default=1.0, help="ignore slivers smaller than this many m² (default 1)"
        )

    def handle(self, *args, parent=None, min_area: float, **options):
        parents = None
        if parent:
            parents = Grid.objects.filter(code=parent)
            if not parents.exists():
                raise CommandError(f"No grid with code {parent}")
        problems = grid_coverage_problems(parents=parents, min_area_m2=min_area)
        for problem in problems:
            where = f"near {problem.where.x:.6f},{problem.where.y:.6f}"
            if problem.kind == "overlap":
                first, second = problem.grids
                self.stdout.write(
                    f"OVERLAP in {problem.parent.code}: {first.code} × {second.code}, {problem.area_m2:.1f} m² {where}"
                )
            else:
                self.stdout.write(f"GAP in {problem.parent.code}: {problem.area_m2:.1f} m² not covered {where}")
        if problems:
            raise CommandError(f"{len(problems)} problem(s) found (slivers under {min_area:g} m² ignored).")
        self.stdout.write(self.style.SUCCESS("No overlaps or gaps between sibling grids."))
