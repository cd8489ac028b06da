from accounts.gate import STEPS
from accounts.roles import user_roles


def roles(request) -> dict:
    session = getattr(request, "session", None)
    return {
        "user_roles": user_roles(getattr(request, "user", None)),
        # Logged in with a password, a step still owed (accounts.gate): the menu is of no use yet.
        "login_incomplete": bool(session is not None and session.get(STEPS)),
    }
