import random

from stdnum.pl import pesel, regon

random.seed(18)


def mk_nip():
    while True:
        base = [random.randint(1, 9)] + [random.randint(0, 9) for _ in range(8)]
        w = [6, 5, 7, 2, 3, 4, 5, 6, 7]
        c = sum(a * b for a, b in zip(w, base, strict=False)) % 11
        if c < 10:
            return "".join(map(str, base)) + str(c)


def mk_regon():
    while True:
        base = [random.randint(0, 9) for _ in range(8)]
        w = [8, 9, 2, 3, 4, 5, 6, 7]
        c = sum(a * b for a, b in zip(w, base, strict=False)) % 11 % 10
        r = "".join(map(str, base)) + str(c)
        if regon.is_valid(r):
            return r


def mk_pesel(y, m, d, male):
    mm = m + (20 if y >= 2000 else 0)
    base = (
        f"{y%100:02d}{mm:02d}{d:02d}"
        + f"{random.randint(0,999):03d}"
        + str(random.choice([1, 3, 5, 7, 9] if male else [0, 2, 4, 6, 8]))
    )
    w = [1, 3, 7, 9, 1, 3, 7, 9, 1, 3]
    c = (10 - sum(int(a) * b for a, b in zip(base, w, strict=False)) % 10) % 10
    p = base + str(c)
    assert pesel.is_valid(p), p
    return p


def ascii_(s):
    for a, b in zip("łśóńęążźćüáŁŚ", "lsoneazzcuaLS", strict=False):
        s = s.replace(a, b)
    return s.lower()


