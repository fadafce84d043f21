"""Builders for SIMS exports in tests: pupils as dicts, written as CommandReporter XML or Tether JSON.

`commandreporter_xml` writes what CommandReporter writes: one Record per combination of a pupil's
addresses × telephones × emails, captions as element names with `_x0020_` for spaces, empty
values left out.
"""
import itertools
import json
from xml.sax.saxutils import escape

from connectors.sims import DEFAULT_CAPTIONS


def pupil(person_id="1001", **fields):
    base = {
        "person_id": person_id,
        "admission_number": f"00{person_id}",
        "forename": "Ada",
        "surname": "Lovelace",
        "dob": "2012-03-04",
        "gender": "F",
        "fsm": "F",
        "sen": [],
        "addresses": [address()],
        "telephones": [telephone()],
        "emails": [email(address=f"pupil{person_id}@school.example")],
    }
    base.update(fields)
    return base


def address(id=None, type="H", start="2020-09-01", house_number="1", house_name=None, street="High Street",
            town="Leeds", county=None, postcode="LS1 1AA"):
    return {"address_id": id, "address_type": type, "address_start_date": start, "house_number": house_number,
            "house_name": house_name, "street": street, "town": town, "county": county, "postcode": postcode}


def telephone(id=None, type="H", number="0113 496 0000", main="F", primary="F"):
    return {"telephone_id": id, "telephone_type": type, "telephone_number": number, "telephone_main": main,
            "telephone_primary": primary}


def email(id=None, type="H", address="ada@school.example", main="F", primary="F"):
    return {"email_id": id, "email_type": type, "email_address": address, "email_main": main, "email_primary": primary}


def element_name(caption):
    return caption.replace(" ", "_x0020_").replace("/", "_x002F_")


def commandreporter_rows(pupils):
    """Each pupil's rows: person columns repeated on the cross product of its sub-rows."""
    for p in pupils:
        person = {name: p.get(name) for name in (
            "person_id", "admission_number", "ad_username", "forename", "surname", "dob", "gender", "fsm",
        )}
        sens = p.get("sen") or [None]
        for sen, a, t, e in itertools.product(sens, p["addresses"] or [{}], p["telephones"] or [{}], p["emails"] or [{}]):
            yield {**person, "sen_provision": sen, **a, **t, **e}


def commandreporter_xml(pupils, captions=None, declaration='<?xml version="1.0" encoding="utf-8"?>'):
    captions = {**DEFAULT_CAPTIONS, **(captions or {})}
    records = []
    for row in commandreporter_rows(pupils):
        cells = "".join(
            f"<{element_name(captions[name])}>{escape(str(value))}</{element_name(captions[name])}>"
            for name, value in row.items()
            if value not in (None, "")
        )
        records.append(f"  <Record>{cells}</Record>")
    return declaration + "\n<SuperStarReport>\n" + "\n".join(records) + "\n</SuperStarReport>\n"


def write_xml(directory, pupils, name="students.xml", encoding="utf-8", **options):
    path = directory / name
    path.write_bytes(commandreporter_xml(pupils, **options).encode(encoding))
    return path


def tether_json(pupils):
    def sub(item, prefix, keys):
        return {key: item.get(f"{prefix}_{key}") for key in keys}

    return {
        "students": [
            {
                "person_id": p["person_id"],
                "admission_number": p.get("admission_number"),
                "ad_username": p.get("ad_username"),
                "forename": p.get("forename"),
                "surname": p.get("surname"),
                "dob": p.get("dob"),
                "gender": p.get("gender"),
                "fsm": p.get("fsm"),
                "sen_provisions": [{"code": None, "description": s, "start_date": None} for s in p.get("sen") or []],
                "addresses": [
                    {"type": a["address_type"], "start_date": a["address_start_date"], "house_number": a["house_number"],
                     "house_name": a["house_name"], "street": a["street"], "town": a["town"], "county": a["county"],
                     "postcode": a["postcode"]}
                    for a in p["addresses"]
                ],
                "telephones": [sub(t, "telephone", ("type", "number", "main", "primary")) for t in p["telephones"]],
                "emails": [sub(e, "email", ("type", "address", "main", "primary")) for e in p["emails"]],
            }
            for p in pupils
        ]
    }


def write_json(directory, pupils, name="students.json"):
    path = directory / name
    path.write_text(json.dumps(tether_json(pupils)), encoding="utf-8")
    return path
