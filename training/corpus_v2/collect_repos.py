"""Corpus v2, part 2 (issue #16): literature in Russian, Spanish, French,
Italian and Portuguese, Chinese verse as JSON, CSV data and Kubernetes YAML,
and (session 15) Chinese technical documentation, from public GitHub
repositories pinned to the commits below.

Bring each repository in with the search tool's fetch verb (a bare git
directory at MIRRORS/<owner>+<name>/repo), then

  python3 training/corpus_v2/collect_repos.py /work/.mirror /work/data/v2

writes OUT/<source>.txt (documents separated by a blank line, as build.sh
does) and appends to OUT/sources.tsv. Files are read with `git show` from the
pinned commit, so the result does not depend on when the snapshot was taken.

Held out, never taken (../shared/corpus/dev/realworld/ comes from them):
Chekhov (ru.txt), Pardo Bazán (es.txt), Lu Xun (zh.txt), the country-codes
CSV, prometheus-community's Helm charts. The loghub logs were not taken: their
licence allows research use only.
"""
import functools
import os
import re
import subprocess
import sys

import zh_layout
from opencc_t2s import T2S, mainland_punctuation
from sources import Sources

MIRRORS, OUT = sys.argv[1], sys.argv[2]

REPOS = {
    "d0rj/RusLit": "4509680428729da225a73a22008133660f92bb7e",  # public domain (README)
    "cligs/textbox": "1b91e940475c8a7e866457a3953fed5edb0a29f1",  # CC-BY-4.0 (per corpus readme)
    "chinese-poetry/chinese-poetry": "99ebbef7e1345c0985c44b9fd96a3f9e776f117b",  # MIT
    "fivethirtyeight/data": "fcf572c4fba05a42f1f34f415bd5e6dc389efd68",  # CC-BY-4.0
    "kubernetes/examples": "279e8e4fe314f6cb7bc55fa3fbc21bbeaa48c0ea",  # Apache-2.0
    "PaddlePaddle/docs": "46ceb37d54c1e4e994933424702031a073ec9100",  # Apache-2.0 (LICENSE); session 15
    # session 20: Project Gutenberg's Chinese books (public domain in the US; the repository, a
    # scrape of 410 of them, states no licence of its own) and OpenCC's conversion tables
    "TzuYuJih/BDSE37_-_Project_Gutenberg": "4bb70455ee1af9f6f840e94019803e75c0c8f0de",
    "BYVoid/OpenCC": "5249273a3e5606852f088c9a8b23522145d94f78",  # Apache-2.0 (LICENSE)
}


def git(repo, *args):
    d = os.path.join(MIRRORS, repo.replace("/", "+"), "repo")
    return subprocess.run(["git", "-C", d, "-c", "core.quotepath=false", *args], capture_output=True, check=True).stdout


def paths(repo, prefix=""):
    out = git(repo, "ls-tree", "-r", "-z", "--name-only", REPOS[repo], *([prefix] if prefix else []))
    return sorted(p for p in out.decode("utf-8").split("\0") if p)


def text(repo, path):
    try:
        return git(repo, "show", f"{REPOS[repo]}:{path}").decode("utf-8").lstrip("\ufeff")
    except (UnicodeDecodeError, subprocess.CalledProcessError):
        return ""


sources = Sources(OUT)
write = functools.partial(sources.write, fill=True)  # part 2 fills each source up to its limit


