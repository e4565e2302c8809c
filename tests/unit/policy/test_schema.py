"""Policy files: what validates, what is refused (naming file, key and line), the version."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.domain import Tier
from bot.errors import InputError, PolicyError
from bot.policy import default_policy_path, load_policy, parse_policy

POLICIES = sorted(default_policy_path().parent.glob("*.yaml"))
DEFAULT_TEXT = default_policy_path().read_text(encoding="utf-8")


def rejects(old: str, new: str) -> PolicyError:
    assert old in DEFAULT_TEXT, old
    with pytest.raises(PolicyError) as err:
        parse_policy(DEFAULT_TEXT.replace(old, new, 1), "broken.yaml")
    return err.value


def test_shipped_policies_validate_with_distinct_versions() -> None:
    versions = {load_policy(p).version for p in POLICIES}
    assert {p.name for p in POLICIES} >= {"default.yaml", "strict.yaml", "generous.yaml"}
    assert len(versions) == len(POLICIES)


def test_load_policy_without_a_path_reads_the_projects_default() -> None:
    assert load_policy() == load_policy(default_policy_path())
    assert default_policy_path().name == "default.yaml"


def test_sections_other_layers_read_are_typed_with_defaults() -> None:
    policy = load_policy()
    assert policy.triage.max_text_severity == 2 and policy.triage.min_confidence == 0.55
    assert policy.followup.after_days == 3
    assert policy.kpi.measurement_window_days == 90 and policy.kpi.recontact_window_days == 14
    assert policy.abuse.window_days == 90 and policy.refunds_from_tier == Tier.gold
    bare = DEFAULT_TEXT.split("\ntriage:")[0]  # triage, followup and kpi left out
    assert parse_policy(bare).kpi.recontact_window_days == 14


@pytest.mark.parametrize(
    ("old", "new", "key", "problem"),
    [
        ("clv_share: 0.10", "clv_share: 1.5", "tiers.bronze.clv_share", "0.20 means 20%"),
        ("clv_share: 0.10", "clv_share: 20%", "tiers.bronze.clv_share", "valid decimal"),
        ("max_amount: 15", "max_amount: lots", "tiers.bronze.max_amount", "valid decimal"),
        ("max_amount: 15", "max_amount: -15", "tiers.bronze.max_amount", "greater than or equal"),
        ("  other:\n", "  otherwise:\n", "categories.otherwise", "'late_delivery'"),
        ("  bronze:\n", "  brass:\n", "tiers.brass", "'bronze', 'silver', 'gold'"),
        (
            "kinds: [discount_code, free_shipping, store_credit]\n",
            "kinds: [cash]\n",
            "tiers.bronze.kinds.0",
            "'discount_code'",
        ),
        (
            "kinds: [discount_code, free_shipping, store_credit]\n",
            "kinds: [discount_code, discount_code]\n",
            "tiers.bronze.kinds",
            "listed twice",
        ),
        (
            "kinds: [discount_code, free_shipping, store_credit]\n",
            "kinds: [discount_code, refund_full]\n",
            "tiers.bronze.kinds",
            "refund_full not allowed below refunds_from_tier (gold)",
        ),
        (
            "severity_scale: [0.50, 0.75, 1.00]",
            "severity_scale: [0.5]",
            "severity_scale",
            "at least 3 items",
        ),
        (
            "severity_scale: [0.50, 0.75, 1.00]",
            "severity_scale: [0.50, 0.25, 1.00]",
            "severity_scale",
            "must not fall as severity rises",
        ),
        (
            "{kind: free_shipping, max_severity: 1}",
            "{kind: free_shipping, min_severity: 2, max_severity: 1}",
            "categories.late_delivery.ladder.0",
            "could never apply",
        ),
        (
            "{kind: free_shipping, max_severity: 1}",
            "{kind: free_shiping, max_severity: 1}",
            "categories.late_delivery.ladder.0.kind",
            "'free_shipping'",
        ),
        (
            "escalate_at_severity: 3",
            "escalate_at_severity: 4",
            "categories.billing_error.escalate_at_severity",
            "less than or equal to 3",
        ),
        ("abuse:\n", "abuse_rules:\n", "abuse_rules", "Extra inputs are not permitted"),
        (
            "  max_spend: 150",
            "  max_spend: 150\n  max_claims: 2",
            "abuse.max_claims",
            "Extra inputs are not permitted",
        ),
        ("window_days: 90", "window_days: -1", "abuse.window_days", "greater than or equal to 1"),
        (
            "  free_shipping: 7.95",
            "  store_credit: 5",
            "offer_values.store_credit",
            "only fixed-value offers",
        ),
        ("  free_shipping: 7.95", "", "offer_values.free_shipping", "a ladder offers it"),
        (
            "  cant_lose_them: {clv_share: 0.25}",
            "  vip: {clv_share: 0.25}",
            "segments.vip",
            "'champions'",
        ),
        (
            "  max_text_severity: 2",
            "  max_text_severity: 5",
            "triage.max_text_severity",
            "less than or equal to 3",
        ),
        (
            "  measurement_window_days: 90",
            "  measurement_window_days: soon",
            "kpi.measurement_window_days",
            "valid integer",
        ),
    ],
)
def test_malformed_policy_is_rejected_naming_file_key_and_line(old, new, key, problem) -> None:
    err = rejects(old, new)
    assert err.field.startswith(f"broken.yaml:{key} (line ")
    assert problem in err.problem
    assert isinstance(err, InputError)  # the CLI's exit 2, the API's 422


def test_the_error_line_is_the_line_of_the_bad_key() -> None:
    err = rejects("window_days: 90", "window_days: -1")
    line = int(err.field.split("(line ")[1].rstrip(")"))
    assert DEFAULT_TEXT.splitlines()[line - 1].strip() == "window_days: 90"


def test_a_key_given_twice_is_refused_not_silently_overwritten() -> None:
    err = rejects(
        "  gold:\n    clv_share: 0.20", "  gold:\n    clv_share: 0.20\n    clv_share: 0.9"
    )
    assert err.field.startswith("broken.yaml:tiers.gold.clv_share (line ")
    assert "given twice" in err.problem


def test_missing_tier_or_category_is_named() -> None:
    data = yaml.safe_load(DEFAULT_TEXT)
    del data["tiers"]["platinum"], data["categories"]["other"]
    with pytest.raises(PolicyError, match=r"p.yaml:tiers \(line \d+\): missing platinum"):
        parse_policy(yaml.safe_dump(data, sort_keys=False), "p.yaml")
    data = yaml.safe_load(DEFAULT_TEXT)
    del data["categories"]["other"]
    with pytest.raises(PolicyError, match=r"categories .*missing other"):
        parse_policy(yaml.safe_dump(data, sort_keys=False), "p.yaml")


def test_a_missing_required_section_is_named() -> None:
    with pytest.raises(PolicyError, match=r"^p.yaml:categories: Field required"):
        parse_policy(DEFAULT_TEXT.split("\ncategories:")[0], "p.yaml")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("version: 1\ntiers: [a, b\n", r"p.yaml \(line \d\): not valid YAML"),
        ("- just\n- a list\n", r"p.yaml: a policy is a mapping"),
        ("", r"p.yaml: a policy is a mapping"),
    ],
)
def test_text_that_is_not_a_policy_mapping_is_refused(text, message) -> None:
    with pytest.raises(PolicyError, match=message):
        parse_policy(text, "p.yaml")


def test_unreadable_policy_files_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="no such policy file"):
        load_policy(tmp_path / "nope.yaml")
    with pytest.raises(PolicyError, match="is a folder"):
        load_policy(tmp_path)
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("version: 'caf\xe9'\n".encode("latin-1"))
    with pytest.raises(PolicyError, match="not UTF-8"):
        load_policy(latin)


def test_an_empty_optional_section_means_its_defaults() -> None:
    segments = "  cant_lose_them: {clv_share: 0.25}\n  at_risk: {clv_share: 0.20}\n"
    segments += "  lost: {clv_share: 0.05}\n"
    assert segments in DEFAULT_TEXT
    assert parse_policy(DEFAULT_TEXT.replace(segments, "")).segments == {}


# The version ---------------------------------------------------------------------------


def test_version_is_declared_version_plus_a_content_hash() -> None:
    policy = load_policy()
    declared, digest = policy.version.split("+")
    assert declared == "2026-11-22" and len(digest) == 12 and int(digest, 16) >= 0


def test_version_ignores_comments_key_order_and_number_spelling() -> None:
    base = parse_policy(DEFAULT_TEXT).version
    assert parse_policy(DEFAULT_TEXT + "\n# a comment\n").version == base
    assert parse_policy(DEFAULT_TEXT.replace("max_amount: 15", "max_amount: 15.00")).version == base
    data = yaml.safe_load(DEFAULT_TEXT)
    reordered = dict(reversed(list(data.items())))
    assert parse_policy(yaml.safe_dump(reordered, sort_keys=False)).version == base


def test_spelling_out_a_default_does_not_change_the_version() -> None:
    base = parse_policy(DEFAULT_TEXT).version
    assert "refunds_from_tier: gold\n" in DEFAULT_TEXT
    implicit = DEFAULT_TEXT.replace("refunds_from_tier: gold\n", "")
    assert parse_policy(implicit).version == base
    assert parse_policy(implicit.replace("followup:\n  after_days: 3\n", "")).version == base


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("max_spend: 150", "max_spend: 151"),
        ('version: "2026-11-22"', 'version: "2026-11-23"'),
        ("{kind: store_credit, min_severity: 3}", "{kind: store_credit, min_severity: 2}"),
    ],
)
def test_any_rule_change_changes_the_version(old, new) -> None:
    assert (
        parse_policy(DEFAULT_TEXT.replace(old, new, 1)).version
        != parse_policy(DEFAULT_TEXT).version
    )


def test_an_unquoted_date_or_number_version_reads_as_text() -> None:
    dated = parse_policy(DEFAULT_TEXT.replace('version: "2026-11-22"', "version: 2026-11-22"))
    assert dated.version == load_policy().version
    assert (
        parse_policy(DEFAULT_TEXT.replace('version: "2026-11-22"', "version: 3")).version[:2]
        == "3+"
    )


# Every key of every shipped policy, broken one at a time --------------------------------


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Key paths of every value (mappings included, lists as one value)."""
    if isinstance(node, dict):
        return [path, *(p for k, v in node.items() for p in _paths(v, (*path, k)))]
    return [path]


