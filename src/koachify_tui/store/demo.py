"""Realistic, deterministic demo data: Italian and English contacts, two pipelines, deals in every stage
and status, notes, tasks, appointments and messages. Same seed and day ⇒ same data."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from .models import HistoryEntry, Opportunity
from .service import Store

FIRST_IT = [
    "Giulia",
    "Marco",
    "Francesca",
    "Luca",
    "Chiara",
    "Alessandro",
    "Sofia",
    "Matteo",
    "Martina",
    "Niccolò",
    "Elena",
    "Andrea",
    "Federica",
    "Davide",
    "Ilaria",
    "Simone",
    "Beatrice",
    "Lorenzo",
    "Valentina",
    "Gabriele",
    "Noemi",
    "Tommaso",
    "Aurora",
    "Riccardo",
    "Alessia",
    "Mattia",
    "Gioia",
    "Emanuele",
    "Lucrezia",
    "Pietro",
]
LAST_IT = [
    "Rossi",
    "Bianchi",
    "Esposito",
    "Romano",
    "Colombo",
    "Ricci",
    "Marino",
    "Greco",
    "Bruno",
    "Gallo",
    "Conti",
    "De Luca",
    "Mancini",
    "Costa",
    "Giordano",
    "Rizzo",
    "Lombardi",
    "Moretti",
    "Barbieri",
    "Fontana",
    "Santoro",
    "Mariani",
    "Rinaldi",
    "Caruso",
    "Ferrara",
    "Galli",
    "Martini",
    "Leone",
    "D'Amico",
    "Fabbri",
    "Niccolò",
    "Sorrentino",
    "Zanetti",
    "Pellegrini",
    "Cattaneo",
]
FIRST_EN = [
    "Emma",
    "James",
    "Olivia",
    "Oliver",
    "Amelia",
    "Harry",
    "Isla",
    "Jack",
    "Chloé",
    "Noah",
    "Zoë",
    "Liam",
    "Renée",
    "Ethan",
    "Siobhán",
    "Owen",
]
LAST_EN = [
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "O'Brien",
    "Walker",
    "Wright",
    "Thompson",
    "Müller",
    "Hughes",
]
COMPANIES = [
    "",
    "",
    "",
    "Studio Bianchi",
    "Fitness Lab Srl",
    "Nutrizione & Benessere",
    "Mindset Academy",
    "Pasticceria Dolce Vita",
    "Officina Creativa",
    "Acme Ltd",
    "Brightside Coaching",
    "Osteria da Gino",
    "Yoga Città",
    "Società Agricola Il Poggio",
]
SOURCES = ["Form", "Funnel", "Facebook Ads", "Instagram", "Chat", "Manuale", "Passaparola", "Webinar", "CSV import"]
TAGS = [
    "Lead caldo",
    "Lead freddo",
    "VIP",
    "Newsletter",
    "Webinar novembre",
    "Business",
    "Life coaching",
    "Nutrizione",
    "Follow-up",
    "Referral",
]
OWNERS = ["Laura", "Paolo", ""]
DEAL_TITLES = [
    "Percorso 3 mesi",
    "Coaching individuale",
    "Pacchetto 10 sessioni",
    "Consulenza business",
    "Programma nutrizione",
    "Mastermind annuale",
    "Sessione strategica",
    "Corso online",
    "Coaching di coppia",
    "Workshop aziendale",
]
NOTES = [
    "Prima call conoscitiva: molto motivata, vuole iniziare a gennaio.",
    "Ha chiesto un preventivo per il pacchetto da 10 sessioni.",
    "Interessata al programma di gruppo: inviare la brochure.",
    "Richiamare dopo le feste.",
    "Budget limitato, proporre la rata mensile.",
    "Richiamato: decide entro venerdì.",
    "Molto soddisfatto della sessione di prova!",
    "Preferisce WhatsApp alle email.",
    "Segnalato da Giulia — ricordare lo sconto passaparola.",
]
TASKS = [
    "Inviare proposta",
    "Richiamare",
    "Inviare il contratto",
    "Email di follow-up",
    "Preparare piano personalizzato",
    "Confermare appuntamento",
    "Verificare il pagamento",
]
APPOINTMENTS = ["Call conoscitiva", "Sessione di prova", "Call gratuita", "Presentazione proposta", "Sessione 1"]
MESSAGES = [
    ("email", "in", "Buongiorno, vorrei maggiori informazioni sul percorso."),
    ("whatsapp", "in", "Ciao! Possiamo spostare la call a giovedì?"),
    ("email", "out", "Ecco la proposta come concordato. Fammi sapere!"),
    ("sms", "out", "Promemoria: domani alle 18 la nostra sessione."),
    ("call", "out", "Chiamata di 15 minuti: interessato, richiamare lunedì."),
    ("chat", "in", "Salve, è disponibile la registrazione del webinar?"),
    ("whatsapp", "out", "Perfetto, a presto!"),
]
LOST_REASONS = ["Prezzo troppo alto", "Ha scelto un altro coach", "Non è il momento giusto", "Nessuna risposta"]
SECOND_PIPELINE = ("Corsi online", ("Iscritto al webinar", "Call fissata", "Offerta inviata", "Acquistato"))


def _phone(rng: random.Random, italian: bool) -> str:
    if italian:
        prefix = rng.choice(["333", "347", "349", "320", "338", "366", "392"])
        number = f"{rng.randint(0, 9999999):07d}"
        return rng.choice([f"{prefix} {number}", f"+39 {prefix} {number[:3]} {number[3:]}", f"{prefix}{number}"])
    return f"+44 7{rng.randint(100, 999)} {rng.randint(100000, 999999)}"


def _email(first: str, last: str, rng: random.Random, taken: set[str]) -> str:
    import unicodedata

    def ascii_(s: str) -> str:
        return (
            unicodedata.normalize("NFKD", s)
            .encode("ascii", "ignore")
            .decode()
            .lower()
            .replace(" ", "")
            .replace("'", "")
        )

    domain = rng.choice(["gmail.com", "libero.it", "outlook.it", "yahoo.it", "hotmail.com", "icloud.com"])
    base = f"{ascii_(first)}.{ascii_(last)}"
    email, n = f"{base}@{domain}", 1
    while email in taken:
        n += 1
        email = f"{base}{n}@{domain}"
    taken.add(email)
    return email


def fill_demo(store: Store, *, contacts: int = 200, seed: int = 7, now: datetime | None = None) -> dict[str, int]:
    """Fill the store with demo data in one transaction; returns counts. The caller checks emptiness."""
    rng = random.Random(seed)
    now = now or datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0)
    counts = {"contacts": 0, "opportunities": 0, "notes": 0, "tasks": 0, "appointments": 0, "messages": 0}
    emails: set[str] = set()
    with store.write("demo") as tx:
        store.ensure_default_pipeline()
        main = store.get_pipeline("Vendite Coaching")
        names = {p.name for p in store.list_pipelines()}
        courses = (
            store.get_pipeline(SECOND_PIPELINE[0])
            if SECOND_PIPELINE[0] in names
            else store.create_pipeline(*SECOND_PIPELINE)
        )
        store.define_field("contact", "Data di nascita", type="date", key="birthday")
        store.define_field(
            "contact",
            "Obiettivo",
            type="select",
            options=["Carriera", "Benessere", "Relazioni", "Business"],
            key="goal",
        )
        store.define_field("opportunity", "Numero sessioni", type="number", key="sessions")
        for _i in range(contacts):
            italian = rng.random() < 0.75
            first = rng.choice(FIRST_IT if italian else FIRST_EN)
            last = rng.choice(LAST_IT if italian else LAST_EN)
            created = now - timedelta(days=rng.randint(0, 365), hours=rng.randint(0, 10))
            has_email = rng.random() < 0.92
            contact = store.create_contact(
                first_name=first,
                last_name=last,
                company=rng.choice(COMPANIES),
                email=_email(first, last, rng, emails) if has_email else "",
                phone=_phone(rng, italian) if (rng.random() < 0.8 or not has_email) else "",
                source=rng.choice(SOURCES),
                owner=rng.choice(OWNERS),
                tags=rng.sample(TAGS, k=rng.choice([0, 1, 1, 2, 3])),
                created_at=created,
                custom={"goal": rng.choice(["Carriera", "Benessere", "Relazioni", "Business", None])},
            )
            counts["contacts"] += 1
            cid = contact.id
            assert cid is not None
            for _ in range(rng.choice([0, 1, 1, 2, 3])):
                store.add_note(
                    rng.choice(NOTES), contact_id=cid, at=min(created + timedelta(days=rng.randint(0, 20)), now)
                )
                counts["notes"] += 1
            for _ in range(rng.choice([0, 1])):
                direction_msgs = rng.choice(MESSAGES)
                store.log_message(
                    direction_msgs[2],
                    contact_id=cid,
                    channel=direction_msgs[0],
                    direction=direction_msgs[1],
                    at=min(created + timedelta(hours=rng.randint(1, 400)), now),
                    read=rng.random() < 0.7,
                )
                counts["messages"] += 1
            if rng.random() < 0.65:
                pipeline = main if rng.random() < 0.7 else courses
                opp = store.create_opportunity(
                    cid,
                    rng.choice(DEAL_TITLES),
                    pipeline.id,
                    value_minor=rng.choice([30000, 49700, 90000, 150000, 240000, 350000, 120050]),
                    owner=rng.choice(OWNERS),
                    created_at=created + timedelta(days=1),
                    custom={"sessions": rng.choice([1, 3, 6, 10])},
                )
                counts["opportunities"] += 1
                assert opp.id is not None
                at = created + timedelta(days=1)
                steps = rng.randint(0, len(pipeline.stages) - 1)
                for stage in pipeline.stages[1 : steps + 1]:
                    at = min(at + timedelta(days=rng.randint(1, 12)), now)  # history is never in the future
                    store.move_opportunity(opp.id, stage.id)
                    _backdate(tx.session, opp.id, at, stage_change=True)
                roll = rng.random()
                status = (
                    "won"
                    if steps == len(pipeline.stages) - 1 and roll < 0.8
                    else "lost"
                    if roll < 0.18
                    else "abandoned"
                    if roll < 0.25
                    else "open"
                )
                if status != "open":
                    at = min(at + timedelta(days=rng.randint(1, 7)), now)
                    store.set_status(opp.id, status, reason=rng.choice(LOST_REASONS) if status == "lost" else "")
                    _backdate(tx.session, opp.id, at, stage_change=False)
                if rng.random() < 0.6:
                    due = now + timedelta(days=rng.randint(-6, 14))
                    store.add_task(rng.choice(TASKS), opportunity_id=opp.id, due_at=due, at=at)
                    counts["tasks"] += 1
                if rng.random() < 0.4:
                    start = now + timedelta(days=rng.randint(-20, 20), hours=rng.randint(0, 8))
                    store.add_appointment(
                        rng.choice(APPOINTMENTS),
                        start,
                        ends_at=start + timedelta(hours=1),
                        location=rng.choice(["Zoom", "Google Meet", "Studio, Via Roma 12", ""]),
                        opportunity_id=opp.id,
                    )
                    counts["appointments"] += 1
                if rng.random() < 0.5:
                    store.add_note(rng.choice(NOTES), opportunity_id=opp.id, at=at)
                    counts["notes"] += 1
            elif rng.random() < 0.3:
                store.add_task(
                    rng.choice(TASKS), contact_id=cid, due_at=now + timedelta(days=rng.randint(-3, 10)), at=created
                )
                counts["tasks"] += 1
    return counts


def _backdate(session: object, opportunity_id: int, at: datetime, *, stage_change: bool) -> None:
    """Give the latest history entry of a demo deal (and the deal itself) a time in the past."""
    from sqlmodel import Session, col

    assert isinstance(session, Session)
    session.flush()
    latest = (
        select(func.max(col(HistoryEntry.id)))
        .where(col(HistoryEntry.opportunity_id) == opportunity_id)
        .scalar_subquery()
    )
    session.execute(update(HistoryEntry).where(col(HistoryEntry.id) == latest).values(at=at))
    values = {"last_stage_change_at": at} if stage_change else {"last_status_change_at": at, "updated_at": at}
    opp = session.get(Opportunity, opportunity_id)
    if opp is not None:
        for key, value in values.items():
            setattr(opp, key, value)
        if not stage_change and opp.closed_at is not None:
            opp.closed_at = at