pl_companies = [
    (
        "Kowalski i Synowie Sp. z o.o.",
        "Kowalski i Synowie spółka z ograniczoną odpowiedzialnością",
        "ul. Marszałkowska 84",
        "00-514",
        "Warszawa",
    ),
    (
        "Mazowieckie Hurtownie Budowlane",
        "Mazowieckie Hurtownie Budowlane S.A.",
        "ul. Grochowska 306",
        "03-840",
        "Warszawa",
    ),
    ("Auto-Serwis Nowak", "Auto-Serwis Nowak Jan Nowak", "ul. Zakopiańska 62", "30-418", "Kraków"),
    ("Bałtyk Logistics", "Bałtyk Logistics Sp. z o.o.", "ul. Hutnicza 40", "81-061", "Gdynia"),
    ("Piekarnia Złoty Kłos", "Piekarnia Złoty Kłos s.c.", "ul. Długa 12", "80-827", "Gdańsk"),
    (
        "Wrocławskie Zakłady Metalowe",
        "Wrocławskie Zakłady Metalowe Sp. z o.o.",
        "ul. Krakowska 180",
        "52-015",
        "Wrocław",
    ),
    ("Poznańska Drukarnia Cyfrowa", "Poznańska Drukarnia Cyfrowa Sp. j.", "ul. Głogowska 123", "60-243", "Poznań"),
    ("Śląskie Centrum Opon", "Śląskie Centrum Opon Sp. z o.o.", "ul. Chorzowska 150", "40-101", "Katowice"),
    ("Lubelska Spółdzielnia Mleczarska", "Lubelska Spółdzielnia Mleczarska", "ul. Mełgiewska 16", "20-209", "Lublin"),
    ("TechSerwis Łódź", "TechSerwis Łódź Sp. z o.o.", "ul. Piotrkowska 221", "90-456", "Łódź"),
    ("Podlaskie Meble", "Podlaskie Meble Sp. z o.o.", "ul. Wysockiego 69", "15-169", "Białystok"),
    ("Green Energy Polska", "Green Energy Polska S.A.", "al. Jerozolimskie 134", "02-305", "Warszawa"),
    (
        "Warsztat Samochodowy Wiśniewski",
        "Warsztat Samochodowy Piotr Wiśniewski",
        "ul. Szczecińska 8",
        "75-135",
        "Koszalin",
    ),
    (
        "Kujawska Hurtownia Spożywcza",
        "Kujawska Hurtownia Spożywcza Sp. z o.o.",
        "ul. Szubińska 2",
        "85-312",
        "Bydgoszcz",
    ),
    (
        "Rzeszowskie Biuro Rachunkowe",
        "Rzeszowskie Biuro Rachunkowe Anna Zielińska",
        "ul. Rejtana 53",
        "35-326",
        "Rzeszów",
    ),
    ("Olsztyńska Stolarnia", "Olsztyńska Stolarnia Sp. z o.o.", "ul. Lubelska 43", "10-410", "Olsztyn"),
    ("Szczecin Marine Parts", "Szczecin Marine Parts Sp. z o.o.", "ul. Gdańska 34", "70-660", "Szczecin"),
    ("Opolskie Agro", "Opolskie Agro Sp. z o.o.", "ul. Wrocławska 133", "45-837", "Opole"),
    ("Kielecka Fabryka Okien", "Kielecka Fabryka Okien S.A.", "ul. Zagnańska 232", "25-563", "Kielce"),
    (
        "Toruńskie Pierniki Rzemieślnicze",
        "Toruńskie Pierniki Rzemieślnicze Sp. z o.o.",
        "ul. Szeroka 46",
        "87-100",
        "Toruń",
    ),
    ("Diagnostyka Pojazdów Kaczmarek", "Diagnostyka Pojazdów Kaczmarek Sp. k.", "ul. Poznańska 98", "62-800", "Kalisz"),
    ("Zielona Góra Winnice", "Winnice Zielonogórskie Sp. z o.o.", "ul. Botaniczna 50", "65-392", "Zielona Góra"),
]
eu_companies = [
    ("Brouwerij De Valk", "be", "BE0477472701", "Grote Markt 7", "9000", "Gent"),
    ("Müller Maschinenbau GmbH", "de", "DE811569869", "Industriestraße 14", "70565", "Stuttgart"),
    ("Atelier Dubois SARL", "fr", "FR40303265045", "12 rue de la République", "69002", "Lyon"),
    ("Ferramenta Rossi S.r.l.", "it", "IT00743110157", "Via Torino 21", "20123", "Milano"),
    ("Talleres García S.L.", "es", "ESB58378431", "Calle de Alcalá 120", "28009", "Madrid"),
    ("Van der Berg Logistiek B.V.", "nl", "NL004495445B01", "Stationsweg 3", "3511 ED", "Utrecht"),
    ("Novák Strojírny s.r.o.", "cz", "CZ25596641", "Vídeňská 55", "639 00", "Brno"),
    ("Nordic Parts AB", "se", "SE556188840401", "Sveavägen 44", "111 34", "Stockholm"),
]
persons = [
    ("Anna Wójcik", 1985, 3, 14, False, "ul. Słowackiego 5", "31-159", "Kraków"),
    ("Tomasz Lewandowski", 1978, 11, 2, True, "ul. Mickiewicza 18", "60-833", "Poznań"),
    ("Katarzyna Dąbrowska", 1992, 6, 30, False, "ul. Wojska Polskiego 77", "70-482", "Szczecin"),
    ("Michał Kamiński", 2001, 1, 9, True, "ul. Narutowicza 40", "90-135", "Łódź"),
    ("Magdalena Szymańska", 1969, 9, 21, False, "ul. Grunwaldzka 212", "80-266", "Gdańsk"),
    ("Paweł Woźniak", 1988, 4, 4, True, "ul. Legnicka 57", "54-203", "Wrocław"),
    ("Joanna Kozłowska", 1995, 12, 12, False, "ul. Lipowa 3", "15-424", "Białystok"),
    ("Krzysztof Jankowski", 1974, 7, 17, True, "ul. Kościuszki 90", "40-519", "Katowice"),
    ("Sophie Martin", None, None, None, None, "8 avenue Foch", "75116", "Paris"),
    ("Lukas Schmidt", None, None, None, None, "Karl-Marx-Allee 90", "10243", "Berlin"),
]
statuses = ["client_status_new", "client_status_active", "client_status_vip", "client_status_inactive"]
tags = ["tag_wholesale", "tag_retail", "tag_automotive", "tag_food", "tag_b2b", "tag_export"]
notes = [
    "Prefers contact by phone before noon.",
    "Annual contract renegotiation in Q1.",
    "Asks for invoices in paper form.",
    "Key account: quarterly business review.",
    "Pays reliably within 14 days.",
    "Interested in the extended warranty.",
    "",
    "",
    "",
]
out = [
    '<?xml version="1.0" encoding="utf-8"?>',
    "<!-- 40 clients with valid checksums (tools/gen_demo.py), spread over statuses, stars, tags and types. -->",
    "<odoo>",
]


def rec(xid, fields):
    out.append(f'    <record id="{xid}" model="res.partner">')
    for k, v in fields:
        out.append("        " + v if k == "" else f'        <field name="{k}">{v}</field>')
    out.append("    </record>")


def ref(n, x):
    return ("", f'<field name="{n}" ref="{x}"/>')


def ev(n, x):
    return ("", f'<field name="{n}" eval="{x}"/>')


