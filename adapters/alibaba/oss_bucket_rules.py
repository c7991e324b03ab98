"""The bucket's CORS and lifecycle configurations with the Mini App's two rules merged in.

OSS's PutBucketCors and PutBucketLifecycle replace a bucket's whole configuration, and the bucket
also holds the bot's audio (the operator's ``audio/`` expiration rule) and possibly the operator's
own rules. So ``configure-uploads`` reads both configurations, keeps every rule that is not the Mini
App's, puts the Mini App's rule in (added, or replaced when it changed) and writes the result back.
The merge works on the XML itself: rules that are not ours go back exactly as OSS returned them, with
elements ``oss2``'s models do not know about, except ``AtimeBase`` (a timestamp OSS reports on rules
that use the last access time; ``oss2`` never writes it back either).

Which rules are ours:

- CORS: a rule whose origins are exactly the Mini App's origins and whose only method is ``PUT``. It
  goes first: OSS answers a browser from the first rule that matches, and only this one exposes
  ``ETag`` for sure. A rule that also allows other origins or methods is the operator's and is kept as
  it is; a rule for an earlier Mini App address is kept too (the output lists it).
- Lifecycle: the rule with the ID ``direct-uploads`` (the ID this command has always written).

Limits checked before anything is written (a refusal changes nothing): at most 10 CORS rules and 1,000
lifecycle rules per bucket; no other lifecycle rule with the same prefix as ours; no other rule whose
prefix overlaps ours (one starts with the other, an empty prefix covers everything) with an
``Expiration`` or ``AbortMultipartUpload`` action, which are the actions ours has, or with a
``Transition`` (in days) that does not come before our expiration. Every rule counts, enabled or not.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from xml.etree import ElementTree

import attrs

LIFECYCLE_RULE_ID = "direct-uploads"
MAX_CORS_RULES = 10
MAX_LIFECYCLE_RULES = 1000
CORS_MAX_AGE_S = 3600
# The actions our lifecycle rule has: OSS refuses another rule with one of them on an overlapping prefix.
_OUR_ACTIONS = ("Expiration", "AbortMultipartUpload")
# Reported by OSS on rules that use the last access time; not part of what is put.
_REPORTED_ONLY = frozenset({"AtimeBase"})


class Change(enum.Enum):
    ADDED = "added"
    REPLACED = "replaced"
    UNCHANGED = "unchanged"


@attrs.frozen
class MergedRules:
    """A whole configuration to put back: ``xml``; what happened to our rule; the other rules, described."""

    xml: bytes
    ours: Change
    kept: tuple[str, ...]

    @property
    def needs_writing(self) -> bool:
        return self.ours is not Change.UNCHANGED


class RulesConflict(Exception):
    """The merged configuration would break an OSS limit; the message says what to do."""


def _root(current: bytes | None, tag: str) -> ElementTree.Element:
    if not current:
        return ElementTree.Element(tag)
    root = ElementTree.fromstring(current)
    if root.tag != tag:
        raise RulesConflict(f"the bucket's configuration is a <{root.tag}>, not a <{tag}>")
    return root


def _canonical(node: ElementTree.Element) -> tuple[object, ...]:
    """Equal for elements with the same content, whatever the whitespace or the order of children."""
    children = sorted((_canonical(c) for c in node if c.tag not in _REPORTED_ONLY), key=repr)
    return node.tag, (node.text or "").strip(), tuple(children)


def _texts(node: ElementTree.Element, tag: str) -> list[str]:
    return [(e.text or "").strip() for e in node.findall(tag)]


def _serialise(root: ElementTree.Element) -> bytes:
    # As oss2 serialises the bodies it builds: UTF-8, no XML declaration.
    return ElementTree.tostring(root, encoding="utf-8")


def _change(existing: list[ElementTree.Element], wanted: ElementTree.Element, in_place: bool) -> Change:
    if not existing:
        return Change.ADDED
    if len(existing) == 1 and in_place and _canonical(existing[0]) == _canonical(wanted):
        return Change.UNCHANGED
    return Change.REPLACED


# -- CORS -------------------------------------------------------------------------------------------

def cors_rule(origins: Sequence[str], max_age_s: int = CORS_MAX_AGE_S) -> ElementTree.Element:
    """The Mini App's rule: its origins may PUT parts with any header and read the answer's ETag."""
    rule = ElementTree.Element("CORSRule")
    for origin in origins:
        ElementTree.SubElement(rule, "AllowedOrigin").text = origin
    ElementTree.SubElement(rule, "AllowedMethod").text = "PUT"
    ElementTree.SubElement(rule, "AllowedHeader").text = "*"
    ElementTree.SubElement(rule, "ExposeHeader").text = "ETag"
    ElementTree.SubElement(rule, "MaxAgeSeconds").text = str(max_age_s)
    return rule


def is_our_cors_rule(rule: ElementTree.Element, origins: Sequence[str]) -> bool:
    return (set(_texts(rule, "AllowedOrigin")) == set(origins)
            and {m.upper() for m in _texts(rule, "AllowedMethod")} == {"PUT"})


def describe_cors_rule(rule: ElementTree.Element) -> str:
    origins = ", ".join(_texts(rule, "AllowedOrigin")) or "no origin"
    methods = ", ".join(_texts(rule, "AllowedMethod")) or "no method"
    return f"{origins} ({methods})"


def merge_cors(current: bytes | None, origins: Sequence[str]) -> MergedRules:
    """``current`` is the bucket's CORSConfiguration (None when it has none)."""
    if not origins:
        raise ValueError("the Mini App's rule needs its origin")
    root = _root(current, "CORSConfiguration")
    rules = root.findall("CORSRule")
    ours = [r for r in rules if is_our_cors_rule(r, origins)]
    others = [r for r in rules if not is_our_cors_rule(r, origins)]
    if len(others) + 1 > MAX_CORS_RULES:
        raise RulesConflict(
            f"the bucket already has {len(others)} other CORS rules and OSS allows at most {MAX_CORS_RULES}, "
            f"so the rule for {', '.join(origins)} does not fit: remove one of them (console: Bucket → "
            "Access Control → Cross-Origin Resource Sharing) and run configure-uploads again")
    wanted = cors_rule(origins)
    change = _change(ours, wanted, in_place=bool(ours) and rules[0] is ours[0])
    merged = ElementTree.Element("CORSConfiguration")
    merged.append(wanted)
    merged.extend(others)
    # Settings of the whole configuration (ResponseVary) come after the rules, as OSS writes them.
    merged.extend(child for child in root if child.tag != "CORSRule")
    return MergedRules(_serialise(merged), change, tuple(describe_cors_rule(r) for r in others))


