"""Generate the SYNTHETIC example study ``src/analysis/data/example_study.xlsx``.

The workbook ships inside the package (``analysis.example_path()``, ``load_example()``).

Nothing in the workbook comes from real people or real recordings. The study is modelled on
the published design of the "Social Workers Helping Each Other" online mutual-support groups
(Italy, April-June 2020): 3 groups, 28 weekly 90-minute sessions, 45 female social workers,
over 30 inductive themes in three mutually exclusive categories. Pseudonyms, ages, attendance,
notes, valences and ratings are all drawn from ``numpy.random.default_rng(SEED)`` and short
template sentences; there is no clock, network or other input, so two runs write identical
bytes.

Run from the repository root::

    python data/make_example.py [OUTPUT.xlsx]
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from analysis import read_study, write_study
from analysis.study import Study

# Hand-aligned data tables: kept out of `ruff format`, which would put every field on a line.
# fmt: off
SEED = 20200401
OUT = Path(__file__).resolve().parents[1] / "src" / "analysis" / "data" / "example_study.xlsx"
PRACTICAL, METHOD, PERSONAL = (
    "Practical & organizational", "Methodological & ethical", "Personal & emotional")
# group -> (first session, number of weekly sessions); Group 3 split off Group 1 after its first
GROUPS = {"Group 1": (dt.date(2020, 4, 1), 10), "Group 2": (dt.date(2020, 4, 2), 9),
          "Group 3": (dt.date(2020, 4, 8), 9)}
FIRST, LAST = dt.date(2020, 4, 1), dt.date(2020, 6, 3)
LOCKDOWN_END = dt.date(2020, 5, 4)
DOUBLE_CODED = {"Group 1": (3, 8), "Group 2": (2, 7), "Group 3": (3, 7)}  # sessions coded by R2
DISCOVERIES = ("Unexpected networks", "Benefits of online interviews",
               "Unexpected resources of service users")
# deliberate spelling variants, so the reader's merge log has something to show:
# (group, theme, label as "typed", how many of that group's R1 rows get it)
VARIANTS = (("Group 2", "Fear of contagion", "fear of contagion ", 3),
            ("Group 3", "PPE and safety protocols", "PPE", 2),
            ("Group 1", "Remote working arrangements", "smart working", 2))
NAMES = """Alba Bianca Carla Dalia Elena Fiora Gemma Ilaria Lara Marta Nadia Ornella Paola Rita
Sara Tina Vera Ada Bruna Cinzia Dora Emma Flavia Giada Irene Livia Mara Noemi Olga Pia Rosa
Silvia Teresa Viola Zoe Agnese Beatrice Chiara Debora Eva Franca Gaia Greta Lia Nina""".split()
FRAMES = {"negative": ("Said that", "Told the group that", "Explained that"),
          "neutral": ("Explained that", "Mentioned that", "Reported that"),
          "positive": ("Shared that", "Told the group that", "Was glad to say that")}
VALENCE = {"-": "negative", "0": "neutral", "+": "positive"}


class Theme(NamedTuple):
    """One codebook theme and how often each group raises it."""

    label: str
    category: str
    weights: tuple[float, float, float]  # chance of coming up in a session, per group
    trend: str  # flat | early (fades) | late (grows) | may (only after the lockdown)
    definition: str
    phrases: tuple[str, ...]  # first character: valence (- 0 +), then a clause
    aliases: str | None = None


THEMES = (
    Theme("Remote working arrangements", PRACTICAL, (0.7, 0.7, 0.7), "early",
          "How work was split between office and home (smart working, rotas) day to day.",
          ("-working from home at the kitchen table all day is exhausting",
           "0her team rotates, one week in the office and one week at home",
           "+smart working gives her quiet time to write reports"),
          "smart working; working from home"),
    Theme("PPE and safety protocols", PRACTICAL, (0.65, 0.7, 0.65), "early",
          "Masks, gloves, sanitizer and the safety rules for meeting people.",
          ("-the office had no masks for staff who still meet families",
           "-the safety protocol changed three times in one week",
           "0the service finally delivered masks and gloves to every worker"),
          "PPE; personal protective equipment; DPI"),
    Theme("Home visits suspended", PRACTICAL, (0.65, 0.3, 0.65), "early",
          "Home visits stopped or limited to emergencies.",
          ("-home visits stopped and she no longer sees how the children live",
           "-each emergency visit now needs a manager's permission",
           "0visits are now made on the doorstep, keeping the distance")),
    Theme("Online interviews", PRACTICAL, (0.5, 0.45, 0.5), "flat",
          "Difficulties of interviews by video or phone: connections, devices, no private space.",
          ("-a mother could not speak freely because her partner was in the room",
           "-many families share one phone and have a poor connection",
           "0she now plans short phone calls instead of one long interview")),
    Theme("Benefits of online interviews", PRACTICAL, (0.35, 0.35, 0.35), "late",
          "Unexpected advantages of online interviews: some people spoke more freely.",
          ("+a teenager talked at length for the first time once the interview was online",
           "+some service users said online what they had never said in the office")),
    Theme("Digital tools and privacy", PRACTICAL, (0.45, 0.45, 0.45), "early",
          "Which platforms, devices and data-protection rules the service allowed.",
          ("-she uses her own mobile phone because the service has no work phones",
           "-nobody knows which apps may be used to send documents",
           "0the organization chose one video platform and issued data-protection rules")),
    Theme("Court hearings and child placement", PRACTICAL, (0.55, 0.0, 0.5), "flat",
          "Juvenile court hearings and placements of children postponed, remote or rushed.",
          ("-court hearings were postponed and a placement decision is on hold",
           "-a child was placed in a residential home without a preparatory visit",
           "0the juvenile court started holding some hearings by video")),
    Theme("Emergency food and income support", PRACTICAL, (0.0, 0.8, 0.0), "flat",
          "Food parcels, vouchers and income support for households that lost their income.",
          ("-requests for food parcels doubled and the vouchers ran out within days",
           "-families without documents cannot apply for the emergency income support",
           "0the municipality opened a phone line for food voucher requests")),
    Theme("Unexpected networks", PRACTICAL, (0.35, 0.45, 0.35), "late",
          "New cooperation with professionals, volunteers, charities and citizens.",
          ("+volunteers of a local charity now deliver shopping and medicines",
           "+doctors, teachers and social workers cooperate with fewer misunderstandings",
           "+neighbours offered help and everyone feels in the same boat")),
    Theme("Organizational decisions by managers", PRACTICAL, (0.4, 0.35, 0.4), "flat",
          "Decisions, delays and mixed messages from managers about how to work.",
          ("-managers decided everything without asking frontline workers",
           "-instructions from the management arrive late and contradict each other",
           "0her manager set up a weekly call to explain the new rules")),
    Theme("Return to in-person work", PRACTICAL, (0.45, 0.45, 0.45), "may",
          "Plans and worries about reopening offices and meeting people face to face again.",
          ("-nobody has explained how the office will be made safe for reopening",
           "0the service will restart face-to-face meetings by appointment",
           "+she looks forward to meeting families in person again")),
    Theme("Assessing risk without home visits", METHOD, (0.5, 0.2, 0.5), "flat",
          "Assessing risk to children or frail adults without seeing them at home.",
          ("-she cannot assess a family's risk without seeing the home",
           "-signs of violence at home are easy to miss on the phone",
           "0a teacher agreed to report worrying signs seen in online lessons")),
    Theme("Contact between children and parents", METHOD, (0.45, 0.0, 0.45), "flat",
          "Supervised contact between children in care and their parents, stopped or online.",
          ("-children in care have not seen their parents for weeks",
           "-a video call is not enough for a small child to keep a bond with her mother",
           "0contacts between children and parents now take place by video call")),
    Theme("Ethics of remote contact", METHOD, (0.35, 0.35, 0.35), "flat",
          "When remote contact is an acceptable substitute for meeting people, and its costs.",
          ("-she doubts it is right to decide about a family seen only on a screen",
           "0the group discussed when remote contact is acceptable and when it is not")),
    Theme("Confidentiality online", METHOD, (0.35, 0.3, 0.35), "flat",
          "Whether people can speak in confidence online, and who else may be listening.",
          ("-she never knows who else is listening on the other side of the call",
           "-service users fear that calls are recorded",
           "0she asks people to call from a quiet room or with headphones")),
    Theme("Professional boundaries", METHOD, (0.3, 0.3, 0.3), "flat",
          "Personal phone numbers, evening availability and the limits of being reachable.",
          ("-families message her personal phone late in the evening",
           "0she switches off the work phone after six in the evening")),
    Theme("Unexpected resources of service users", METHOD, (0.35, 0.35, 0.35), "late",
          "Resilience, skills and cooperation that service users unexpectedly showed.",
          ("+some families showed great resilience and organized themselves well",
           "+separated parents became more cooperative about their children",
           "+an elderly woman learned video calls to keep in touch with her grandchildren")),
    Theme("Advocacy for service users", METHOD, (0.15, 0.5, 0.0), "flat",
          "Speaking up for service users left out of the emergency measures.",
          ("-people without a residence permit are excluded from the emergency measures",
           "0she wrote to the municipality to ask for help for homeless people",
           "+a joint letter convinced the council to extend food support")),
    Theme("Reflexive practice", METHOD, (0.35, 0.35, 0.35), "late",
          "Reflecting on one's own practice and on what is essential in social work.",
          ("+the group helps her to stop and think about how she works",
           "+the emergency made her rethink what is essential in social work",
           "0she wonders which new ways of working to keep after the emergency")),
    Theme("Decision making under uncertainty", METHOD, (0.5, 0.45, 0.5), "early",
          "Deciding without clear rules, information or time, and living with the doubt.",
          ("-she has to decide alone, without clear rules and with little information",
           "-every decision feels provisional because the rules keep changing",
           "0her team now discusses difficult decisions together every morning")),
    Theme("Group work online", METHOD, (0.2, 0.4, 0.0), "flat",
          "Running groups and meetings with service users or carers online.",
          ("-older members cannot join online groups without help",
           "0she moved a carers' group online and half of the members joined",
           "+an online group for parents works better than she expected")),
    Theme("Outreach to people without digital access", METHOD, (0.05, 0.7, 0.05), "flat",
          "Reaching people with no internet, device or digital skills.",
          ("-many elderly people living alone have no smartphone and cannot be reached",
           "-migrant families share one phone with no data credit",
           "0she phones isolated elderly people every week from a list")),
    Theme("Fear of contagion", PERSONAL, (0.8, 0.8, 0.8), "early",
          "Fear of catching the virus or of bringing it home to the family.",
          ("-she is afraid of bringing the virus home to her children",
           "-she was scared after a colleague tested positive"), "fear of infection"),
    Theme("Fatigue and exhaustion", PERSONAL, (0.45, 0.45, 0.45), "late",
          "Tiredness, heavy workload and long hours without real breaks.",
          ("-she works late every evening and feels exhausted",
           "-the workload keeps growing and there is no time to rest")),
    Theme("Isolation and loneliness", PERSONAL, (0.5, 0.5, 0.5), "early",
          "Feeling alone at work and at home, cut off from colleagues.",
          ("-working from home she feels cut off from her colleagues",
           "-she misses the informal chats in the office corridor")),
    Theme("Balancing work and family", PERSONAL, (0.45, 0.45, 0.45), "flat",
          "Juggling work with children at home, home schooling and care of relatives.",
          ("-she works with her children at home doing school online",
           "0she and her partner take turns between work and the children",
           "-she answers work calls while helping her children with homework")),
    Theme("Guilt", PERSONAL, (0.35, 0.35, 0.35), "flat",
          "Feeling guilty for not doing enough, or for being safe while others are at risk.",
          ("-she feels guilty for not being able to visit the families",
           "-she feels guilty for staying home while colleagues are in the office")),
    Theme("Grief and loss", PERSONAL, (0.45, 0.45, 0.45), "early",
          "Deaths of service users, relatives or colleagues, and mourning without funerals.",
          ("-several elderly service users died alone in hospital",
           "-families could not hold funerals for their dead")),
    Theme("Anxiety about the future", PERSONAL, (0.35, 0.35, 0.35), "late",
          "Worry about what will happen after the emergency, to service users and to oneself.",
          ("-she worries about the poverty that will follow the lockdown",
           "-nobody knows how long this will last")),
    Theme("Pride in the profession", PERSONAL, (0.35, 0.35, 0.35), "late",
          "Feeling valued and proud to be a social worker, an essential worker.",
          ("+she is proud to be an essential worker in the emergency",
           "+a family thanked her and she felt her work is valued")),
    Theme("Hope", PERSONAL, (0.35, 0.35, 0.35), "late",
          "Hope and positive expectations for the future.",
          ("+she hopes the emergency will leave a more united service",
           "+she looks at the future with more confidence")),
    Theme("Need for mutual support", PERSONAL, (0.45, 0.45, 0.45), "flat",
          "Wanting and finding support from colleagues, including in this group.",
          ("+the weekly group is a space where she feels understood",
           "0she asked colleagues how they cope with the stress",
           "+talking with other social workers makes her feel less alone")),
    Theme("Anger at institutions", PERSONAL, (0.35, 0.35, 0.35), "flat",
          "Anger at institutions and policies that left workers or service users unsupported.",
          ("-social workers were forgotten in the government's decrees",
           "-institutions left frontline workers without protection")),
)
# fmt: on


def presence(theme: Theme, group: int, date: dt.date) -> float:
    """Return the chance that ``theme`` comes up in a session of ``group`` on ``date``."""
    x = (date - FIRST).days / (LAST - FIRST).days  # 0 at the first session, 1 at the last
    factor = {"flat": 1.0, "early": max(0.1, 2.2 * (1 - x) ** 2), "late": 0.2 + 1.6 * x,
              "may": 1.5 * (date >= LOCKDOWN_END)}[theme.trend]
    return min(0.95, theme.weights[group] * factor)


def make_participants(rng: np.random.Generator) -> pd.DataFrame:
    """45 pseudonymous participants, 15 per group."""
    n = len(NAMES)
    age = np.clip(np.rint(24 + rng.gamma(2.0, 4.5, n)), 24, 58).astype(int)
    age[rng.choice(n, 2, replace=False)] = (24, 58)
    experience = np.clip(np.rint((age - 22) * rng.beta(5, 2, n)), 1, age - 22).astype(int)
    experience[age == 24], experience[age == 58] = 1, 32
    region = np.array(["Lombardy"] * (n - 4) + ["Piemonte", "Piemonte", "Toscana", "Veneto"])
    return pd.DataFrame({
        "pseudonym": [f"SW-{i + 1:02d} {name}" for i, name in enumerate(NAMES)],
        "group": np.repeat(list(GROUPS), n // len(GROUPS)),
        "age": age, "years_experience": experience,
        "region": region[rng.permutation(n)], "gender": "female",
    })


def make_sessions(rng: np.random.Generator, participants: pd.DataFrame
                  ) -> tuple[pd.DataFrame, dict[tuple[str, int], np.ndarray]]:
    """Weekly sessions and, for each, the pseudonyms of those present."""
    rows, present = [], {}
    for group, (start, n) in GROUPS.items():
        members = participants.loc[participants["group"] == group, "pseudonym"].to_numpy()
        for s in range(1, n + 1):
            attendance = int(rng.choice(np.arange(9, 16), p=[.14, .22, .26, .17, .1, .06, .05]))
            present[group, s] = rng.choice(members, min(attendance, len(members)), replace=False)
            duration = {("Group 1", 1): 100, ("Group 2", n): 80}.get((group, s), 90)
            rows.append((group, s, pd.Timestamp(start + dt.timedelta(weeks=s - 1)),
                         len(present[group, s]), duration))
    return pd.DataFrame(rows, columns=["group", "session", "date", "attendance",
                                       "duration_min"]), present


def note_row(rng: np.random.Generator, theme: Theme, session: pd.Series, phrase: str,
             speaker: str, coder: str) -> dict[str, object]:
    """One note: a template sentence whose first character gives the valence."""
    valence = VALENCE[phrase[0]]
    frame = FRAMES[valence][rng.integers(len(FRAMES[valence]))]
    return {"group": session["group"], "session": session["session"], "date": session["date"],
            "theme": theme.label, "valence": valence, "note": f"{frame} {phrase[1:]}.",
            "speaker": speaker, "coder": coder}


def make_notes(rng: np.random.Generator, sessions: pd.DataFrame,
               present: dict[tuple[str, int], np.ndarray]) -> pd.DataFrame:
    """R1 notes for every session (1-3 rows per theme raised) plus R2's double coding."""
    rows = []
    for _, sess in sessions.iterrows():
        key, g = (sess["group"], sess["session"]), list(GROUPS).index(sess["group"])
        chance = np.array([presence(t, g, sess["date"].date()) for t in THEMES])
        raised = np.flatnonzero(rng.random(len(THEMES)) < chance)
        raised = raised[rng.permutation(len(raised))]  # the order the talk took
        first = {}  # theme index -> (phrase, speaker) of R1's first note
        for i in raised:
            theme = THEMES[i]
            speakers = rng.choice(present[key], 1 + rng.binomial(2, 0.5), replace=False)
            order = rng.permutation(len(theme.phrases))  # different speakers, different words
            phrases = [theme.phrases[order[j % len(order)]] for j in range(len(speakers))]
            first[i] = phrases[0], speakers[0]
            rows += [note_row(rng, theme, sess, ph, sp, "R1")
                     for ph, sp in zip(phrases, speakers, strict=True)]
        if sess["session"] in DOUBLE_CODED[sess["group"]]:
            # R2 misses about 10% of the themes R1 noted and adds about 10% more
            k = max(1, round(0.1 * len(raised)))
            dropped = set(rng.choice(raised, k, replace=False))
            others = np.flatnonzero((chance > 0) & ~np.isin(np.arange(len(THEMES)), raised))
            added = rng.choice(others, min(k, len(others)), replace=False)
            for i in added:
                phrases = THEMES[i].phrases
                first[i] = phrases[rng.integers(len(phrases))], rng.choice(present[key])
            for i in [*(i for i in raised if i not in dropped), *added]:
                rows.append(note_row(rng, THEMES[i], sess, *first[i], "R2"))
    notes = pd.DataFrame(rows)
    for group, theme, label, count in VARIANTS:
        hits = notes.index[(notes["group"] == group) & (notes["theme"] == theme)
                           & (notes["coder"] == "R1")][:count]
        assert len(hits) == count, (group, theme)
        notes.loc[hits, "theme"] = label
    notes["category"], notes["source"] = None, None
    return notes.sort_values(["group", "session", "coder"], kind="stable").reset_index(drop=True)


