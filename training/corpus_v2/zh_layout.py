"""Chinese books laid out as Chinese plain-text e-books are, for training text.

The Project Gutenberg scrape kept no line breaks (collect_repos.paragraphs() makes
one line per few sentences), so the model saw Chinese prose only as long unindented
lines. Plain-text Chinese books look otherwise: every paragraph starts with two
ideographic spaces (U+3000, the typographic convention), and the GB-era e-texts
that much of the web's Chinese fiction still comes from are hard-wrapped at a fixed
width counted in bytes of GB 2312 (a non-ASCII character is two columns, an ASCII
one is one), cutting sentences and even pushing punctuation to the next line.
On held-out realworld/zh.txt, such a file, the run's step 3,021 spent 4.0% of its bits
on newlines (6.70 bits/byte) and 3.38 bits/byte on the token after a newline against
2.78 on average (bits_by_kind.py --line-starts; measured only).

Each book gets one of four layouts, chosen by its title's CRC-32 so that a rerun
writes the same bytes: indented paragraphs one per line; the same with blank lines
between paragraphs; and both of those hard-wrapped at a width of 60 to 80 columns.
"""
import zlib

INDENT = "\u3000\u3000"
WIDTHS = (60, 64, 66, 70, 72, 76, 78, 80)


def columns(ch):
    """A character's width in a GB 2312 text file: its bytes there."""
    return 1 if ord(ch) < 128 else 2


def wrap(line, width):
    """Hard-wrap `line` every `width` columns, wherever that falls (as the e-texts were)."""
    out, start, col = [], 0, 0
    for i, ch in enumerate(line):
        w = columns(ch)
        if col + w > width:
            out.append(line[start:i])
            start, col = i, 0
        col += w
    out.append(line[start:])
    return "\n".join(out)


def layout(book, title):
    """`book` (paragraphs one per line, chapters after a blank line) in its title's layout."""
    h = zlib.crc32(title.encode("utf-8"))
    blank_between = h & 1
    width = WIDTHS[(h >> 2) % len(WIDTHS)] if (h >> 1) & 1 else 0
    out = []
    for line in book.split("\n"):
        line = line.strip()
        if not line:
            if not blank_between and out and out[-1] != "":
                out.append("")  # a chapter break stays a blank line
            continue
        line = INDENT + line
        out.append(wrap(line, width) if width else line)
        if blank_between:
            out.append("")
    return "\n".join(out).strip("\n")


def _selftest():
    assert wrap("ab" + "中" * 6, 6) == "ab中中\n中中中\n中"
    assert wrap("中文", 80) == "中文"
    book = "第一回 开场\n" + "甲乙丙丁，戊己庚辛。" * 9 + "\n子丑寅卯。\n\n第二回 下文\n辰巳午未。"
    seen = set()
    for title in ("书%d" % i for i in range(64)):
        text = layout(book, title)
        assert text == layout(book, title)  # deterministic
        assert text.replace("\n", "").replace(INDENT, "") == book.replace("\n", "")
        assert all(line.startswith(INDENT) for line in text.split("\n\n") if line)
        if text.count("\n\n") > 1:
            seen.add("blank")
        if any(len(x) < 40 and not x.startswith(INDENT) for x in text.split("\n") if x):
            seen.add("wrapped")
    assert seen == {"blank", "wrapped"}, seen
    print("zh_layout self-test passed")


if __name__ == "__main__":
    _selftest()