# -- lifecycle ----------------------------------------------------------------------------------------

def lifecycle_rule(prefix: str, abort_after_days: int, expire_after_days: int) -> ElementTree.Element:
    """Unfinished multipart uploads under ``prefix`` aborted, leftover files deleted."""
    if abort_after_days < 1 or expire_after_days < 1:
        raise ValueError("lifecycle days are whole days, at least 1")
    rule = ElementTree.Element("Rule")
    ElementTree.SubElement(rule, "ID").text = LIFECYCLE_RULE_ID
    ElementTree.SubElement(rule, "Prefix").text = prefix
    ElementTree.SubElement(rule, "Status").text = "Enabled"
    ElementTree.SubElement(ElementTree.SubElement(rule, "Expiration"), "Days").text = str(expire_after_days)
    ElementTree.SubElement(ElementTree.SubElement(rule, "AbortMultipartUpload"), "Days").text = str(abort_after_days)
    return rule


def _rule_id(rule: ElementTree.Element) -> str:
    return (rule.findtext("ID") or "").strip()


def _rule_prefix(rule: ElementTree.Element) -> str:
    return (rule.findtext("Prefix") or "").strip()


def describe_lifecycle_rule(rule: ElementTree.Element) -> str:
    actions = [c.tag for c in rule if c.tag not in ("ID", "Prefix", "Status", "Filter", "Tag", *_REPORTED_ONLY)]
    status = (rule.findtext("Status") or "").strip()
    return (f"{_rule_id(rule) or 'no id'} (prefix {_rule_prefix(rule) or '(whole bucket)'}: "
            f"{', '.join(actions) or 'no action'}{'' if status == 'Enabled' else ', ' + (status or 'no status')})")


