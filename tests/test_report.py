"""The HTML report: renders, is self-contained, fails cleanly."""

import base64
import re

import pytest

from analysis.cli import main
from analysis.report import ReportError, render_report
from tests.conftest import EXAMPLE


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "example"
    return render_report(EXAMPLE, out, timestamp=False, formats="svg,pdf,png")


def test_report_writes_html_figures_and_tables(rendered):
    out = rendered.parent
    figures = {p.name for p in (out / "figures").iterdir()}
    for name in ("theme_frequencies", "category_by_group", "valence_by_theme", "saturation"):
        assert {f"{name}.svg", f"{name}.pdf", f"{name}.png"} <= figures
    assert {"overview.csv", "category_by_group.csv", "main_themes.csv", "theme_frequencies.csv",
            "chi2.csv", "commonality.csv", "participants.csv", "tables.xlsx"} <= {
        p.name for p in (out / "tables").iterdir()}
    html = rendered.read_text(encoding="utf-8")
    assert "Session-notes analysis report" in html
    assert 'class="toc"' in html and "Theme frequencies" in html
    # code hidden by default; input name and hash in the footer
    assert "read_study(input_path" not in html
    import hashlib

    assert hashlib.sha256(EXAMPLE.read_bytes()).hexdigest() in html
    # self-contained: no external images, scripts or stylesheets that need the network
    assert not re.search(r'<(img|script)[^>]+src="https?://', html)
    assert re.search(r"<img [^>]*src=\"data:image/svg\+xml;base64,", html)  # embedded figure


def test_report_overview_matches_tables_csv(rendered, example_study):
    import pandas as pd

    from analysis import tables

    csv = pd.read_csv(rendered.parent / "tables" / "overview.csv", index_col="group")
    expected = tables.overview(tables.one_coder(example_study.notes))
    pd.testing.assert_frame_equal(csv, expected, check_names=False)


def test_two_renders_are_identical_without_timestamp(rendered, tmp_path):
    # the default formats (SVG and PDF), against the run that also wrote PNGs
    again = render_report(EXAMPLE, tmp_path / "again", timestamp=False)
    # the page names the formats written; apart from that sentence it is the same
    page, first = again.read_text(encoding="utf-8"), rendered.read_text(encoding="utf-8")
    assert "figures as SVG, PDF and PNG in figures/" in first
    assert "figures as SVG and PDF in figures/" in page
    assert page == first.replace("figures as SVG, PDF and PNG in", "figures as SVG and PDF in")
    assert not list((again.parent / "figures").glob("*.png"))
    assert ({p.stem for p in (again.parent / "figures").glob("*.pdf")}
            == {p.stem for p in (again.parent / "figures").glob("*.svg")})
    for sub in ("figures/theme_frequencies.svg", "figures/theme_frequencies.pdf",
                "tables/theme_frequencies.csv", "tables/tables.xlsx"):
        assert (again.parent / sub).read_bytes() == (rendered.parent / sub).read_bytes(), sub


def test_bad_input_leaves_no_output(xlsx, tmp_path, capsys):
    bad = xlsx({"notes": [("group", "session", "theme"), ("G1", "nope", "A")]})
    out = tmp_path / "out"
    with pytest.raises(ReportError, match="data error"):
        render_report(bad, out)
    assert not out.exists()
    assert list(tmp_path.glob(".out*")) == []
    assert main(["report", str(bad), "--out", str(out)]) == 1
    assert "error:" in capsys.readouterr().err and not out.exists()
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert main(["report", str(empty), "--out", str(out)]) == 2


def test_previous_report_survives_a_failed_run(rendered, xlsx):
    bad = xlsx({"notes": [("group", "session", "theme"), ("G1", "nope", "A")]})
    before = rendered.read_bytes()
    with pytest.raises(ReportError):
        render_report(bad, rendered.parent)
    assert rendered.read_bytes() == before


