"""Red-flag triage: text in, the most urgent level, every flag and what to do out.

``rules`` is the rule engine over ``content/red_flags.yaml``; ``layered`` runs
it with the semantic detector (``semantic``), the safety net (``safety_net``)
and the slip repair (``spelling``), the most urgent layer winning;
``interview`` turns follow-up answers into a final level; ``languages`` holds
the rule tables of the other languages. docs/triage.md describes the layers.
"""

from backcare.triage.rules import scope_reader, triage

__all__ = ["scope_reader", "triage"]