def _conflict(rule: ElementTree.Element, prefix: str, expire_after_days: int) -> str | None:
    """Why OSS would refuse ``rule`` next to ours, or None."""
    other = _rule_prefix(rule)
    name = f"lifecycle rule {_rule_id(rule) or '(no id)'}"
    if other == prefix:
        return (f"{name} already has the prefix {prefix} and OSS refuses two rules with the same prefix: "
                f"delete it, or give it the ID {LIFECYCLE_RULE_ID} so that configure-uploads manages it")
    if not (other.startswith(prefix) or prefix.startswith(other)):
        return None
    where = f"prefix {other}" if other else "the whole bucket"
    shared = [action for action in _OUR_ACTIONS if rule.find(action) is not None]
    if shared:
        return (f"{name} ({where}) also has {' and '.join(shared)} on objects under {prefix}, and OSS refuses "
                "two rules with the same action on overlapping prefixes: narrow its prefix, or leave out "
                "configure-uploads and put the uploads' actions into that rule yourself")
    # OSS refuses an expiration that comes no later than a storage class transition on the same objects.
    late = [days for days in (_int(t.findtext("Days")) for t in rule.findall("Transition"))
            if days is not None and days >= expire_after_days]
    if late:
        return (f"{name} ({where}) moves objects under {prefix} to another storage class after {min(late)} "
                f"day(s), and OSS refuses an expiration ({expire_after_days} day(s)) that is not later than a "
                "transition on overlapping prefixes: narrow its prefix")
    return None


def _int(text: str | None) -> int | None:
    try:
        return int((text or "").strip())
    except ValueError:
        return None


def merge_lifecycle(current: bytes | None, prefix: str, abort_after_days: int,
                    expire_after_days: int) -> MergedRules:
    """``current`` is the bucket's LifecycleConfiguration (None when it has none)."""
    if not prefix:
        raise ValueError("the uploads' lifecycle rule needs a prefix")
    root = _root(current, "LifecycleConfiguration")
    rules = root.findall("Rule")
    ours = [r for r in rules if _rule_id(r) == LIFECYCLE_RULE_ID]
    others = [r for r in rules if _rule_id(r) != LIFECYCLE_RULE_ID]
    if len(others) + 1 > MAX_LIFECYCLE_RULES:
        raise RulesConflict(f"the bucket already has {len(others)} other lifecycle rules and OSS allows at most "
                            f"{MAX_LIFECYCLE_RULES}: remove one and run configure-uploads again")
    problems = [p for p in (_conflict(r, prefix, expire_after_days) for r in others) if p]
    if problems:
        raise RulesConflict("; ".join(problems))
    wanted = lifecycle_rule(prefix, abort_after_days, expire_after_days)
    # The order of lifecycle rules means nothing to OSS: ours stays where it was, or goes last.
    change = _change(ours, wanted, in_place=True)
    merged = ElementTree.Element("LifecycleConfiguration")
    placed = False
    for rule in rules:
        if _rule_id(rule) == LIFECYCLE_RULE_ID:
            if not placed:
                merged.append(wanted)
                placed = True
            continue
        for reported in [c for c in rule if c.tag in _REPORTED_ONLY]:
            rule.remove(reported)
        merged.append(rule)
    if not placed:
        merged.append(wanted)
    return MergedRules(_serialise(merged), change, tuple(describe_lifecycle_rule(r) for r in others))