def main():
    os.makedirs(OUT, exist_ok=True)
    r = "d0rj/RusLit"
    write("ruslit", "prose-ru", "public domain (github.com/d0rj/RusLit " + REPOS[r][:7] + ")",
          [text(r, p) for p in paths(r) if p.endswith(".txt") and not p.startswith("prose/Chekhov/")], 10, 400)

    r = "cligs/textbox"
    es = [p for p in paths(r, "spanish/novela-espanola/txt_author-title") + paths(r, "spanish/cuentos-espanoles/txt_author-title")
          if not os.path.basename(p).startswith("Bazan_")] + paths(r, "spanish/novela-hispanoamericana/txt_id")
    lic = "CC-BY-4.0 (github.com/cligs/textbox " + REPOS[r][:7] + ")"
    write("textbox_es", "prose-es", lic, [text(r, p) for p in es if p.endswith(".txt")], 8, 300)
    write("textbox_fr", "prose-fr", lic, [text(r, p) for p in paths(r, "french") if "/txt/" in p and p.endswith(".txt")], 3, 300)
    write("textbox_it", "prose-it", lic, [text(r, p) for p in paths(r, "italian") if "/txt_id/" in p and p.endswith(".txt")], 2, 300)
    write("textbox_pt", "prose-pt", lic, [text(r, p) for p in paths(r, "portuguese") if "/txt_id/" in p and p.endswith(".txt")], 2, 300)

    r = "chinese-poetry/chinese-poetry"
    zh = [p for p in paths(r) if p.endswith(".json") and p.split("/")[0] in ("宋词", "元曲", "蒙学", "四书五经", "五代诗词", "楚辞", "诗经")]
    write("chinese_poetry_json", "data-zh", "MIT (github.com/chinese-poetry/chinese-poetry " + REPOS[r][:7] + ")",
          [text(r, p) for p in zh], 5, 150)

    r = "fivethirtyeight/data"
    write("fivethirtyeight_csv", "data-csv", "CC-BY-4.0 (github.com/fivethirtyeight/data " + REPOS[r][:7] + ")",
          [text(r, p) for p in paths(r) if p.endswith(".csv")], 8, 120)

    r = "kubernetes/examples"
    write("k8s_examples_yaml", "config", "Apache-2.0 (github.com/kubernetes/examples " + REPOS[r][:7] + ")",
          [text(r, p) for p in paths(r) if p.endswith((".yaml", ".yml"))], 2)

    # modern written Chinese (the sources above have verse, man pages and a reference manual):
    # PaddlePaddle's Chinese documentation, its *_cn.rst / *_cn.md files (guides and API pages)
    r = "PaddlePaddle/docs"
    write("paddle_docs_zh", "prose-zh", "Apache-2.0 (github.com/PaddlePaddle/docs " + REPOS[r][:7] + ")",
          [text(r, p) for p in paths(r) if p.endswith(("_cn.rst", "_cn.md"))], 6, 200)

    gutenberg_zh()
    sources.save_tsv(append=True)


# Fiction and essays in (early) modern vernacular Chinese, nearest to realworld/zh.txt's
# kind of text: late-Qing and Republican novels, stories and essays first, then the Ming-Qing
# vernacular classics. Not taken: every work of Lu Xun (zh.txt is his; 吶喊, 阿Ｑ正傳 and 狂人日記
# are in the scrape), classical-language texts, and 紅樓夢 and 瞎騙奇聞, whose scrape lost most
# full stops (under 18 per 1,000 characters; the others have 23-40; since session 21 a guard
# below refuses such a book too). Quotation marks become the mainland “ ” ‘ ’ (opencc_t2s.py).
# Since session 22 each book is laid out as a plain-text e-book (indented paragraphs, some
# hard-wrapped; zh_layout.py).
ZH_MODERN = ("二十年目睹之怪現狀 官場現形記 文明小史 孽海花 老殘遊記 老殘遊記續集 冷眼观 九尾狐 海上花列傳 黃繡球 "
             "胡涂世界 負曝閒談 商界現形記 恨海 情變 九命奇冤 癡人說夢記 轟天雷 鄰女語 玉梨魂 斷鴻零雁記 沉沦 "
             "公墓 豐收 歐遊雜記").split()
