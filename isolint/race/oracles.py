"""The oracles: what counts as proof that a round leaked or corrupted shared state.

- leak: a token issued to another user appears in a user's result or in the exception it
  raised;
- corruption: a user's call failed the way unsynchronised shared containers fail
  ("dictionary changed size during iteration", "deque mutated during iteration", ...);
- residue: one request-scoped holder (a ContextVar or threading.local in a reused worker)
  still carries tokens of two or more users after their requests finished. Shared caches
  keyed by user legitimately hold several users, so only request-scoped holders are judged,
  and entries keyed by a token are skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from isolint.race.attribution import Attribution
from isolint.race.execution import Observation
from isolint.race.phases import RoundRecord
from isolint.race.tokens import (
    IssuedUser,
    SimulatedUser,
    TokenHit,
    TokenRegistry,
    find_tokens,
    find_tokens_in_exception,
)

LEAK, CORRUPTION, RESIDUE = "leak", "corruption", "residue"

CORRUPTION_MESSAGES = (
    "changed size during iteration",
    "mutated during iteration",
    "keys changed during iteration",
    "modified during iteration",
    "list modified during sort",
)


@dataclass(frozen=True)
class Confirmation:
    """Proof found in one round, with everything the failure message needs."""

    kind: str
    phase: str
    round: int
    users: tuple[SimulatedUser, ...]
    observer: str  # whose observation: "user 1 (isolint-u1-...)" or a holder's description
    where: str  # a path into the result or exception, e.g. result[0]["text"]
    excerpt: str
    log: tuple[str, ...]
    token: str | None = None
    owner: IssuedUser | None = None
    residue_of: tuple[int, ...] = ()  # residue: the users whose data the holder still has
    attribution: Attribution | None = None  # which named shared object carried the token
    evidence: TokenHit | None = None  # leak: the observed value carrying the token
    observer_index: int | None = None  # leak: the index of the user who observed it

    def offending_tokens(self) -> list[str]:
        """The tokens that prove the finding: the leaked one, the residue's owners', or for
        corruption the tokens of the other users whose requests changed the shared state."""
        if self.kind == LEAK:
            return [self.token] if self.token else []
        if self.kind == RESIDUE:
            return [u.token for u in self.users if u.index in self.residue_of]
        return [u.token for u in self.users if u.token not in self.observer]


def judge(record: RoundRecord, registry: TokenRegistry) -> Confirmation | None:
    """The first proof in ``record``: leaks first, then corruption, then residue."""
    return next(proofs(record, registry), None)


def proofs(record: RoundRecord, registry: TokenRegistry) -> Iterator[Confirmation]:
    """Every proof in ``record``, in ``judge``'s order (each user's leaks, corruption, then
    residue): a round can show several leaks that took different paths."""
    for observation in record.observations:
        yield from _leaks(record, observation, registry)
    for observation in record.observations:
        found = _corruption(record, observation)
        if found is not None:
            yield found
    residue = _residue(record, registry)
    if residue is not None:
        yield residue


def _leaks(
    record: RoundRecord, observation: Observation, registry: TokenRegistry
) -> Iterator[Confirmation]:
    hits = []
    if observation.finished and observation.error is None:
        hits = find_tokens(observation.result, "result")
    elif observation.error is not None:
        hits = find_tokens_in_exception(observation.error)
    # This round's users first: a token left by an earlier round proves a leak too, but not
    # one of this round's interleaving.
    in_round = {user.token for user in record.users}
    for hit in sorted(hits, key=lambda hit: hit.token not in in_round):
        owner = registry.owner_of(hit.token)
        if owner is not None and hit.token != observation.user.token:
            yield Confirmation(
                LEAK,
                record.phase,
                record.round,
                record.users,
                _describe_user(observation.user),
                hit.path,
                hit.excerpt,
                tuple(record.log),
                hit.token,
                owner,
                evidence=hit,
                observer_index=observation.user.index,
            )


def _corruption(record: RoundRecord, observation: Observation) -> Confirmation | None:
    error = observation.error
    if not isinstance(error, RuntimeError):
        return None
    text = str(error)
    if not any(message in text for message in CORRUPTION_MESSAGES):
        return None
    return Confirmation(
        CORRUPTION,
        record.phase,
        record.round,
        record.users,
        _describe_user(observation.user),
        _raised_at(error),
        f"{type(error).__name__}: {text}",
        tuple(record.log),
    )


def _residue(record: RoundRecord, registry: TokenRegistry) -> Confirmation | None:
    round_tokens = {user.token for user in record.users}
    for holder in record.holders:
        hits = [
            hit
            for hit in find_tokens(holder.value, holder.path, skip_keyed=True)
            if hit.token in round_tokens
        ]
        owners = {hit.token for hit in hits}
        if len(owners) >= 2:
            first = hits[0]
            return Confirmation(
                RESIDUE,
                record.phase,
                record.round,
                record.users,
                holder.description,
                ", ".join(dict.fromkeys(hit.path for hit in hits)),
                first.excerpt,
                tuple(record.log),
                first.token,
                registry.owner_of(first.token),
                tuple(sorted(u.index for u in record.users if u.token in owners)),
            )
    return None


def _raised_at(error: BaseException) -> str:
    """``the exception raised in broadcast (webapp.py:229)``: the innermost frame."""
    traceback = error.__traceback__
    while traceback is not None and traceback.tb_next is not None:
        traceback = traceback.tb_next
    if traceback is None:
        return "the exception"
    code = traceback.tb_frame.f_code
    filename = code.co_filename.replace("\\", "/").rsplit("/", 1)[-1]
    return f"the exception raised in {code.co_name} ({filename}:{traceback.tb_lineno})"


def _describe_user(user: SimulatedUser) -> str:
    return f"user {user.index} ({user.token})"
