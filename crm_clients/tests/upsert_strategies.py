"""Hypothesis strategies of what an integrator (or an attacker) may send to client_upsert
and to the HTTP API: real partner fields and junk ones, values of every JSON type, x2many
commands, ids of records the caller may not reach, hostile texts and sizes.

No Odoo import: the in-process fuzz test, the live-server fuzz test and
tests/bench/bench_fuzz.py share these (the ids come from the database at hand)."""

import json
import math

from hypothesis import strategies as st

# References: the first half exists before each call (tests create them), the rest not.
REFS = [f"FZ-{i}" for i in range(8)]
NIPS = ["5261040828", "PL 774-000-14-54", "5261040827", "PL1234567890", "DE123456789", "/"]
HOSTILE_TEXTS = [
    "",
    " ",
    "\x00",
    "nul\x00inside",
    "\ud800",
    "pair \ud83d\ude00",
    "%",
    "_",
    "\\",
    "'; DROP TABLE res_partner; --",
    "<script>alert(1)</script>",
    "ŻÓŁĆ zażółć",
    "a" * 300,
]
# Partner fields by the shape of their values.
TEXT_FIELDS = ["name", "street", "street2", "city", "zip", "website", "function", "comment", "ref", "legal_name"]
CHANNEL_FIELDS = ["email", "phone", "mobile"]
ID_FIELDS = [
    "country_id",
    "state_id",
    "parent_id",
    "company_id",
    "title",
    "industry_id",
    "client_status_id",
    "user_id",
    "primary_contact_id",
    "client_origin_id",
]
IDS_FIELDS = ["category_id", "assigned_user_ids", "client_role_ids"]
X2MANY_FIELDS = ["child_ids", "user_ids", "bank_ids", "email_ids", "phone_ids", "billing_entity_ids"]
INTEGER_FIELDS = ["color", "customer_rank", "supplier_rank", "message_bounce", "partner_gid"]
FLOAT_FIELDS = ["partner_latitude", "partner_longitude", "client_discount"]
BOOLEAN_FIELDS = ["is_company", "active", "is_buyer", "is_supplier", "is_workshop", "employee"]
SELECTIONS = {
    "type": ["contact", "invoice", "delivery", "other", "private", "bogus"],
    "priority": ["0", "1", "3", "4", 3],
    "lang": ["en_US", "pl_PL", "xx_XX"],
    "tz": ["Europe/Warsaw", "Mars/Olympus"],
}
POLISH_IDS = {"regon": ["012100784", "012100785"], "pesel": ["44051401359", "1"], "krs": ["0000028860", "12"]}
JUNK_FIELDS = [
    "",
    "id",
    "__unchanged__",
    "display_name",
    "create_uid",
    "write_date",
    "client_number",
    "is_client",
    "commercial_partner_id",
    "client_archived_with_id",
    "signup_type",
    "message_follower_ids",
    "client_properties",
    "image_1920",
    "registry_registered_on",
    "no_such_field",
    "Name",
]


def weighted(often, rarely, odds=3):
    """``often`` about ``odds`` times as often as ``rarely`` (one_of() would draw them
    evenly, repeating a strategy in it changes nothing)."""
    return st.integers(min_value=0, max_value=odds).flatmap(lambda draw: rarely if draw == 0 else often)


def texts(max_size=40):
    return st.one_of(st.text(max_size=max_size), st.sampled_from(HOSTILE_TEXTS))


def scalars(ids):
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**63), max_value=2**63),
        st.sampled_from([0, -1, 2**31, 2**40, 10**30]),
        st.sampled_from(ids),
        st.floats(allow_nan=True, allow_infinity=True),
        texts(),
    )


def any_values(ids):
    """Any JSON-like value, nested a little."""
    return st.recursive(
        scalars(ids),
        lambda children: st.one_of(
            st.lists(children, max_size=3), st.dictionaries(st.text(max_size=6), children, max_size=3)
        ),
        max_leaves=6,
    )


def commands(ids):
    id_ = st.sampled_from(ids)
    small_vals = st.dictionaries(st.sampled_from(["name", "email", "login", "partner_id"]), scalars(ids), max_size=2)
    return st.lists(
        st.one_of(
            st.tuples(st.just(0), st.just(0), small_vals),
            st.tuples(st.just(1), id_, small_vals),
            st.tuples(st.sampled_from([2, 3, 4]), id_),
            st.just((5,)),
            st.tuples(st.just(6), st.just(0), st.lists(id_, max_size=3)),
            st.lists(scalars(ids), max_size=3),
        ),
        max_size=3,
    )


def emails():
    return st.one_of(st.emails(), st.sampled_from(["Biuro@Fuzz.pl", "biuro@fuzz.pl", "not-an-email", "a@b"]), texts())


def phones():
    return st.one_of(
        st.sampled_from(["+48 22 123 45 67", "0048221234567", "22 111 22 33", "+48 600 100 200 ext. 7", "123"]),
        st.from_regex(r"\+?[0-9 ()-]{3,20}", fullmatch=True),
        texts(),
    )


def line_items(value_key, values, ids, extra_keys):
    known = st.fixed_dictionaries(
        {value_key: values},
        optional={key: st.one_of(st.booleans(), texts(10), scalars(ids)) for key in extra_keys},
    )
    return st.lists(weighted(known, any_values(ids)), max_size=3)