ZH_CLASSIC = "兒女英雄傳 儒林外史 水滸傳 西遊記 鏡花緣 三俠五義 醒世姻緣 花月痕 風月夢".split()
# session 21: the storytellers' vernacular, for more of the same kind of Chinese: the Ming story
# collections (三言, 二拍; not 今古奇觀, an anthology of them, nor the scrape's second 二刻拍案惊奇),
# court-case and heroic novels, and 清代野记 (Republican-era anecdotes). Not erotic fiction.
ZH_STORIES = ("警世通言 醒世恆言 初刻拍案驚奇 二刻拍案驚奇 石點頭 醒夢駢言 封神演義 三國志演義 說唐 "
              "楊家將演義 飛龍全傳 蕩寇志 水滸後傳 施公案 彭公案 狄公案 綠牡丹 粉妝樓全傳 蘭花夢奇傳 "
              "雪月梅傳 平妖傳 海國春秋 東度記 清代野记").split()
HELD_OUT_ZH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../shared/corpus/dev/realworld/zh.txt")


def paragraphs(book, title):
    """The scrape kept no line breaks: drop the title it repeats at the top, start chapters on
    their own line, and end a line at the first sentence end past 100 characters."""
    book = re.sub("^(?:" + re.escape(title) + ")+", "", book.strip())
    book = re.sub(r"(?<=[。！？」”])(第[一二三四五六七八九十百零〇]+[回章])", r"\n\n\1", book)
    return re.sub(r"([^\n]{100,}?[。！？][」』”’]?)", "\\1\n", book).replace("\n\n\n", "\n\n")


def stops_per_1000(text):
    """Sentence ends per 1,000 characters: a scrape that lost its full stops has under 18."""
    return 1000 * sum(text.count(c) for c in "。！？") / max(len(text), 1)


def overlap(text, grams):
    """Share of text's 16-character windows (every 8th) that occur in the held-out file."""
    hits = [text[i:i + 16] in grams for i in range(0, max(len(text) - 16, 0), 8)]
    return sum(hits) / max(len(hits), 1)


def gutenberg_zh():
    oc = "BYVoid/OpenCC"
    t2s = T2S(text(oc, "data/dictionary/TSPhrases.txt"), text(oc, "data/dictionary/TSCharacters.txt"))
    grams = set()
    if os.path.exists(HELD_OUT_ZH):  # a guard beside the list above: refuse any book that shares text with zh.txt
        held = open(HELD_OUT_ZH, encoding="utf-8").read()
        held = re.sub(r"\s+", "", held)
        grams = {held[i:i + 16] for i in range(len(held) - 16)}
    else:
        print("warning: no", HELD_OUT_ZH, "- the overlap guard is off", file=sys.stderr)
    r = "TzuYuJih/BDSE37_-_Project_Gutenberg"
    lic = ("public domain (Project Gutenberg's Chinese books via github.com/" + r + " " + REPOS[r][:7]
           + "; simplified with OpenCC's tables, Apache-2.0, " + REPOS[oc][:7] + ")")
    for source, titles, limit_mb, doc_kb in (("gutenberg_zh_modern", ZH_MODERN, 10, 900),
                                             ("gutenberg_zh_classic", ZH_CLASSIC, 4, 600),
                                             ("gutenberg_zh_stories", ZH_STORIES, 10, 450)):
        docs = []
        for title in titles:
            book = mainland_punctuation(t2s(paragraphs(text(r, "Project_Gutenberg/" + title + ".txt"), title)))
            bare = re.sub(r"\s+", "", book)
            share = overlap(bare, grams)
            if share > 0.001:
                print("not taken (shares text with zh.txt):", title, f"{share:.2%}", file=sys.stderr)
                continue
            stops = stops_per_1000(bare)
            if stops < 20:
                print("not taken (the scrape lost its full stops):", title, f"{stops:.1f}", file=sys.stderr)
                continue
            docs.append(zh_layout.layout(book, title))
        write(source, "prose-zh", lic, docs, limit_mb, doc_kb)


if __name__ == "__main__":
    main()