def test_png_in_report_folder_decodes(rendered):
    png = (rendered.parent / "figures" / "theme_frequencies.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(base64.b64encode(png)) > 1000


@pytest.mark.parametrize("text", [
    "group,session,theme\nG1,1,A\nG1,2,B\n",              # one group, no codebook
    "group,session,theme,category\nG1,1,A,X\n",            # a single note
])
def test_report_renders_small_studies(tmp_path, text):
    path = tmp_path / "small.csv"
    path.write_text(text, encoding="utf-8")
    html = render_report(path, tmp_path / "out", timestamp=False)
    assert "Session-notes analysis report" in html.read_text(encoding="utf-8")
    text = _visible_text(_soup(html))
    assert not WARNING_TEXT.search(text), WARNING_TEXT.search(text)


def test_two_runs_differ_only_in_the_timestamp_line(tmp_path):
    import difflib

    a = render_report(EXAMPLE, tmp_path / "a").read_text(encoding="utf-8").splitlines()
    b = render_report(EXAMPLE, tmp_path / "b").read_text(encoding="utf-8").splitlines()
    changed = [line for line in difflib.unified_diff(a, b, lineterm="", n=0)
               if line.startswith(("+", "-")) and not line.startswith(("+++", "---"))]
    assert all("Rendered " in line for line in changed), changed


# --- the report as a research product --------------------------------------------------------

RAW_CELL = re.compile(r"^(nan|NaN|NaT|<NA>|None|True|False|\[.*\]|\(.*,.*\)|\{.*\})$", re.S)
WARNING_TEXT = re.compile(r"\b\w*(Warning|Error)\b|Traceback|warnings\.warn|site-packages")


def _soup(path):
    from bs4 import BeautifulSoup

    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def _visible_text(soup) -> str:
    for tag in soup(["style", "script"]):
        tag.extract()
    return soup.get_text(" ")


def check_publication_page(path):
    """Assert what every report page must hold; return the parsed page."""
    soup = _soup(path)
    # figures: numbered in order, each an <img> with alt text describing it and a caption
    figures = soup.select("figure.report-figure")
    assert figures, "no figure"
    for number, fig in enumerate(figures, 1):
        (img,) = fig.find_all("img")
        alt = img.get("alt", "")
        assert len(alt) > 40 and "No description" not in alt, alt
        assert re.search(r"\d", alt), alt  # counts are named
        caption = fig.find("figcaption").get_text(" ", strip=True)
        assert caption.startswith(f"Figure {number}. ")
    assert len(soup.find_all("img")) == len(figures)  # no image outside a captioned figure
    # tables: numbered in order, one caption and one note each; folded copies have none
    blocks = soup.select("div.table-block")
    assert blocks, "no table"
    for number, block in enumerate(blocks, 1):
        captions = block.find_all("caption")
        assert len(captions) == 1
        assert captions[0].get_text(" ", strip=True).startswith(f"Table {number}. ")
        assert len(block.select("p.table-note")) == 1
    assert len(soup.find_all("table")) == len(blocks) + len(soup.select("div.table-block "
                                                                         "details table"))
    # no raw values in any cell, no index numbers as a first column
    for cell in soup.find_all(["td", "th"]):
        text = cell.get_text(" ", strip=True)
        assert not RAW_CELL.match(text), text
    for table in soup.find_all("table"):
        first = [tr.find("td") for tr in table.find_all("tr") if tr.find("td")]
        values = [td.get_text(strip=True) for td in first]
        assert values[:3] != ["0", "1", "2"], values
    text = _visible_text(soup)
    assert not WARNING_TEXT.search(text), WARNING_TEXT.search(text)
    return soup


def test_report_is_a_research_product(rendered, example_study):
    import pandas as pd

    from analysis import tables

    assert rendered.stat().st_size < 2.5 * 2**20
    soup = check_publication_page(rendered)
    assert soup.title.get_text() == "example_study.xlsx: session-notes analysis report"
    # Figure 1 is the category map (every session touched every category), and says why
    first = soup.select("figure.report-figure")[0]
    assert "categories and their themes" in first.figcaption.get_text().lower()
    assert "All 28 sessions fall in a single region" in soup.get_text()
    alt = first.img["alt"]
    notes = tables.one_coder(example_study.notes)
    for category in notes["category"].cat.categories:
        n = int((notes["category"] == category).sum())
        assert f"{category}: 11 themes, {n} notes" in alt
    # quotes for every main theme, labelled with group and session
    main = pd.read_csv(rendered.parent / "tables" / "main_themes.csv")
    quoted = {div["data-theme"] for div in soup.select("div.quote-theme")}
    assert set(main["theme"]) <= quoted
    for div in soup.select("div.quote-theme"):
        quotes = div.find_all("blockquote")
        assert 1 <= len(quotes) <= 3
        for q in quotes:
            assert re.fullmatch(r"Group \d, session \d+, SW-\d\d \w+",
                                q.footer.get_text(strip=True))
        texts = [q.p.get_text() for q in quotes]
        assert set(texts) <= set(notes.loc[notes["theme"] == div["data-theme"], "note"])
    # the codebook table: every theme with its definition and counts as in the tables
    codebook = next(b for b in soup.select("div.table-block")
                    if "codebook" in b.caption.get_text().lower() and "definition" in b.get_text())
    headers = [th.get_text(strip=True) for th in codebook.find("thead").find_all("th")]
    assert headers == ["category", "theme", "definition", "aliases", "notes", "sessions",
                       "groups", "example"]
    rows = {tr.find_all("td")[1].get_text(strip=True): tr.find_all("td")
            for tr in codebook.find("tbody").find_all("tr")}
    assert set(rows) == set(example_study.codebook["theme"])
    hand = notes.groupby("theme", observed=True).size()
    for theme, cells in rows.items():
        assert cells[4].get_text(strip=True) == str(hand.get(theme, 0)), theme
    # findings in words, generated from the numbers
    findings = [li.get_text() for li in soup.select("ul.findings li")]
    neg = int((notes["valence"] == "negative").sum())
    assert any(f"({neg} of {len(notes)};" in f for f in findings)
    # the methods appendix names the input's hash and the coders
    import hashlib

    methods = soup.find(id="table-" + str(len(soup.select("div.table-block")) - 1))
    assert hashlib.sha256(EXAMPLE.read_bytes()).hexdigest() in methods.get_text()
    assert "R1: 639 notes; R2: 72 notes" in methods.get_text()
    # Table "Participants": counts whole, each row its own measure
    people = next(b for b in soup.select("div.table-block")
                  if "Participants of each group" in b.caption.get_text())
    rows = {tr.find("td").get_text(strip=True): [td.get_text(strip=True)
                                                 for td in tr.find_all("td")[1:]]
            for tr in people.find("tbody").find_all("tr")}
    sizes = example_study.participants.groupby("group", observed=True).size()
    assert rows["n"] == [str(int(v)) for v in sizes] + [str(int(sizes.sum()))]
    # every shown table is also in tables/
    for name in ("codebook", "methods", "checklist", "group_regions"):
        assert (rendered.parent / "tables" / f"{name}.csv").is_file(), name


def _many(tmp_path):
    """A study of 12 groups and 75 themes in 8 categories (notes as CSV, valence included)."""
    import random

    rng = random.Random(15)
    lines = ["group,session,theme,category,valence,note"]
    for g in range(1, 13):
        for s in range(1, 5):
            for t in rng.sample(range(75), 12):
                valence = ("negative", "neutral", "positive")[t % 3]
                lines.append(f"Group {g},{s},Theme number {t:02d} with a longer label,"
                             f"Category {t % 8 + 1},{valence},Said that theme {t} came up "
                             f"in group {g}.")
    path = tmp_path / "many.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_report_scales_to_many_groups_and_themes(tmp_path):
    html = render_report(_many(tmp_path), tmp_path / "many", timestamp=False)
    soup = check_publication_page(html)
    # long tables show their first rows and fold the whole table
    folded = soup.select("div.table-block details")
    assert folded and all(len(d.find("table").find("tbody").find_all("tr")) > 40
                          for d in folded)
    # more than three groups: an UpSet plot of the largest intersections, the rest summarized
    upset = next(f for f in soup.select("figure.report-figure")
                 if "Themes shared by the groups" in f.figcaption.get_text())
    caption = upset.figcaption.get_text()
    assert "largest of" in caption and "are not drawn" in caption
    assert "UpSet plot of 12 sets" in upset.img["alt"]
    # Figure 1 is a map (eight categories cannot be a Venn diagram)
    assert "8 categories" in soup.get_text() and (html.parent / "figures" /
                                                  "category_map.svg").is_file()


def test_title_and_every_user_string_are_escaped(tmp_path):
    path = tmp_path / "pilot.csv"
    path.write_text(
        "group,session,theme,category,note\n"
        'G1,1,<script>alert(1)</script>,<i>Cat</i>,"Said that <b>she</b> & others agreed."\n'
        'G2,2,<script>alert(1)</script>,<i>Cat</i>,"Said that nothing changed at all."\n'
        "G2,3,Plain,Other,Said that the rota changed twice.\n", encoding="utf-8")
    html = render_report(path, tmp_path / "out", timestamp=False, title="Pilot <study> & co")
    page = html.read_text(encoding="utf-8")
    assert "<title>Pilot &lt;study&gt; &amp; co: session-notes analysis report</title>" in page
    assert "<script>alert(1)" not in page and "<b>she</b>" not in page and "<i>Cat" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    soup = check_publication_page(html)
    quotes = [q.p.get_text() for q in soup.select("div.quote-theme blockquote")]
    assert "Said that <b>she</b> & others agreed." in quotes
    assert "Study: Pilot <study> & co" in soup.get_text(" ", strip=True).replace("  ", " ")


def test_report_states_session_level_statistics(rendered, example_study):
    """The statistics of the session as the unit, checked against independent computations."""
    import numpy as np
    import pandas as pd
    from scipy.stats import binomtest, chi2_contingency

    from analysis import stats, tables

    out = rendered.parent / "tables"
    soup = _soup(rendered)
    notes = tables.one_coder(example_study.notes, sessions=example_study.sessions)
    # the header's count is followed by what the tables count, and why some notes are left out
    caption = f"Notes counted in the tables below: {len(notes)} of {len(example_study.notes)}."
    assert caption in soup.get_text()
    coding = pd.read_csv(out / "coding_summary.csv", index_col="reason")
    left = coding.loc["left out: another coder of a double-coded session"]
    assert int(left["notes"]) == len(example_study.notes) - len(notes) == 72
    # the permutation p-value and the residuals are CSV columns
    comparison = pd.read_csv(out / "group_comparison.csv", index_col="category")
    groups = list(notes["group"].cat.categories)
    assert {"pval", "pval_se", "pval_holm", "pval_notes", "cramer_low", "cramer_high"} <= set(
        comparison.columns)
    assert {f"residual {g}" for g in groups} <= set(comparison.columns)
    # ... equal to the session-level test on the same notes, and Haberman's residuals by hand
    test = stats.group_test(notes, seed=0)
    assert comparison.loc["All", "pval"] == pytest.approx(test.loc["All", "pval"])
    p = comparison.loc["All", "pval"]
    assert comparison.loc["All", "pval_se"] == pytest.approx(np.sqrt(p * (1 - p) / 10_000))
    o = pd.crosstab(notes["category"], notes["group"]).astype(float)
    n = o.to_numpy().sum()
    r, c = o.sum(axis=1).to_numpy()[:, None], o.sum(axis=0).to_numpy()[None, :]
    e = r * c / n
    hand = (o - e) / np.sqrt(e * (1 - r / n) * (1 - c / n))
    shown = comparison.drop(index="All")[[f"residual {g}" for g in groups]]
    np.testing.assert_allclose(shown.loc[list(hand.index)].to_numpy(), hand.to_numpy())
    assert comparison.loc["All", "pval_notes"] == pytest.approx(chi2_contingency(o)[1])
    residuals = pd.read_csv(out / "residuals.csv")
    assert list(residuals.columns[:2]) == ["category", "group"]
    # the findings quote the same p, its standard error and the note-level p as descriptive
    findings = [li.get_text() for li in soup.select("ul.findings li")]
    sentence = next(f for f in findings if f.startswith("By a session-level permutation test"))
    assert f"p = {test.loc['All', 'pval']:.3f}" in sentence
    assert f"note-level chi-square gives p = {chi2_contingency(o)[1]:.3f}, descriptive" in sentence
    # the share of negative notes with its session-bootstrap and Wilson intervals
    k = int((notes["valence"] == "negative").sum())
    boot = stats.shares(notes, of="valence", method="bootstrap", seed=0).set_index("level")
    wilson = binomtest(k, len(notes)).proportion_ci(method="wilson")
    assert any(f"({k} of {len(notes)}; 95% interval {100 * boot.loc['negative', 'low']:.0f}% to "
               f"{100 * boot.loc['negative', 'high']:.0f}%, bootstrap over the 28 sessions "
               f"(unit: sessions); Wilson interval, treating notes as independent: "
               f"{100 * wilson.low:.0f}% to {100 * wilson.high:.0f}%)" in f for f in findings)
    shares = pd.read_csv(out / "valence_shares.csv").set_index("level")
    assert shares.loc["negative", "low"] == pytest.approx(wilson.low)
    # saturation after Guest et al., in date order and over random orders
    saturation = pd.read_csv(out / "saturation.csv").set_index("scope")
    needed = int(saturation.loc["all groups", "sessions_needed"])
    assert any(f"All groups: reached after {needed} of 28 sessions in date order; median "
               f"{saturation.loc['all groups', 'median']:.0f} over 1,000 random orders" in f
               for f in findings)
    assert {"share_reached", "median", "min", "max"} <= set(saturation.columns)
    # commonality against groups of randomly dealt sessions
    common = pd.read_csv(out / "commonality_test.csv", index_col="category")
    assert {"pval_less", "pval_more", "pval_se", "null_jaccard"} <= set(common.columns)
    # agreement over the double-coded sessions: percent agreement by hand
    agree = pd.read_csv(out / "agreement.csv", index_col="theme")
    both = example_study.notes.dropna(subset=["coder"])
    per = both.groupby(["group", "session"], observed=True)["coder"].nunique()
    double = per[per > 1].index
    themes = list(example_study.codebook["theme"])
    same = []
    for g, s in double:
        here = both[(both["group"] == g) & (both["session"] == s)]
        r1 = set(here.loc[here["coder"] == "R1", "theme"])
        r2 = set(here.loc[here["coder"] == "R2", "theme"])
        same += [(t in r1) == (t in r2) for t in themes]
    assert agree.loc["All", "percent_agreement"] == pytest.approx(np.mean(same))
    assert {"kappa_low", "kappa_high", "alpha_low", "alpha_high"} <= set(agree.columns)
    differ = pd.read_csv(out / "disagreements.csv")
    assert len(differ) == len(same) - sum(same)
    assert any(b.caption.get_text().startswith(f"Table {i}. Disagreements to discuss")
               for i, b in enumerate(soup.select("div.table-block"), 1))
    # the import section says how the input was read
    read = pd.read_csv(out / "import.csv").set_index("item")["value"]
    assert read["layout"] == example_study.log.layout
    assert "theme ← D (theme)" in read["columns (role ← column)"]
    assert read["codebook"] == "sheet 'codebook'"