def _set(data: Any, path: tuple[Any, ...], value: Any) -> None:
    for part in path[:-1]:
        data = data[part]
    data[path[-1]] = value


DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
ORIGINALS = {p.name: yaml.safe_load(p.read_text(encoding="utf-8")) for p in POLICIES}
CASES = [(name, path) for name, data in ORIGINALS.items() for path in _paths(data) if path]


@pytest.mark.parametrize(
    ("name", "path"), CASES, ids=[f"{n}:{'.'.join(map(str, p))}" for n, p in CASES]
)
def test_every_key_of_the_shipped_policies_is_named_when_broken(name, path) -> None:
    original = ORIGINALS[name]
    key = ".".join(str(p) for p in path)
    for bad, wrong_key in (({"oops": [1]}, False), ("x", True)):
        data = copy.deepcopy(original)
        if wrong_key:  # rename the key to one no part of the schema knows
            parent = data
            for part in path[:-1]:
                parent = parent[part]
            parent["zz_" + str(path[-1])] = parent.pop(path[-1])
            expected = ".".join(str(p) for p in (*path[:-1], "zz_" + str(path[-1])))
        else:
            _set(data, path, bad)
            expected = key
        text = yaml.dump(data, Dumper=DUMPER, sort_keys=False)
        with pytest.raises(PolicyError) as err:
            parse_policy(text, name)
        field = err.value.field
        # a renamed key is named as unknown, or the key it was is named as missing
        assert field == f"{name}:{key}" or field.startswith(
            (f"{name}:{expected} ", f"{name}:{key} ", f"{name}:{key}.")
        )
        assert "(line " in field or err.value.problem == "Field required"
