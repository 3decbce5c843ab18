"""The failure message: what leaked, where it was found, how the users interleaved, how to replay.

It is read by someone who never saw isolint, in a pytest report, so it states the proof in
plain words first and the details after, one per line.
"""

from __future__ import annotations

from isolint.race.oracles import CORRUPTION, LEAK, Confirmation

SEED_VARIABLE = "ISOLINT_RACE_SEED"
_MAX_LOG_LINES = 40


def failure_message(confirmation: Confirmation, seed: int) -> str:
    lines = [_headline(confirmation)]
    lines.append(f"  phase: {confirmation.phase}, round {confirmation.round}")
    users = ", ".join(f"u{user.index}={user.token}" for user in confirmation.users)
    lines.append(f"  users: {users}")
    if confirmation.token is not None:
        lines.append(f"  offending token: {confirmation.token}{_owner_text(confirmation)}")
    lines.append(f"  found in {confirmation.observer} at {confirmation.where}")
    lines.append(f"  value: {confirmation.excerpt}")
    if confirmation.attribution is not None:
        lines.append(f"  {confirmation.attribution.line()}")
    lines.append("  interleaving:")
    log = list(confirmation.log)
    if len(log) > _MAX_LOG_LINES:
        log = [*log[: _MAX_LOG_LINES - 1], f"... {len(log) - _MAX_LOG_LINES + 1} more"]
    lines.extend(f"    {entry}" for entry in log)
    lines.append(f"  seed: {seed} (replay: {SEED_VARIABLE}={seed} python -m pytest <this test>)")
    return "\n".join(lines)


def _headline(confirmation: Confirmation) -> str:
    if confirmation.kind == LEAK:
        owner = confirmation.owner
        whose = f"user {owner.user.index}'s" if owner is not None else "another user's"
        return f"isolint race: LEAK: {confirmation.observer} observed {whose} data"
    if confirmation.kind == CORRUPTION:
        return (
            f"isolint race: CORRUPTION: {confirmation.observer} failed on shared state "
            "changed by another user's request"
        )
    users = ", ".join(str(index) for index in confirmation.residue_of)
    return (
        f"isolint race: RESIDUE: {confirmation.observer} still holds the data of users "
        f"{users} after their requests finished"
    )


def _owner_text(confirmation: Confirmation) -> str:
    owner = confirmation.owner
    if owner is None:
        return ""
    return f" (issued to user {owner.user.index} in phase {owner.phase}, round {owner.round})"
