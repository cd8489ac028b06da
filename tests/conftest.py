import pytest
from django.contrib.auth.models import Group, User

from accounts.roles import Role


@pytest.fixture
def make_user(db):
    def make(username: str = "user", *roles: Role, **extra) -> User:
        user = User.objects.create_user(username=username, password="pw-for-tests-1", **extra)
        for role in roles:
            user.groups.add(Group.objects.get(name=role.value))
        return user

    return make
