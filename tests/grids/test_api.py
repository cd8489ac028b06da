import datetime

import pytest
from django.urls import reverse

from accounts.roles import Role
from grids.models import Level, PlaceKind
from tests.grids.factories import GridFactory, PersonFactory, PlaceFactory, build_tree, square

pytestmark = pytest.mark.django_db

# Session + user for the authentication, then the view's own queries.
AUTH_QUERIES = 2


@pytest.fixture
def api(client, make_user):
    client.force_login(make_user("dispatcher", Role.DISPATCHER))
    return client


@pytest.fixture
def tree():
    return build_tree()


def features(client, parent=None):
    url = reverse("grids_api:features")
    return client.get(url, {"parent": parent} if parent is not None else {})


def locate(client, **params):
    return client.get(reverse("grids_api:locate"), params)


# ---- anonymous -----------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/api/grids/features/",
        "/api/grids/features/?parent=1",
        "/api/grids/1/",
        "/api/grids/locate/?lon=118.605&lat=34.905",
    ],
)
def test_it_refuses_anonymous_users(client, tree, url):
    response = client.get(url)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_authenticated"


# ---- features ------------------------------------------------------------


def test_it_returns_the_top_level_as_geojson(api, tree):
    response = features(api)
    assert response.status_code == 200
    data = response.json()
    assert data["type"] == "FeatureCollection"
    assert data["parent"] is None
    [feature] = data["features"]
    assert feature["type"] == "Feature"
    assert feature["geometry"]["type"] == "MultiPolygon"
    district = tree["district"]
    assert feature["properties"] == {
        "id": district.pk,
        "code": "D1",
        "name": district.name,
        "level": "district",
        "level_label": "区/街道",
        "chief": "D1长",
        "child_count": 1,
        "area_m2": round(district.area_m2, 1),
        "label_point": feature["properties"]["label_point"],
    }


def test_it_returns_the_children_of_a_grid(api, tree):
    data = features(api, tree["community"].pk).json()
    assert data["parent"] == tree["community"].pk
    props = [feature["properties"] for feature in data["features"]]
    assert [(p["code"], p["level"], p["chief"], p["child_count"]) for p in props] == [
        ("M1", "micro", "M1长", 0),
        ("M2", "micro", "M2长", 0),
    ]


def test_it_sends_closed_rings_with_a_label_inside(api, tree):
    [m1, _m2] = features(api, tree["community"].pk).json()["features"]
    [[ring]] = m1["geometry"]["coordinates"]
    assert ring[0] == ring[-1]
    assert {tuple(point) for point in ring} == {(118.6, 34.9), (118.61, 34.9), (118.61, 34.91), (118.6, 34.91)}
    x, y = m1["properties"]["label_point"]
    assert 118.60 < x < 118.61
    assert 34.90 < y < 34.91


def test_it_simplifies_boundaries_with_needless_vertices(api, tree):
    from django.contrib.gis.geos import MultiPolygon, Polygon

    # A square whose edges carry 400 almost collinear vertices.
    bottom = [(118.62 + i * 0.00005, 34.90 + (0.0000001 if i % 2 else 0)) for i in range(200)]
    top = [(118.63 - i * 0.00005, 34.91) for i in range(200)]
    ring = [*bottom, (118.63, 34.90), *top, (118.62, 34.91), bottom[0]]
    GridFactory(level=Level.MICRO, code="M3", parent=tree["community"], boundary=MultiPolygon(Polygon(ring), srid=4326))
    m3 = features(api, tree["community"].pk).json()["features"][-1]
    assert m3["properties"]["code"] == "M3"
    [[sent]] = m3["geometry"]["coordinates"]
    assert len(sent) < 20


def test_it_lists_features_with_a_fixed_number_of_queries(api, tree, django_assert_num_queries):
    with django_assert_num_queries(AUTH_QUERIES + 2):
        assert len(features(api, tree["community"].pk).json()["features"]) == 2
    for n in range(3, 13):
        GridFactory(
            level=Level.MICRO,
            code=f"M{n}",
            parent=tree["community"],
            boundary=square(118.60 + 0.001 * n, 34.95, 0.001),
            chief=PersonFactory(),
        )
    with django_assert_num_queries(AUTH_QUERIES + 2):
        assert len(features(api, tree["community"].pk).json()["features"]) == 12
    with django_assert_num_queries(AUTH_QUERIES + 1):
        assert len(features(api).json()["features"]) == 1


def test_it_leaves_out_grids_that_are_no_longer_valid(api, tree):
    GridFactory(level=Level.MICRO, code="M0", parent=tree["community"], valid_to=datetime.date(2001, 1, 1))
    data = features(api, tree["community"].pk).json()
    assert [f["properties"]["code"] for f in data["features"]] == ["M1", "M2"]
    top = features(api).json()["features"]
    assert top[0]["properties"]["child_count"] == 1


def test_it_answers_404_for_an_unknown_parent(api, tree):
    assert features(api, 999999).status_code == 404


def test_it_answers_400_for_a_malformed_parent(api, tree):
    response = features(api, "abc")
    assert response.status_code == 400
    assert "parent" in response.json()["error"]["fields"]


def test_it_returns_an_empty_collection_under_a_micro_grid(api, tree):
    assert features(api, tree["a"].pk).json()["features"] == []


# ---- detail --------------------------------------------------------------


