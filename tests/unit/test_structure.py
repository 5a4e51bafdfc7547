"""Documents of any shape: titles, headings, list items and web noise in text, HTML and PDF."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.chunking import chunk_document
from ingest.loaders import parse_bytes
from ingest.structure import is_noise, split_title, structure_text

ARTICLE = """How to Become a Data Engineer in 2026: A Complete Guide

By Jane Doe | Updated March 2026 | 12 min read

We use cookies to improve your experience. Accept all cookies

Data engineers build the pipelines that move data from where it is made to where it is used.

Skills Required for the Role

The core skills are:

- SQL for querying warehouses
• Python for pipelines
1. Spark for large data
2) Airflow for scheduling

Read also: 10 Best Python Courses for Beginners

Step 1: Learn SQL and Python

Start with SQL, because every data team uses it every day. Then learn Python.

3. Build a Portfolio

A portfolio of two or three pipelines shows employers what you can do.

Do I need a degree?

Not always. Many data engineers are self-taught.

tags: data engineering, career, sql
Share this article on Twitter
"""


def _doc(name: str, data: bytes):
    return parse_bytes(Path(name), name, data)


def test_noise_lines_are_recognised_and_content_is_not():
    for line in (
        "Read also: 10 Best Python Courses",
        "tags: ml, career",
        "Share this article on Twitter",
        "Follow us on LinkedIn for more career tips",
        "We use cookies to improve your experience.",
        "Subscribe to our newsletter",
        "Advertisement",
        "By Jane Doe | Updated March 2026 | 12 min read",
    ):
        assert is_noise(line), line
    for line in (
        "Share your work on GitHub so employers can see it.",
        "Subscribers to a streaming service get recommendations.",
        "By the end of the course you can train a model.",
    ):
        assert not is_noise(line), line


def test_plain_text_article_gets_title_headings_and_items():
    title, rest = split_title(ARTICLE)
    assert title == "How to Become a Data Engineer in 2026: A Complete Guide"
    md = structure_text(rest)
    headings = [line[3:] for line in md.splitlines() if line.startswith("## ")]
    assert headings == [
        "Skills Required for the Role",
        "Step 1: Learn SQL and Python",
        "3. Build a Portfolio",
        "Do I need a degree?",
    ]
    items = [line[2:] for line in md.splitlines() if line.startswith("- ")]
    assert items == [
        "SQL for querying warehouses",
        "Python for pipelines",
        "Spark for large data",
        "Airflow for scheduling",
    ]
    assert "The core skills are:" in md.splitlines()  # a lead-in stays its own line
    for noise in ("cookies", "Read also", "tags:", "Share this", "Jane Doe"):
        assert noise not in md


def test_hash_named_text_file_is_cited_by_its_own_title_and_sections():
    doc = _doc("a7f3c9e21b04d8aa.txt", ARTICLE.encode())
    assert doc.title.startswith("How to Become a Data Engineer")
    sections = {c.section for c in chunk_document(doc)}
    assert {"Skills Required for the Role", "Do I need a degree?"} <= sections
    assert all("a7f3c9" not in c.title for c in chunk_document(doc))


def test_hash_named_file_without_a_title_line_never_uses_the_hash():
    doc = _doc("5e0b2d9c4f1a77c3.txt", b"some notes without any title, just a sentence.\n")
    assert "5e0b2d9c" not in doc.title


def test_hard_wrapped_paragraphs_join_and_bare_line_lists_split():
    text = (
        "Notes on Study\n\nMachine learning rests on linear algebra, calculus\n"
        "and probability, which you learn\nstep by step.\n\nLinear algebra\nCalculus\n"
        "Probability\n"
    )
    title, rest = split_title(text)
    md = structure_text(rest)
    assert title == "Notes on Study"
    assert "calculus and probability, which you learn step by step." in md
    assert [ln for ln in md.splitlines() if ln.startswith("- ")] == [
        "- Linear algebra",
        "- Calculus",
        "- Probability",
    ]


def test_html_headings_h1_to_h6_title_and_noise():
    html = (
        "<html><head><title>Becoming an ML engineer | SomeSite</title></head><body>"
        "<div class='cookie-banner'>We use cookies</div>"
        "<h1>Becoming an ML Engineer</h1><p>Intro text about the path.</p>"
        "<h2>Math</h2><p>Learn linear algebra first.</p>"
        "<h5>Deep detail</h5><p>Eigenvalues matter for PCA.</p>"
        "<ul><li>Vectors</li><li>Matrices</li></ul>"
        "<p>Share this article on Twitter</p>"
        "<aside>Related posts</aside></body></html>"
    )
    doc = _doc("9f8e7d6c5b4a3f2e.html", html.encode())
    assert doc.title == "Becoming an ML Engineer"
    chunks = chunk_document(doc)
    assert {"Math", "Math › Deep detail"} <= {c.section for c in chunks}
    units = [u for c in chunks for u in c.units]
    assert "Vectors" in units and "Matrices" in units
    assert not any("cookies" in u or "Share this" in u for u in units)


def test_pdf_headings_by_font_size_and_title_from_metadata():
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_title("Statistics for ML")

    def write(text: str, size: int, style: str = "") -> None:
        pdf.set_font("Helvetica", style, size)
        pdf.multi_cell(0, size * 0.6, text, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)

    write("Statistics for ML", 20, "B")
    write("Why statistics", 14, "B")
    write(
        "Statistics tells you whether a difference between two models is real or noise, "
        "which matters every time you compare experiments and report a result to others.",
        11,
    )
    write("Key ideas", 14, "B")
    for item in ("- Distributions", "- Hypothesis tests", "- Confidence intervals"):
        pdf.set_font("Helvetica", "", 11)
        pdf.multi_cell(0, 6, item, new_x="LMARGIN", new_y="NEXT")
    doc = _doc("3c2b1a0f9e8d7c6b.pdf", bytes(pdf.output()))
    assert doc.title == "Statistics for ML"
    chunks = chunk_document(doc)
    by_section = {c.section: c for c in chunks}
    assert set(by_section) == {"Why statistics", "Key ideas"}
    assert "report a result to others." in by_section["Why statistics"].units[-1]
    assert by_section["Key ideas"].units == (
        "Distributions",
        "Hypothesis tests",
        "Confidence intervals",
    )


def test_chunks_are_size_bounded_for_every_format_and_lists_stay_whole():
    from ingest.chunking import MAX_CHUNK_CHARS

    sentence = "Gradient descent moves the weights a small step against the gradient. "
    wall = (
        "Notes on Training\n\n"
        + sentence * 150
        + "\n\nKey steps:\n\n"
        + "".join(f"- Step number {i} of the loop\n" for i in range(12))
    )
    for name, data in (
        ("0f1e2d3c4b5a6978.txt", wall.encode()),
        ("wall.md", ("# Notes\n\n" + sentence * 150).encode()),
    ):
        chunks = chunk_document(_doc(name, data))
        assert len(chunks) > 3
        assert all(len(c.text) <= MAX_CHUNK_CHARS for c in chunks), name
    chunks = chunk_document(_doc("0f1e2d3c4b5a6978.txt", wall.encode()))
    steps = [c for c in chunks if c.section == "Key steps"]  # a short label heads its list
    assert len(steps) == 1 and len(steps[0].units) == 12


def test_a_list_of_questions_without_marks_is_a_list_not_a_heading():
    text = (
        "System Design\n\nQuestions to answer when designing an ML system:\n\n"
        "Where does the data come from, and how does it flow through pipelines?\n"
        "Are predictions made in real time or in batches?\n"
        "How is the model monitored once it is live?\n\nSkills\n- Python\n- SQL\n"
    )
    title, rest = split_title(text)
    md = structure_text(rest)
    assert [ln for ln in md.splitlines() if ln.startswith("## ")] == ["## Skills"]
    assert "- Are predictions made in real time or in batches?" in md.splitlines()


@pytest.mark.parametrize("name", ["0a1b2c3d4e5f6789.pdf", "career.pdf"])
def test_pdf_without_metadata_title_takes_its_first_heading_whatever_its_file_name(name):
    """Only hash-like names used to reach the first heading; 'career.pdf' was titled 'Career'
    and its real title became a section."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.multi_cell(0, 10, "Career Paths in Data", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    pdf.multi_cell(
        0, 6, "Analysts, engineers and scientists work together.", new_x="LMARGIN", new_y="NEXT"
    )
    doc = _doc(name, bytes(pdf.output()))
    assert doc.title == "Career Paths in Data"
    assert {c.section for c in chunk_document(doc)} == {"Overview"}


def test_sentences_know_the_first_sentence_of_their_paragraph():
    from ingest.chunking import parse_units

    units = parse_units(
        "Point first. An example.\n\nLead:\n\n- one item\n- two items\n\nNew point. Its example."
    )
    assert [(u.text, u.para) for u in units] == [
        ("Point first.", 0),
        ("An example.", 0),
        ("Lead:", -1),
        ("one item", -1),
        ("two items", -1),
        ("New point.", 5),
        ("Its example.", 5),
    ]
