import pytest
from django.urls import reverse

from accounts.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def english(client):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    return client


def test_it_redirects_anonymous_users_from_home_to_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/"


def test_it_renders_login_in_chinese_by_default(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="zh-Hans">' in body
    assert "城市网格化管理平台" in body
    assert "用户名" in body
    assert "密码" in body


def test_it_renders_login_in_english_after_setting_the_language(english):
    response = english.get(reverse("login"))
    body = response.content.decode()
    assert '<html lang="en">' in body
    assert "City Grid Management" in body
    assert "Username" in body
    assert "城市网格化管理平台" not in body


def test_it_offers_both_languages_through_set_language(client):
    body = client.get(reverse("login")).content.decode()
    assert f'action="{reverse("set_language")}" method="post"' in body
    assert 'value="zh-hans"' in body
    assert 'value="en"' in body


def test_it_shows_a_clear_error_for_a_wrong_password(client, make_user):
    make_user("clerk", Role.INTAKE_CLERK)
    response = client.post(reverse("login"), {"username": "clerk", "password": "wrong"})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'role="alert"' in body
    assert "请输入一个正确的" in body


def test_it_logs_in_and_lands_on_home(client, make_user):
    make_user("clerk", Role.INTAKE_CLERK)
    response = client.post(reverse("login"), {"username": "clerk", "password": "pw-for-tests-1"})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_it_follows_next_after_login(client, make_user):
    make_user("clerk", Role.INTAKE_CLERK)
    url = reverse("grids:map")
    response = client.post(reverse("login"), {"username": "clerk", "password": "pw-for-tests-1", "next": url})
    assert response["Location"] == url


def test_it_logs_out_with_post_and_says_so(client, make_user):
    client.force_login(make_user("clerk", Role.INTAKE_CLERK))
    response = client.post(reverse("logout"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("login")
    assert "您已退出登录" in response.content.decode()
    assert client.get(reverse("home")).status_code == 302


def test_it_refuses_logout_by_get(client, make_user):
    client.force_login(make_user("clerk", Role.INTAKE_CLERK))
    assert client.get(reverse("logout")).status_code == 405
    assert client.get(reverse("home")).status_code == 200


def test_it_shows_the_user_and_roles_in_the_top_bar(client, make_user):
    client.force_login(make_user("wang", Role.DISPATCHER, Role.SHIFT_LEADER, first_name="伟", last_name="王"))
    body = client.get(reverse("home")).content.decode()
    assert "伟 王" in body or "王伟" in body
    assert "值班长" in body
    assert "派遣员" in body
    assert f'action="{reverse("logout")}" method="post"' in body


def test_it_shows_a_section_per_role_on_home(client, make_user):
    client.force_login(make_user("chief", Role.GRID_CHIEF, Role.INSPECTOR))
    response = client.get(reverse("home"))
    titles = [section.title for section in response.context["sections"]]
    assert [str(title) for title in titles] == ["网格长", "监督员"]
    body = response.content.decode()
    assert body.count(f'href="{reverse("grids:map")}"') >= 3  # nav + one card per section
    assert reverse("admin:index") not in body
    assert "您的账号还没有分配角色" not in body


def test_it_shows_administration_to_staff(client, make_user):
    client.force_login(make_user("admin", is_staff=True))
    body = client.get(reverse("home")).content.decode()
    assert "系统管理员" in body
    assert f'href="{reverse("admin:index")}"' in body
    assert "您的账号还没有分配角色" not in body


def test_it_shows_an_empty_state_to_a_user_without_a_role(client, make_user):
    client.force_login(make_user("nobody"))
    body = client.get(reverse("home")).content.decode()
    assert "您的账号还没有分配角色" in body
    assert f'href="{reverse("grids:map")}"' in body
    assert reverse("admin:index") not in body


def test_it_shows_the_home_page_in_english(english, make_user):
    english.force_login(make_user("clerk", Role.INTAKE_CLERK))
    body = english.get(reverse("home")).content.decode()
    assert "Intake clerk" in body
    assert "Grid map" in body


def test_it_stays_chinese_for_an_english_browser_until_english_is_chosen(client):
    body = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="zh-Hans">' in body and "用户名" in body
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    body = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert '<html lang="en">' in body and "Username" in body


def test_it_links_a_grid_chief_to_their_own_grid(client, make_user):
    from tests.grids.factories import build_tree

    tree = build_tree()
    chief = make_user("chief", Role.GRID_CHIEF)
    tree["a"].chief.user = chief
    tree["a"].chief.save()
    client.force_login(chief)
    body = client.get(reverse("home")).content.decode()
    assert f"?parent={tree['community'].pk}&amp;grid={tree['a'].pk}" in body
    assert tree["a"].name in body