def make_ratings(rng: np.random.Generator, participants: pd.DataFrame) -> pd.DataFrame:
    """One helpfulness score (0-10) per participant at the last session of her group."""
    score = rng.choice([6, 7, 8, 9, 10], len(participants), p=[.05, .15, .3, .3, .2])
    return pd.DataFrame({"pseudonym": participants["pseudonym"],
                         "group": participants["group"],
                         "session": participants["group"].map({g: n for g, (_, n)
                                                               in GROUPS.items()}),
                         "item": "helpfulness", "score": score})


def check(study: Study) -> None:
    """Assert the properties the example study is meant to show (see data/README.md)."""
    p, s, n = study.participants, study.sessions, study.notes
    assert len(p) == 45 and (p["age"].min(), p["age"].max()) == (24, 58)
    assert 33 <= p["age"].mean() <= 35 and 8 <= p["years_experience"].mean() <= 10
    assert (p["years_experience"] <= p["age"] - 22).all() and p["years_experience"].min() == 1
    assert (p["region"] != "Lombardy").sum() == 4
    assert len(s) == 28 and s["attendance"].between(9, 15).all()
    assert 10.5 <= s["attendance"].mean() <= 11.5
    r1 = n[n["coder"] == "R1"]
    assert 600 <= len(r1) <= 900, len(r1)
    share = r1["valence"].value_counts(normalize=True)
    assert 0.55 <= share["negative"] <= 0.60 and 0.20 <= share["positive"] <= 0.25, share
    cat = {t.label: t.category for t in THEMES}
    assert set(n["theme"]) >= set(cat), set(cat) - set(n["theme"])
    by_group = r1.groupby("theme")["group"].nunique()
    assert all(by_group[t] == 3 for t in cat if cat[t] == PERSONAL or t in DISCOVERIES)
    late = r1["date"] >= pd.Timestamp(2020, 5, 1)
    for t in DISCOVERIES:
        assert (r1["theme"] == t)[late].sum() > (r1["theme"] == t)[~late].sum(), t
    fear = r1["theme"].str.casefold().str.strip() == "fear of contagion"
    assert fear[~late].sum() > 2 * fear[late].sum()
    assert r1.loc[r1["theme"] == "Return to in-person work", "date"].min() >= pd.Timestamp(
        LOCKDOWN_END)