i = 0
for name, legal, street, zp, city in pl_companies:
    i += 1
    f = [
        ("name", name),
        ev("is_company", "True"),
        ("legal_name", legal),
        ("street", street),
        ("zip", zp),
        ("city", city),
        ref("country_id", "base.pl"),
        ("vat", mk_nip()),
        ("regon", mk_regon()),
        ("email", f"biuro@{ascii_(name.split()[0])}-demo.pl"),
        ("phone", f"+48 22 {random.randint(100,999)} {random.randint(10,99)} {random.randint(10,99)}"),
        ref("client_status_id", f"crm_clients.{statuses[i%4]}"),
        ("priority", str(i % 4)),
        ev("is_buyer", i % 3 != 1),
        ev("is_supplier", i % 3 != 0),
        ev("is_workshop", any(w in name for w in ("Serwis", "Warsztat", "Diagnostyka", "Opon"))),
        ev("category_id", f"[Command.set([ref('{tags[i%6]}'), ref('{tags[(i*5+1)%6]}')])]"),
        ev(
            "assigned_user_ids",
            "[Command.set([ref('base.user_demo')])]"
            if i % 2
            else "[Command.set([ref('base.user_admin'), ref('base.user_demo')])]",
        ),
        ref("user_id", "base.user_admin" if i % 3 else "base.user_demo"),
        ("external_ref", f"ERP-{1000+i}"),
    ]
    if i % 4 == 0:
        f.append(("krs", f"{random.randint(1,999999):010d}"))
    if notes[i % 9]:
        f.append(("comment", f"&lt;p&gt;{notes[i%9]}&lt;/p&gt;"))
    rec(f"client_demo_{i:02d}", f)
for name, cc, vat, street, zp, city in eu_companies:
    i += 1
    f = [
        ("name", name),
        ev("is_company", "True"),
        ("street", street),
        ("zip", zp),
        ("city", city),
        ref("country_id", f"base.{cc}"),
        ("vat", vat),
        ("email", f"info@{ascii_(name.split()[0])}-demo.eu"),
        ref("client_status_id", f"crm_clients.{statuses[i%4]}"),
        ("priority", str((i * 3) % 4)),
        ev("is_buyer", i % 2 == 0),
        ev("is_supplier", i % 2 == 1),
        ev("category_id", f"[Command.set([ref('tag_export'), ref('{tags[i%5]}')])]"),
        ref("user_id", "base.user_admin"),
        ("external_ref", f"ERP-{1000+i}"),
    ]
    rec(f"client_demo_{i:02d}", f)
for name, y, m, d, male, street, zp, city in persons:
    i += 1
    f = [("name", name), ev("is_company", "False"), ("street", street), ("zip", zp), ("city", city)]
    if y:
        f += [
            ref("country_id", "base.pl"),
            ("pesel", mk_pesel(y, m, d, male)),
            ("email", f"{ascii_(name.split()[0])}.{i}@example.pl"),
            (
                "mobile",
                f"+48 6{random.randint(0,9)}{random.randint(0,9)} {random.randint(100,999)} {random.randint(100,999)}",
            ),
        ]
    else:
        f += [
            ref("country_id", "base.fr" if "Sophie" in name else "base.de"),
            ("email", f"{ascii_(name.split()[0])}@example.eu"),
        ]
    f += [
        ref("client_status_id", f"crm_clients.{statuses[(i+1)%4]}"),
        ("priority", str(i % 4)),
        ev("is_buyer", "True"),
        ev("category_id", "[Command.set([ref('tag_retail')])]"),
        ("external_ref", f"ERP-{1000+i}"),
    ]
    rec(f"client_demo_{i:02d}", f)
contacts = [
    ("client_demo_01", "Jan Kowalski", "Prezes Zarządu"),
    ("client_demo_01", "Ewa Malinowska", "Główna księgowa"),
    ("client_demo_02", "Marek Zieliński", "Kierownik zakupów"),
    ("client_demo_23", "Pieter De Smet", "Purchasing Manager"),
    ("client_demo_24", "Hans Müller", "Geschäftsführer"),
]
for j, (parent, name, function) in enumerate(contacts, 1):
    rec(
        f"client_demo_contact_{j:02d}",
        [
            ("name", name),
            ref("parent_id", parent),
            ("function", function),
            ("email", f"{ascii_(name.split()[0])}.{ascii_(name.split()[-1])}@example.com"),
        ],
    )
out.append("</odoo>")
with open("demo/res_partner_demo.xml", "w") as demo_file:
    demo_file.write("\n".join(out) + "\n")
print(i)
