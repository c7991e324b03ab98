"""Merging the Mini App's CORS and lifecycle rules into a bucket's configurations: every other rule is
kept as it was, ours is added or replaced, a second merge changes nothing, and a merge that would break
an OSS limit is refused before anything is written."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest

from adapters.alibaba.oss_bucket_rules import (
    LIFECYCLE_RULE_ID,
    MAX_CORS_RULES,
    MAX_LIFECYCLE_RULES,
    Change,
    RulesConflict,
    merge_cors,
    merge_lifecycle,
)

ORIGIN = "https://tg-webhook.ap-southeast-1.fcapp.run"
PREFIX = "uploads/"

SHOP_CORS = ("<CORSRule><AllowedOrigin>https://shop.example</AllowedOrigin><AllowedMethod>GET</AllowedMethod>"
             "<AllowedMethod>HEAD</AllowedMethod><AllowedHeader>*</AllowedHeader><MaxAgeSeconds>60</MaxAgeSeconds>"
             "</CORSRule>")
AUDIO_RULE = ("<Rule><ID>delete-audio</ID><Prefix>audio/</Prefix><Status>Enabled</Status>"
              "<Expiration><Days>1</Days></Expiration></Rule>")
# Elements oss2's models would lose or rewrite: a Filter, a Tag, access-time transitions.
ARCHIVE_RULE = ("<Rule><ID>archive-logs</ID><Prefix>logs/</Prefix><Status>Disabled</Status>"
                "<Filter><Not><Prefix>logs/keep/</Prefix><Tag><Key>k</Key><Value>v</Value></Tag></Not>"
                "<ObjectSizeGreaterThan>500</ObjectSizeGreaterThan></Filter><Tag><Key>team</Key><Value>ops</Value></Tag>"
                "<Transition><Days>30</Days><StorageClass>IA</StorageClass><IsAccessTime>true</IsAccessTime>"
                "<ReturnToStdWhenVisit>false</ReturnToStdWhenVisit></Transition></Rule>")


def cors(*rules: str, tail: str = "") -> bytes:
    return f"<CORSConfiguration>{''.join(rules)}{tail}</CORSConfiguration>".encode()


def lifecycle(*rules: str) -> bytes:
    return f"<LifecycleConfiguration>{''.join(rules)}</LifecycleConfiguration>".encode()


def canon(xml: str | bytes | ElementTree.Element) -> bytes:
    node = xml if isinstance(xml, ElementTree.Element) else ElementTree.fromstring(xml)
    return ElementTree.canonicalize(ElementTree.tostring(node), strip_text=True).encode()


def rules_of(xml: bytes, tag: str) -> list[ElementTree.Element]:
    return ElementTree.fromstring(xml).findall(tag)


def our_cors(max_age: int = 3600, methods: str = "<AllowedMethod>PUT</AllowedMethod>") -> str:
    return (f"<CORSRule><AllowedOrigin>{ORIGIN}</AllowedOrigin>{methods}<AllowedHeader>*</AllowedHeader>"
            f"<ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>{max_age}</MaxAgeSeconds></CORSRule>")


def our_lifecycle(abort: int = 1, expire: int = 2, prefix: str = PREFIX) -> str:
    return (f"<Rule><ID>{LIFECYCLE_RULE_ID}</ID><Prefix>{prefix}</Prefix><Status>Enabled</Status>"
            f"<Expiration><Days>{expire}</Days></Expiration>"
            f"<AbortMultipartUpload><Days>{abort}</Days></AbortMultipartUpload></Rule>")


# -- CORS ---------------------------------------------------------------------------------------------

def test_a_bucket_without_cors_gets_the_mini_apps_rule_alone():
    merged = merge_cors(None, [ORIGIN])
    assert merged.ours is Change.ADDED and merged.kept == () and merged.needs_writing
    assert canon(merged.xml) == canon(cors(our_cors()))


def test_other_cors_rules_are_kept_as_they_were_after_ours():
    current = cors(SHOP_CORS, tail="<ResponseVary>true</ResponseVary>")
    merged = merge_cors(current, [ORIGIN])
    assert merged.ours is Change.ADDED
    assert merged.kept == ("https://shop.example (GET, HEAD)",)
    root = ElementTree.fromstring(merged.xml)
    assert [canon(r) for r in root.findall("CORSRule")] == [canon(our_cors()), canon(SHOP_CORS)]
    assert root.findtext("ResponseVary") == "true"
    assert [c.tag for c in root][-1] == "ResponseVary"


def test_a_rule_that_also_allows_other_methods_or_origins_is_the_operators():
    wider = our_cors(methods="<AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod>")
    shared = our_cors().replace("</AllowedOrigin>", "</AllowedOrigin><AllowedOrigin>https://b.example</AllowedOrigin>")
    merged = merge_cors(cors(wider, shared), [ORIGIN])
    assert merged.ours is Change.ADDED
    assert [canon(r) for r in rules_of(merged.xml, "CORSRule")] == [canon(our_cors()), canon(wider), canon(shared)]


def test_merging_twice_gives_the_same_configuration_and_needs_no_write():
    first = merge_cors(cors(SHOP_CORS), [ORIGIN])
    second = merge_cors(first.xml, [ORIGIN])
    assert second.ours is Change.UNCHANGED and not second.needs_writing
    assert canon(second.xml) == canon(first.xml)
    assert second.kept == first.kept


def test_our_rule_changed_or_out_of_place_is_replaced_once_and_put_first():
    changed = merge_cors(cors(SHOP_CORS, our_cors(max_age=60), our_cors(max_age=60)), [ORIGIN])
    assert changed.ours is Change.REPLACED
    assert [canon(r) for r in rules_of(changed.xml, "CORSRule")] == [canon(our_cors()), canon(SHOP_CORS)]
    moved = merge_cors(cors(SHOP_CORS, our_cors()), [ORIGIN])
    assert moved.ours is Change.REPLACED
    assert canon(rules_of(moved.xml, "CORSRule")[0]) == canon(our_cors())
    assert merge_cors(cors(our_cors().replace("PUT", "put"), SHOP_CORS), [ORIGIN]).ours is Change.REPLACED


def test_a_rule_for_an_earlier_mini_app_address_is_kept_and_listed():
    old = our_cors().replace(ORIGIN, "https://old.example")
    merged = merge_cors(cors(old), [ORIGIN])
    assert merged.kept == ("https://old.example (PUT)",)
    assert len(rules_of(merged.xml, "CORSRule")) == 2


def test_ten_cors_rules_fit_eleven_are_refused():
    nine = [SHOP_CORS.replace("shop", f"shop{i}") for i in range(MAX_CORS_RULES - 1)]
    assert len(rules_of(merge_cors(cors(*nine), [ORIGIN]).xml, "CORSRule")) == MAX_CORS_RULES
    # Ours already there does not count twice.
    assert len(rules_of(merge_cors(cors(*nine, our_cors()), [ORIGIN]).xml, "CORSRule")) == MAX_CORS_RULES
    ten = [*nine, SHOP_CORS.replace("shop", "shop10")]
    with pytest.raises(RulesConflict, match="already has 10 other CORS rules and OSS allows at most 10"):
        merge_cors(cors(*ten), [ORIGIN])


# -- lifecycle ----------------------------------------------------------------------------------------

def test_a_bucket_without_lifecycle_gets_the_uploads_rule():
    merged = merge_lifecycle(None, PREFIX, 1, 2)
    assert merged.ours is Change.ADDED and merged.kept == ()
    assert canon(merged.xml) == canon(lifecycle(our_lifecycle()))


def test_the_audio_rule_and_the_operators_rules_are_kept_element_for_element():
    merged = merge_lifecycle(lifecycle(AUDIO_RULE, ARCHIVE_RULE), PREFIX, 1, 2)
    assert merged.ours is Change.ADDED
    assert [canon(r) for r in rules_of(merged.xml, "Rule")] == [
        canon(AUDIO_RULE), canon(ARCHIVE_RULE), canon(our_lifecycle())]
    assert merged.kept == ("delete-audio (prefix audio/: Expiration)",
                           "archive-logs (prefix logs/: Transition, Disabled)")


def test_atime_base_that_oss_reports_is_not_put_back():
    reported = AUDIO_RULE.replace("</Status>", "</Status><AtimeBase>1631698332</AtimeBase>")
    merged = merge_lifecycle(lifecycle(reported), PREFIX, 1, 2)
    assert b"AtimeBase" not in merged.xml
    assert canon(rules_of(merged.xml, "Rule")[0]) == canon(AUDIO_RULE)


def test_our_rule_is_found_by_its_id_replaced_in_place_and_unchanged_the_second_time():
    current = lifecycle(our_lifecycle(abort=3, expire=7), AUDIO_RULE)
    merged = merge_lifecycle(current, PREFIX, 1, 2)
    assert merged.ours is Change.REPLACED and merged.kept == ("delete-audio (prefix audio/: Expiration)",)
    assert [canon(r) for r in rules_of(merged.xml, "Rule")] == [canon(our_lifecycle()), canon(AUDIO_RULE)]
    again = merge_lifecycle(merged.xml, PREFIX, 1, 2)
    assert again.ours is Change.UNCHANGED and not again.needs_writing
    assert canon(again.xml) == canon(merged.xml)


def test_another_rule_with_the_uploads_prefix_is_refused_by_name():
    manual = our_lifecycle().replace(LIFECYCLE_RULE_ID, "my-uploads")
    with pytest.raises(RulesConflict, match="my-uploads already has the prefix uploads/"):
        merge_lifecycle(lifecycle(AUDIO_RULE, manual), PREFIX, 1, 2)


@pytest.mark.parametrize(("prefix", "action"), [
    ("", "<Expiration><Days>30</Days></Expiration>"),
    ("up", "<Expiration><Days>30</Days></Expiration>"),
    ("uploads/tmp/", "<AbortMultipartUpload><Days>5</Days></AbortMultipartUpload>"),
])
def test_the_same_action_on_an_overlapping_prefix_is_refused(prefix, action):
    rule = f"<Rule><ID>theirs</ID><Prefix>{prefix}</Prefix><Status>Disabled</Status>{action}</Rule>"
    with pytest.raises(RulesConflict, match="theirs .* overlapping prefixes"):
        merge_lifecycle(lifecycle(rule), PREFIX, 1, 2)


def _whole_bucket_transition(days: int) -> str:
    return (f"<Rule><ID>ia</ID><Prefix></Prefix><Status>Enabled</Status>"
            f"<Transition><Days>{days}</Days><StorageClass>IA</StorageClass></Transition></Rule>")


@pytest.mark.parametrize("days", [2, 30])
def test_a_transition_not_before_our_expiration_on_an_overlapping_prefix_is_refused(days):
    with pytest.raises(RulesConflict, match=rf"ia \(the whole bucket\) moves objects under uploads/ to another "
                                            rf"storage class after {days} day"):
        merge_lifecycle(lifecycle(_whole_bucket_transition(days)), PREFIX, 1, 2)


def test_overlapping_prefixes_with_earlier_transitions_and_neighbouring_prefixes_are_kept():
    neighbour = AUDIO_RULE.replace("delete-audio", "uploads-old").replace("audio/", "uploads-old/")
    merged = merge_lifecycle(lifecycle(_whole_bucket_transition(1), neighbour), PREFIX, 1, 2)
    assert len(rules_of(merged.xml, "Rule")) == 3
    assert merged.kept == ("ia (prefix (whole bucket): Transition)", "uploads-old (prefix uploads-old/: Expiration)")
    # The same transition is fine next to a longer expiration.
    assert merge_lifecycle(lifecycle(_whole_bucket_transition(30)), PREFIX, 1, 31).ours is Change.ADDED


def test_a_thousand_lifecycle_rules_fit_one_more_is_refused():
    others = [AUDIO_RULE.replace("audio", f"a{i}") for i in range(MAX_LIFECYCLE_RULES - 1)]
    assert len(rules_of(merge_lifecycle(lifecycle(*others), PREFIX, 1, 2).xml, "Rule")) == MAX_LIFECYCLE_RULES
    with pytest.raises(RulesConflict, match="already has 1000 other lifecycle rules and OSS allows at most 1000"):
        merge_lifecycle(lifecycle(*others, AUDIO_RULE.replace("audio", "last")), PREFIX, 1, 2)


def test_a_configuration_of_another_kind_is_refused():
    with pytest.raises(RulesConflict, match="not a <LifecycleConfiguration>"):
        merge_lifecycle(cors(SHOP_CORS), PREFIX, 1, 2)
    with pytest.raises(ValueError, match="at least 1"):
        merge_lifecycle(None, PREFIX, 0, 2)
