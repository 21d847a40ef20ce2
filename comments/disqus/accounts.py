"""Accounts for the commenters of an import: found again by their Disqus username, or made inactive, to be claimed by
e-mail (newsroom.services.imported_account_claim)."""

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models.functions import Lower

from newsroom.models import ImportedAccount, User
from newsroom.names import is_reserved_handle, without_refused_characters

__all__ = ["ImportedAuthor", "Accounts", "handle_base", "imported_accounts"]


@dataclass(frozen=True)
class ImportedAuthor:
    username: str
    name: str
    email: str


@dataclass
class Accounts:
    """The account id for each imported username (None in a dry run for an account that would be created)."""

    by_username: dict[str, int | None] = field(default_factory=dict)
    created: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)  # made by an earlier import (or story of this one)


def handle_base(username: str) -> str:
    """A valid handle (3-30 letters, digits, underscores) as close to `username` as possible; not yet unique."""
    ascii_name = unicodedata.normalize("NFKD", username).encode("ascii", "ignore").decode()
    base = re.sub(r"_+", "_", re.sub(r"[^A-Za-z0-9_]+", "_", ascii_name)).strip("_")
    if len(base) < 3:
        base = f"reader_{base}" if base else "reader"
    return base[:30]


def _with_suffix(base: str, number: int) -> str:
    if number == 1:
        return base
    suffix = f"_{number}"
    return base[: 30 - len(suffix)] + suffix


def _unique_handles(bases: list[str]) -> list[str]:
    """A free handle per base: the base itself, else base_2, base_3..., never a reserved one; few queries."""
    taken: set[str] = set()
    chosen: list[str | None] = [None] * len(bases)
    tried = [0] * len(bases)
    while None in chosen:
        candidates = {}
        for index, base in enumerate(bases):
            if chosen[index] is None:
                candidates[index] = [_with_suffix(base, tried[index] + n) for n in range(1, 6)]
                tried[index] += 5
        wanted = {handle.lower() for handles in candidates.values() for handle in handles}
        taken |= set(
            User.objects.annotate(lower_handle=Lower("handle"))
            .filter(lower_handle__in=wanted)
            .values_list("lower_handle", flat=True)
        )
        for index, handles in candidates.items():
            free = next((h for h in handles if h.lower() not in taken and not is_reserved_handle(h)), None)
            if free is not None:
                chosen[index] = free
                taken.add(free.lower())
    return chosen


def _email(value: str) -> str:
    if len(value) > User._meta.get_field("email").max_length:
        return ""
    try:
        validate_email(value)
    except ValidationError:
        return ""
    return User.objects.normalize_email(value)


def _imported_name(author: ImportedAuthor, handle: str) -> str:
    """The commenter's name as it may show here: refused characters (controls, bidi) dropped, one line, 60 at most."""
    return (without_refused_characters(author.name) or without_refused_characters(author.username) or handle)[:60]


def imported_accounts(
    authors: Iterable[ImportedAuthor], *, source: str = ImportedAccount.Source.DISQUS, dry_run: bool = False
) -> Accounts:
    """The account (its id) for each commenter of an import, found or created (call it inside the import's transaction).

    Found: the account an earlier import made for the same username. Created: an inactive account with an unusable
    password, a handle derived from the username, the commenter's name and e-mail, marked by an ImportedAccount so
    its owner can claim it later by proving the e-mail (a password reset link). A live site account is never
    matched, even on handle and e-mail: no address here has been confirmed, so a squatter who signed up first with
    someone's handle and address would otherwise receive their history.
    """
    authors = {author.username: author for author in authors}
    result = Accounts()
    names = list(authors)
    for start in range(0, len(names), 500):
        reused = ImportedAccount.objects.filter(source=source, username__in=names[start : start + 500])
        result.by_username.update(reused.values_list("username", "user_id"))
    result.reused = list(result.by_username)
    to_create = [name for name in names if name not in result.by_username]
    result.created = to_create
    if dry_run or not to_create:
        result.by_username.update(dict.fromkeys(to_create))
        return result
    handles = _unique_handles([handle_base(name) for name in to_create])
    users = User.objects.bulk_create(
        [
            User(
                handle=handle,
                display_name=_imported_name(authors[name], handle),
                email=_email(authors[name].email),
                is_active=False,
                password=make_password(None),
            )
            for name, handle in zip(to_create, handles, strict=True)
        ],
        batch_size=500,
    )
    ImportedAccount.objects.bulk_create(
        [ImportedAccount(user=user, source=source, username=name) for name, user in zip(to_create, users, strict=True)],
        batch_size=500,
    )
    result.by_username.update((name, user.pk) for name, user in zip(to_create, users, strict=True))
    return result
