from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from grids.models import Grid
from grids.selectors import grid_coverage_problems


class Command(BaseCommand):
    help = "Report overlaps between sibling grids and gaps they leave in their parent (retired grids left out)."

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
                raise CommandError(_("No grid with code %(code)s") % {"code": parent})
        problems = grid_coverage_problems(parents=parents, min_area_m2=min_area)
        for problem in problems:
            values = {
                "parent": problem.parent.code,
                "area": f"{problem.area_m2:.1f}",
                "where": f"{problem.where.x:.6f},{problem.where.y:.6f}",
            }
            if problem.kind == "overlap":
                first, second = problem.grids
                line = _("OVERLAP in %(parent)s: %(first)s × %(second)s, %(area)s m² near %(where)s")
                self.stdout.write(line % {**values, "first": first.code, "second": second.code})
            else:
                self.stdout.write(_("GAP in %(parent)s: %(area)s m² not covered near %(where)s") % values)
        if problems:
            raise CommandError(
                _("%(count)d problem(s) found (slivers under %(min)s m² ignored).")
                % {"count": len(problems), "min": f"{min_area:g}"}
            )
        self.stdout.write(self.style.SUCCESS(_("No overlaps or gaps between sibling grids.")))