# How the codebook was refined (the workbook's codebook_history sheet): two raw labels of the
# notes merged into their themes, and one theme moved after discussion. Replayed on reading.
HISTORY = pd.DataFrame(
    [(1, "merge", "smart working; Remote working arrangements", "Remote working arrangements",
      PRACTICAL, None, "colloquial label used in Group 1 for the same arrangements"),
     (2, "merge", "PPE; PPE and safety protocols", "PPE and safety protocols", PRACTICAL, None,
      "abbreviation used in Group 3"),
     (3, "move", "Unexpected networks", None, PRACTICAL, None,
      "first filed as methodological; the notes are about how help was organized")],
    columns=["step", "operation", "themes", "target", "category", "rule", "comment"],
)


def main(out: Path = OUT) -> Study:
    """Build the study, check it, write it, read it back and print its summary."""
    rng = np.random.default_rng(SEED)
    participants = make_participants(rng)
    sessions, present = make_sessions(rng, participants)
    notes = make_notes(rng, sessions, present)
    codebook = pd.DataFrame([(t.label, t.category, t.definition, t.aliases) for t in THEMES],
                            columns=["theme", "category", "definition", "aliases"])
    study = Study(notes=notes, codebook=codebook, sessions=sessions, participants=participants,
                  ratings=make_ratings(rng, participants), history=HISTORY)
    check(study)
    write_study(study, out)
    back = read_study(out)
    assert not back.log.all_errors and not back.log.warnings, back.log.problems_frame()
    assert len(back.notes) == len(notes) and len(back.log.merges) == len(VARIANTS)
    assert back.history is not None and len(back.history) == len(HISTORY)
    print(f"wrote {out.name}: {back.summary()}")
    return back


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
