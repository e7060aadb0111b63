"""Finding people in the directory: ambiguous name resolution (ResolveNames) over the
hosted mailboxes, as Exchange matches it: a full address exactly, otherwise a prefix of
the display name, of any word in it, or of the address's local part."""

from __future__ import annotations

from ..directory import Directory, Mailbox


def resolve(directory: Directory, text: str) -> list[Mailbox]:
    query = text.strip().lower()
    if query.startswith("smtp:"):
        query = query[5:]
    if not query:
        return []
    exact = [mb for mb in directory if mb.smtp.lower() == query]
    if exact or "@" in query:
        return exact
    found = []
    for mb in directory:
        local = mb.smtp.split("@", 1)[0].lower()
        name = mb.name.lower()
        if local.startswith(query) or name.startswith(query) or any(w.startswith(query) for w in name.split()):
            found.append(mb)
    return sorted(found, key=lambda mb: mb.name.lower())
