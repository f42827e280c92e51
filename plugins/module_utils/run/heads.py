# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The chain heads this process (and the ansible-playbook process it was forked from) wrote.

A journal writer calls ``remember`` twice an event: before the write with both the head
before and after it (a writer that dies mid-write leaves either), and after it with the new
head alone. Listeners (plugin_utils/lock_keeper.py, in a worker) pass each to the controller
process, which keeps them (``learn``) for the workers it forks next: every task of a live run
then finds, in its own memory, the head the journal must have, and a journal changed between
two tasks (while a person reads a prompt, say) is refused without one more request. A
journal this lineage never wrote has no known head; run/integrity.py checks it against what
the run recorded elsewhere.
"""

from __future__ import annotations

from ansible_collections.coworker.aws.plugins.module_utils.run.chain import JournalTampered, refusal

_KNOWN = {}
_LISTENERS = []


def remember(location, *acceptable):
    """This process wrote (or is writing) the journal at ``location``: it must now have one of these heads."""
    _KNOWN[location] = tuple(acceptable)
    for listener in _LISTENERS:
        listener(location, acceptable)


def learn(location, acceptable):
    """What a worker reported (kept by the controller for the workers it forks next)."""
    _KNOWN[location] = tuple(acceptable)


def known(location):
    return _KNOWN.get(location)


def listen(listener):
    _LISTENERS.append(listener)


def expect(location, head, run_id):
    """Refuse a journal whose head is not one this lineage left it with (nothing known: nothing to compare)."""
    acceptable = _KNOWN.get(location)
    if acceptable is None or head in acceptable:
        return
    last = acceptable[-1]
    if head.events > last.events:
        what = ("it has %d event(s) after event #%d, where this run left it"
                % (head.events - last.events, last.events - 1))
    elif head.events == 0:
        what = "it has no events any more; this run wrote %d" % last.events
    else:
        what = "its event #%d is not the event this run left last (events were changed or removed)" % (head.events - 1)
    raise JournalTampered(refusal(location, run_id, what))