def test_it_returns_the_details_of_a_grid(api, tree):
    community = tree["community"]
    response = api.get(reverse("grids_api:detail", args=[community.pk]))
    assert response.status_code == 200
    data = response.json()
    assert data["id"] == community.pk
    assert data["code"] == "C1"
    assert data["name"] == community.name
    assert data["level"] == "community"
    assert data["level_label"] == "社区网格"
    assert data["area_m2"] == pytest.approx(community.area_m2)
    assert data["chief"] == {"name": "C1长", "phone": community.chief.phone}
    large = tree["large"]
    assert data["parent"] == {
        "id": large.pk,
        "code": "L1",
        "name": large.name,
        "level": "large",
        "level_label": "大网格",
    }
    assert [(c["id"], c["code"], c["level"]) for c in data["children"]] == [
        (tree["a"].pk, "M1", "micro"),
        (tree["b"].pk, "M2", "micro"),
    ]
    assert [a["code"] for a in data["ancestors"]] == ["D1", "L1"]


def test_it_returns_a_root_without_parent_or_chief(api):
    district = GridFactory(level=Level.DISTRICT, code="D9")
    data = api.get(reverse("grids_api:detail", args=[district.pk])).json()
    assert data["parent"] is None
    assert data["chief"] is None
    assert data["children"] == []
    assert data["ancestors"] == []


def test_it_labels_levels_in_english_when_asked(api, tree):
    response = api.get(reverse("grids_api:detail", args=[tree["a"].pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["level_label"] == "Micro grid"


def test_it_returns_details_with_a_fixed_number_of_queries(api, tree, django_assert_num_queries):
    with django_assert_num_queries(AUTH_QUERIES + 3):  # a micro grid: its places (三长) with their chiefs too
        api.get(reverse("grids_api:detail", args=[tree["a"].pk]))
    with django_assert_num_queries(AUTH_QUERIES + 2):
        api.get(reverse("grids_api:detail", args=[tree["community"].pk]))


def test_it_answers_404_for_an_unknown_grid(api, tree):
    assert api.get(reverse("grids_api:detail", args=[999999])).status_code == 404


# ---- locate --------------------------------------------------------------


def test_it_locates_a_point_inside_a_micro_grid(api, tree):
    data = locate(api, lon="118.605", lat="34.905").json()
    assert data["inside"] is True
    assert (data["lon"], data["lat"]) == (118.605, 34.905)
    assert data["micro"]["code"] == "M1"
    assert data["micro"]["level_label"] == "微网格"
    assert data["community"]["code"] == "C1"
    assert data["large"]["code"] == "L1"
    assert data["district"]["code"] == "D1"
    assert [grid["code"] for grid in data["ancestors"]] == ["D1", "L1", "C1"]
    assert data["responsible"] == {
        "name": "M1长",
        "phone": tree["a"].chief.phone,
        "role": "micro_chief",
        "role_label": "微网格长",
        "place": None,
        "grid": {"id": tree["a"].pk, "code": "M1", "name": tree["a"].name, "level": "micro", "level_label": "微网格"},
    }


def test_it_puts_a_point_on_a_shared_edge_in_the_grid_with_the_smaller_code(api, tree):
    data = locate(api, lon="118.61", lat="34.905").json()
    assert data["inside"] is True
    assert data["micro"]["code"] == "M1"


def test_it_names_the_shop_chief_at_a_shop(api, tree):
    from django.contrib.gis.geos import Point

    PlaceFactory(
        kind=PlaceKind.SHOP,
        micro_grid=tree["b"],
        geometry=Point(118.615, 34.905, srid=4326),
        chief=PersonFactory(name="店长甲"),
    )
    data = locate(api, lon="118.615", lat="34.905").json()
    assert data["responsible"]["name"] == "店长甲"
    assert data["responsible"]["role"] == "shop_chief"
    assert data["responsible"]["role_label"] == "店长"
    assert data["responsible"]["place"]["kind"] == "shop"


def test_it_says_clearly_when_a_point_is_outside(api, tree):
    response = locate(api, lon="116.4", lat="39.9")
    assert response.status_code == 200
    data = response.json()
    assert data["inside"] is False
    assert data["micro"] is None
    assert data["ancestors"] == []
    assert data["responsible"] is None
    assert "不在" in data["message"]


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"lat": "34.9"}, "lon", "经度"),
        ({"lon": "118.6"}, "lat", "纬度"),
        ({"lon": "east", "lat": "34.9"}, "lon", "经度"),
        ({"lon": "118.6", "lat": "nan"}, "lat", "纬度"),
        ({"lon": "181", "lat": "34.9"}, "lon", "-180"),
        ({"lon": "118.6", "lat": "-90.5"}, "lat", "-90"),
    ],
)
def test_it_refuses_bad_coordinates(api, tree, params, field, message):
    response = locate(api, **params)
    assert response.status_code == 400
    errors = response.json()["error"]["fields"]
    assert list(errors) == [field]
    assert message in errors[field][0]


# ---- schema ----------------------------------------------------------------


def test_it_describes_the_grid_operations_in_the_schema(api):
    paths = api.get("/api/schema/", {"format": "json"}).json()["paths"]
    located = paths["/api/grids/locate/"]["get"]
    assert located["summary"].startswith("Which micro grid holds a point")
    assert {p["name"] for p in located["parameters"]} == {"lon", "lat"}
    assert set(located["responses"]) == {"200", "400", "403"}
    assert located["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/LocateApiOutput")
    mapped = paths["/api/grids/features/"]["get"]
    assert [p["name"] for p in mapped["parameters"]] == ["parent"]
    assert set(mapped["responses"]) == {"200", "400", "403", "404"}
    detail = paths["/api/grids/{grid_id}/"]["get"]
    assert set(detail["responses"]) == {"200", "403", "404"}
    assert detail["responses"]["404"]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")