def value_for(key, ids):
    """Values plausible for ``key`` most of the time, anything else sometimes."""
    anything = any_values(ids)
    id_ = st.sampled_from(ids)
    plausible = {
        "external_ref": st.sampled_from(REFS),
        "parent_external_ref": st.sampled_from(REFS),
        "status": st.sampled_from(["New", "vip", "Active ", "Nope", ""]),
        "tags": st.lists(st.one_of(st.sampled_from(["Fuzz", "fuzz", "%", "Wholesale"]), texts(12)), max_size=3),
        "country_code": st.sampled_from(["PL", "pl", "NO", "XX", ""]),
        "emails": line_items("email", emails(), ids, ["is_invoicing", "is_primary", "locked", "note", "partner_id"]),
        "phones": line_items("number", phones(), ids, ["is_whatsapp", "extension", "is_mobile", "locked"]),
        "billing_entities": line_items("vat", st.sampled_from(NIPS), ids, ["name", "country_id", "email", "parent_id"]),
        "vat": st.sampled_from(NIPS),
    }.get(key)
    if plausible is None:
        if key in TEXT_FIELDS:
            plausible = texts()
        elif key in CHANNEL_FIELDS:
            plausible = emails() if key == "email" else phones()
        elif key in ID_FIELDS:
            plausible = id_
        elif key in IDS_FIELDS:
            plausible = st.lists(id_, max_size=3)
        elif key in X2MANY_FIELDS:
            plausible = commands(ids)
        elif key in INTEGER_FIELDS:
            plausible = st.integers(min_value=-(2**41), max_value=2**41)
        elif key in FLOAT_FIELDS:
            plausible = st.floats(allow_nan=True, allow_infinity=True)
        elif key in BOOLEAN_FIELDS:
            plausible = st.booleans()
        elif key in SELECTIONS:
            plausible = st.sampled_from(SELECTIONS[key])
        elif key in POLISH_IDS:
            plausible = st.sampled_from(POLISH_IDS[key])
        else:
            plausible = anything
    return weighted(plausible, anything)


ALL_KEYS = sorted(
    {
        "external_ref",
        "parent_external_ref",
        "status",
        "tags",
        "country_code",
        "emails",
        "phones",
        "billing_entities",
        "vat",
        *TEXT_FIELDS,
        *CHANNEL_FIELDS,
        *ID_FIELDS,
        *IDS_FIELDS,
        *X2MANY_FIELDS,
        *INTEGER_FIELDS,
        *FLOAT_FIELDS,
        *BOOLEAN_FIELDS,
        *SELECTIONS,
        *POLISH_IDS,
        *JUNK_FIELDS,
    }
)


def records(ids):
    """One record: usually a dict with a reference and a name, sometimes anything."""
    pair = st.sampled_from(ALL_KEYS).flatmap(lambda key: st.tuples(st.just(key), value_for(key, ids)))
    base = st.fixed_dictionaries(
        {"external_ref": st.sampled_from(REFS)}, optional={"name": st.sampled_from(["Fuzz Client", "Fuzz Other"])}
    )
    record = st.builds(lambda head, rest: {**head, **dict(rest)}, base, st.lists(pair, max_size=6))
    return weighted(record, any_values(ids), odds=6)


def calls(ids, max_records=5):
    return st.lists(records(ids), max_size=max_records)


def http_bodies(ids):
    """Raw HTTP bodies: mostly {"clients": [...]}, and every other shape."""
    good = calls(ids).map(lambda clients: json.dumps({"clients": _json_safe(clients)}).encode())
    depth = st.integers(min_value=1, max_value=3000)
    bad = st.one_of(
        any_values(ids).map(lambda value: json.dumps(value).encode()),
        calls(ids).map(lambda clients: json.dumps({"clients": clients}).encode()),  # NaN, surrogates
        st.binary(max_size=64),
        texts().map(lambda text: text.encode("utf-8", "surrogatepass")),
        depth.map(lambda n: ("[" * n + "]" * n).encode()),
        depth.map(lambda n: ('{"clients": ' + '{"a": ' * n + "1" + "}" * n + "}").encode()),
        st.sampled_from(
            [
                b"",
                b"null",
                b"NaN",
                b'{"clients": [{"external_ref": "FZ-1", "name": NaN}]}',
                b'{"clients": [{"external_ref": "FZ-1", "color": 1e400}]}',
                b'{"clients": [{"external_ref": "\\ud800"}]}',
                b'{"clients": "x"}',
                b'{"clients": {}}',
                b"\xef\xbb\xbf{}",
                b'{"clients": [{"name": "\xff\xfe"}]}',
                b'{"clients": [' + b"1" * 5000 + b"]}",
            ]
        ),
    )
    return weighted(good, bad, odds=2)


def _json_safe(value):
    """What a well-behaved JSON client sends: no NaN nor infinity (0.0 instead), no
    unpaired surrogate (replaced); the bad bodies test those."""
    if isinstance(value, float) and not math.isfinite(value):
        return 0.0
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, list):
        return [_json_safe(item) for item in value]
    if isinstance(value, dict):
        return {_json_safe(key): _json_safe(item) for key, item in value.items()}
    return value
