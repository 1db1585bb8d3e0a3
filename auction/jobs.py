"""Clock jobs of the auction app: open rounds at their start, close them at their effective end."""

from auction import selectors, services


def open_due_rounds() -> int:
    return sum(services.round_open(rnd=r) for r in selectors.rounds_due_to_open())


def close_due_rounds() -> int:
    return sum(services.round_close(rnd=r) for r in selectors.rounds_due_to_close())
