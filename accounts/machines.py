"""Accounts that act for the system, not for a person: made on first use by the app that needs
one, inactive with no usable password (nobody logs in as them), named in the case history as
the actor of what they did, and left out of the evaluation of posts (岗位考评 ranks people)."""

AUTOFILER = "device-autofile"  # files the alerts a camera is confident about (devices.services)
REOPENER = "citizen-reopen"  # reopens (重办) a case its citizen rated 不满意 (citizens.services)
MACHINE_ACCOUNTS = (AUTOFILER, REOPENER)
