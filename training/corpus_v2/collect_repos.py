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
import subprocess
import sys

from sources import Sources

MIRRORS, OUT = sys.argv[1], sys.argv[2]

REPOS = {
    "d0rj/RusLit": "4509680428729da225a73a22008133660f92bb7e",  # public domain (README)
    "cligs/textbox": "1b91e940475c8a7e866457a3953fed5edb0a29f1",  # CC-BY-4.0 (per corpus readme)
    "chinese-poetry/chinese-poetry": "99ebbef7e1345c0985c44b9fd96a3f9e776f117b",  # MIT
    "fivethirtyeight/data": "fcf572c4fba05a42f1f34f415bd5e6dc389efd68",  # CC-BY-4.0
    "kubernetes/examples": "279e8e4fe314f6cb7bc55fa3fbc21bbeaa48c0ea",  # Apache-2.0
    "PaddlePaddle/docs": "46ceb37d54c1e4e994933424702031a073ec9100",  # Apache-2.0 (LICENSE); session 15
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

    sources.save_tsv(append=True)


if __name__ == "__main__":
    main()
